"""Forms for the team's case board and the municipality's deadline settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.actions.deadlines import DEADLINE_SOURCES
from cases.models import DEADLINE_DAYS_RANGE, DEFAULT_DEADLINE_DAYS, Deadline, Level
from fravaer.forms import StyledForm
from fravaer.models import User


class BoardFilterForm(StyledForm):
    """The board's filters (GET): level, class, owner, only cases past a deadline.

    The owner list is everyone who may own a case on the board (the team, the contact
    teachers of the classes with a case) and whoever owns one now, so someone given
    their first case on the board is already in it, without reloading the page."""

    nivaa = forms.ChoiceField(label=_("Nivå"), required=False)
    klasse = forms.TypedChoiceField(label=_("Klasse"), required=False, coerce=int)
    ansvarlig = forms.TypedChoiceField(label=_("Saksansvarlig"), required=False, coerce=int)
    forfalt = forms.BooleanField(label=_("Bare saker med passert frist"), required=False)

    def __init__(self, *args, groups, owners: list[tuple[str, list[User]]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nivaa"].choices = [("", _("Alle nivåer")), *Level.choices]
        self.fields["klasse"].choices = [("", _("Alle klasser"))] + [(g.pk, g.name) for g in groups]
        self.fields["ansvarlig"].choices = [("", _("Alle"))] + [
            (label, [(u.pk, u.get_full_name() or u.username) for u in users])
            for label, users in owners
            if users
        ]
        self.fields["forfalt"].widget.attrs["class"] = "ds-input"

    @classmethod
    def lenient(cls, data, **kwargs) -> tuple[BoardFilterForm, list[str]]:
        """The filters as asked, less those whose value is unknown (a bookmark with
        last year's class or someone who has left, a hand-edited address): those are
        reset, the others still apply. Returns the form and the reset fields' labels."""
        form = cls(data, **kwargs)
        if form.is_valid():
            return form, []
        ignored = [name for name in form.fields if name in form.errors]
        kept = data.copy()
        for name in ignored:
            kept.pop(name, None)
        form = cls(kept, **kwargs)
        form.is_valid()  # every filter is optional: what is left is valid
        return form, [str(form.fields[name].label) for name in ignored]


class AssignOwnerForm(StyledForm):
    """Owner of one case on the board: a team member or the pupil's contact teacher."""

    owner = forms.TypedChoiceField(
        label=_("Saksansvarlig"),
        coerce=int,
        error_messages={
            "required": _("Velg saksansvarlig."),
            "invalid_choice": _("Velg en i skolemiljøteamet eller kontaktlæreren."),
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, candidates, case, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"sak-{case.uuid}-%s")
        kwargs.setdefault("initial", {"owner": case.owner_id, "version": case.version})
        super().__init__(*args, **kwargs)
        choices = [(u.pk, u.get_full_name() or u.username) for u in candidates]
        if case.owner_id not in {u.pk for u in candidates}:
            # The current owner left the team or the class: shown, but not choosable.
            label = _("%(name)s (kan ikke velges)") % {"name": case.owner}
            choices.insert(0, ("", label))
        self.fields["owner"].choices = choices


class DeadlineSettingsForm(StyledForm):
    """Days for each deadline kind, within its range (`DEADLINE_DAYS_RANGE`), with the
    default and its source."""

    def __init__(self, *args, current: dict[str, int], **kwargs) -> None:
        super().__init__(*args, initial=current, **kwargs)
        for kind in Deadline.Kind:
            low, high = DEADLINE_DAYS_RANGE[kind]
            out_of_range = _("Fristen må være mellom %(min)s og %(max)s dager.") % {
                "min": low,
                "max": high,
            }
            self.fields[kind.value] = forms.IntegerField(
                label=kind.label,
                min_value=low,
                max_value=high,
                error_messages={
                    "required": _("Skriv antall dager."),
                    "invalid": _("Skriv et helt antall dager, for eksempel 7."),
                    "min_value": out_of_range,
                    "max_value": out_of_range,
                },
            )
            self.fields[kind.value].widget.attrs.update({"inputmode": "numeric", "size": 4})
        # StyledForm styled the fields that existed when it ran.
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "ds-input")

    def rows(self):
        for kind in Deadline.Kind:
            yield {
                "field": self[kind.value],
                "default": DEFAULT_DEADLINE_DAYS[kind],
                "min": DEADLINE_DAYS_RANGE[kind][0],
                "max": DEADLINE_DAYS_RANGE[kind][1],
                "source": DEADLINE_SOURCES[kind],
            }
