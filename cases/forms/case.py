"""Forms for the case page's own workflow: opening, levels, owner, the
safe-environment duty, notes, closing and reopening. Forms check input; the rules of
the staircase live in `cases.actions`."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Level
from cases.queries import summary_2b_window
from cases.transitions import DOWN, TRANSITIONS, UP, close_reasons
from fravaer.forms import HintedForm, StyledForm, is_choice_group
from fravaer.models import User
from fravaer.schooldays import closed_reason_label

REASON_MAX = 2000


class VersionedForm(StyledForm):
    """Every form on the case page carries the case version the user saw, so a change
    by someone else in between is caught (`CaseChanged`)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Kept open with what was typed after someone else changed the case (`CaseChanged`):
    # nothing to correct, so no error summary, but the user saves again from here.
    kept = False

    def add_error(self, field, error) -> None:
        """An error added after validation (an action's refusal at its field) is tied
        to the field like the form's own."""
        super().add_error(field, error)
        if field in self.fields and field in self.errors:
            attrs = self.fields[field].widget.attrs
            attrs["aria-invalid"] = "true"
            if not is_choice_group(self.fields[field].widget):
                ids = (attrs.get("aria-describedby") or "").split()
                err = f"{self[field].id_for_label}-err"
                attrs["aria-describedby"] = " ".join([*[i for i in ids if i != err], err])

    def with_version(self, version: int) -> VersionedForm:
        """The same typed input, now based on the case as it is: after `CaseChanged`
        the user reviews the change and saves again."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data
        return self


def _required_text(message):
    return {"required": message, "max_length": _("Teksten kan være høyst %(limit_value)d tegn.")}


class OpenCaseForm(StyledForm):
    concern = forms.CharField(
        label=_("Bekymringen med dine ord"),
        help_text=_("Hva er du bekymret for? Skriv konkret, uten helseopplysninger."),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_required_text(_("Beskriv bekymringen med noen ord.")),
    )
    flag = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LevelForm(VersionedForm):
    """Move the case to `to` (one of `TRANSITIONS`); the fields depend on the move."""

    reason = forms.CharField(
        label=_("Hvorfor flyttes saken?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required_text(_("Skriv kort hvorfor saken flyttes til et annet nivå.")),
    )
    coordinator = forms.ModelChoiceField(
        label=_("Stafettholder (koordinator)"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Velg stafettholder"),
    )
    leaders_informed = forms.BooleanField(label=_("Skoleledelsen er orientert"), required=False)
    summary_due = forms.DateField(
        label=_("Dato for oppsummering av kartleggingen"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    # What the move lacks (`missing_for`'s codes), shown at the field that supplies it.
    rule_fields = {
        "level2a_needs_coordinator": "coordinator",
        "level2a_needs_leaders_informed": "leaders_informed",
        "summary_due_range": "summary_due",
        "summary_due_not_school_day": "summary_due",
    }

    def __init__(self, *args, case: Case, to: str, coordinators=None, **kwargs) -> None:
        kwargs.setdefault("prefix", f"niva-{to.lower()}")
        super().__init__(*args, **kwargs)
        self.case, self.to = case, to
        self.direction = TRANSITIONS.get((case.level, to))
        up_to_2a = to == Level.NIVA_2A and self.direction == UP
        if up_to_2a:
            self.fields["coordinator"].queryset = (
                coordinators if coordinators is not None else (User.objects.none())
            )
            if case.coordinator_id:
                self.fields["coordinator"].initial = case.coordinator_id
            else:
                # Nivå 2A needs one (`missing_for`): say so at the field, not above it.
                self.fields["coordinator"].required = True
                self.fields["coordinator"].error_messages["required"] = _(
                    "Velg en stafettholder for det tverrfaglige arbeidet."
                )
        else:
            del self.fields["coordinator"]
        if not up_to_2a or case.leaders_informed_at is not None:
            del self.fields["leaders_informed"]
        if to == Level.NIVA_2B:
            window = summary_2b_window(case, timezone.localdate())
            self.fields["summary_due"].initial = window.suggested
            # The help text before the bound field is made: it copies the text then.
            help_text = _("Fra %(first)s til %(last)s (kommunens frist).") % {
                "first": f"{window.earliest:%d.%m.%Y}",
                "last": f"{window.latest:%d.%m.%Y}",
            }
            if window.widened_from is not None:
                help_text += " " + _(
                    "Fristen er flyttet til %(date)s fordi %(from)s ikke er en skoledag "
                    "(%(why)s), og det er ingen skoledager før."
                ) % {
                    "date": f"{window.latest:%d.%m.%Y}",
                    "from": f"{window.widened_from:%d.%m.%Y}",
                    "why": closed_reason_label(window.because),
                }
            self.fields["summary_due"].help_text = help_text
            self.fields["summary_due"].widget.attrs.update(
                min=window.earliest.isoformat(),
                max=window.latest.isoformat(),
                **{"aria-describedby": f"{self['summary_due'].id_for_label}-hint"},
            )
            self.fields["summary_due"].required = True
            self.fields["summary_due"].error_messages["required"] = _(
                "Velg datoen for oppsummering av kartleggingen."
            )
        else:
            del self.fields["summary_due"]

    @property
    def label(self) -> str:
        return str(Level(self.to).label)

    @property
    def is_down(self) -> bool:
        return self.direction == DOWN

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "to": self.to,
            "reason": data["reason"],
            "version": data["version"],
            "coordinator": data.get("coordinator"),
            "leaders_informed": bool(data.get("leaders_informed")),
            "summary_due": data.get("summary_due"),
        }


class CloseForm(VersionedForm):
    reason = forms.ChoiceField(
        label=_("Hvorfor avsluttes saken?"),
        choices=Case.CloseReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Velg hvorfor saken avsluttes.")},
    )
    text = forms.CharField(
        label=_("Utdyping (må fylles ut ved «Annet»)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Its label says when it is required; it is not called optional.
    conditionally_required = ("text",)

    def __init__(self, *args, level: str | None, **kwargs) -> None:
        """`level`: the case's, whose reasons are offered; None (sent from an older
        version of the case) accepts any reason, so that the change is what the user
        is told about (`CaseChanged`), not a reason that fitted the case they saw."""
        kwargs.setdefault("prefix", "avslutt")
        super().__init__(*args, **kwargs)
        if level is None:
            return
        # Only the reasons that fit the case's level (`CLOSE_REASONS`): no "the
        # measures worked" at nivå 0, where there are none yet.
        self.fields["reason"].choices = close_reasons(level)
        self.fields["reason"].error_messages["invalid_choice"] = _(
            "Denne grunnen passer ikke for en sak på %(level)s. Velg en av grunnene i listen."
        ) % {"level": Level(level).label}

    def clean(self) -> dict:
        data = super().clean()
        if data.get("reason") == Case.CloseReason.OTHER and not (data.get("text") or "").strip():
            self.add_error("text", _("Skriv kort hvorfor saken avsluttes."))
        return data


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        label=_("Hvorfor gjenåpnes saken?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required_text(_("Skriv kort hvorfor saken gjenåpnes.")),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "gjenapne")
        super().__init__(*args, **kwargs)


class OwnerForm(VersionedForm):
    owner = forms.ModelChoiceField(
        label=_("Saksansvarlig"),
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Velg saksansvarlig."),
            "invalid_choice": _(
                "Saksansvarlig må være i skolemiljøteamet eller elevens kontaktlærer."
            ),
        },
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        kwargs.setdefault("prefix", "eier")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = candidates
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username


class DutyForm(VersionedForm, HintedForm):
    involved = forms.BooleanField(
        label=_("Aktivitetsplikten (§ 12-4) er utløst, og det trengs en aktivitetsplan (§ 12-5)"),
        required=False,
    )
    # Required when the box is ticked: the label says so instead of "(valgfritt)".
    reference = forms.CharField(
        label=_("Referanse til aktivitetsplanen"),
        help_text=_(
            "Må fylles ut når aktivitetsplikten er utløst. For eksempel saksnummer i "
            "sak-/arkivsystemet."
        ),
        max_length=200,
        required=False,
    )
    rule_fields = {"activity_plan_ref_required": "reference"}
    conditionally_required = ("reference",)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "plikt")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("involved") and not (data.get("reference") or "").strip():
            self.add_error(
                "reference",
                _("Oppgi en referanse til aktivitetsplanen (for eksempel saksnummer)."),
            )
        return data


class NoteForm(StyledForm):
    text = forms.CharField(
        label=_("Notat"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required_text(_("Notatet er tomt.")),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "notat")
        super().__init__(*args, **kwargs)
