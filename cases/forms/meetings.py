"""Forms for conversations, meetings, mappings and mapping tasks. They check the shape
of what was typed, and the dates, so that every date error shows at once at its field;
the rules live in `cases.actions.meetings`, and a refusal from there is shown at the
field it concerns (`HintedForm.add_rule_error`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.actions.meetings import meeting_window, outside_window
from cases.models import Conversation, Level, Mapping, Meeting
from cases.questions import AREA_HINTS, GUARDIAN_QUESTIONS, PUPIL_QUESTIONS, THEMES
from fravaer.forms import HintedForm, StyledForm
from fravaer.models import StaffRole, User

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _window() -> tuple[dt.date, dt.date]:
    return meeting_window(timezone.localdate())


def _text(label, *, rows: int = 3, hint="", max_length: int = 4000) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=hint,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ConversationForm(HintedForm):
    """The guided form of the mapping conversation (seed 000 p. 15–16): every
    question optional, free text."""

    held_on = forms.DateField(label=_("Dato for samtalen"), widget=DATE_WIDGET)
    with_whom = forms.ChoiceField(
        label=_("Samtale med"), choices=Conversation.With.choices, widget=forms.RadioSelect
    )
    medium = forms.ChoiceField(
        label=_("Form"), choices=Conversation.Medium.choices, widget=forms.RadioSelect
    )
    consulted_colleague = forms.BooleanField(label=_("Rådført meg med en kollega"), required=False)
    consulted_attendance_contact = forms.BooleanField(
        label=_("Rådført meg med nærværskontakten"), required=False
    )
    summary = _text(_("Oppsummering og veien videre"), rows=4)

    rule_fields = {
        "conversation_too_old": "held_on",
        "conversation_in_future": "held_on",
        "conversation_with_required": "with_whom",
        "conversation_medium_required": "medium",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for q in (*PUPIL_QUESTIONS, *GUARDIAN_QUESTIONS):
            self.fields[f"q_{q.key}"] = _text(q.text, rows=2, hint=q.hint)
            self.fields[f"q_{q.key}"].widget.attrs["class"] = "ds-input"
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
        earliest, _latest = _window()
        # The date picker offers only the days the form accepts.
        self.fields["held_on"].widget.attrs.update(
            min=earliest.isoformat(), max=timezone.localdate().isoformat()
        )
        self.tie_hints()

    def clean_held_on(self) -> dt.date:
        day = self.cleaned_data["held_on"]
        earliest, _latest = _window()
        if day > timezone.localdate():
            raise forms.ValidationError(_("Datoen kan ikke være fram i tid."))
        if day < earliest:
            raise forms.ValidationError(_("Samtalen må være holdt i løpet av det siste året."))
        return day

    def _fields(self, questions):
        return [self[f"q_{q.key}"] for q in questions]

    @property
    def pupil_fields(self):
        return self._fields(PUPIL_QUESTIONS)

    @property
    def guardian_fields(self):
        return self._fields(GUARDIAN_QUESTIONS)

    def answers(self) -> dict[str, str]:
        return {
            q.key: self.cleaned_data.get(f"q_{q.key}") or ""
            for q in (*PUPIL_QUESTIONS, *GUARDIAN_QUESTIONS)
        }


class MeetingForm(HintedForm):
    kind = forms.ChoiceField(label=_("Type møte"), choices=Meeting.Kind.choices)
    date = forms.DateField(label=_("Dato"), widget=DATE_WIDGET)
    time = forms.TimeField(label=_("Klokkeslett"), widget=TIME_WIDGET)
    duration_minutes = forms.IntegerField(
        label=_("Varighet (minutter)"), min_value=15, max_value=480, initial=60
    )
    place = forms.CharField(label=_("Sted"), max_length=200)
    pupil_attends = forms.BooleanField(label=_("Eleven deltar"), required=False, initial=True)
    guardians = forms.ModelMultipleChoiceField(
        label=_("Foresatte som deltar"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Ansatte som deltar"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label=_("Andre deltakere"),
        required=False,
        max_length=300,
        help_text=_("Navn og rolle, for eksempel fra en tjeneste utenfor skolen."),
    )

    rule_fields = {
        "meeting_kind_required": "kind",
        "meeting_place_required": "place",
        "meeting_date_out_of_range": "date",
        "meeting_duration_invalid": "duration_minutes",
        "meeting_guardian_not_of_pupil": "guardians",
        "meeting_staff_not_eligible": "staff",
    }

    def __init__(self, *args, guardians, staff, level: str, me: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardians"].queryset = guardians
        self.fields["staff"].queryset = staff
        self.fields["staff"].label_from_instance = staff_label
        if not self.is_bound:
            # The one setting up the meeting usually takes part: ticked when they are
            # staff at the school (read from the list itself, which is shown anyway).
            if me is not None and any(
                u.pk == me.pk and is_school_staff(u) for u in self.fields["staff"].queryset
            ):
                self.initial.setdefault("staff", [me.pk])
            self.initial.setdefault(
                "kind",
                Meeting.Kind.LEVEL1
                if level in (Level.NIVA_0, Level.NIVA_1)
                else Meeting.Kind.MAPPING,
            )
            self.initial.setdefault("guardians", list(guardians))
        earliest, latest = _window()
        self.fields["date"].widget.attrs.update(min=earliest.isoformat(), max=latest.isoformat())
        self.tie_hints()

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        earliest, latest = _window()
        if not earliest <= day <= latest:
            raise forms.ValidationError(outside_window(earliest, latest))
        return day

    def starts_at(self) -> dt.datetime:
        naive = dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return timezone.make_aware(naive)


def is_school_staff(user: User) -> bool:
    """From `queries.with_school_roles`: the pupil's contact teacher, or a role at the
    school (not PPT's, which is the municipality's)."""
    roles = getattr(user, "school_roles", ())
    return bool(getattr(user, "is_contact_teacher", False)) or any(r.school_id for r in roles)


def staff_label(user: User) -> str:
    """The name with the person's roles at the school, so that the principal and the
    nærværskontakt can be told apart: "Kari Lærer (Kontaktlærer, Nærværskontakt)"."""
    roles = [str(_("Kontaktlærer"))] if getattr(user, "is_contact_teacher", False) else []
    order = list(StaffRole.Role.values)
    held = {r.role for r in getattr(user, "school_roles", ()) if r.role in order}
    roles += [str(StaffRole.Role(role).label) for role in sorted(held, key=order.index)]
    return f"{user} ({', '.join(roles)})" if roles else str(user)


class MeetingHeldForm(HintedForm):
    pupil_view = forms.CharField(
        label=_("Elevens stemme"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Hva mener eleven selv? Husk alltid elevens stemme (opplæringslova § 10-1). "
            "Deltok ikke eleven, skriv hvordan elevens syn er hentet inn."
        ),
        error_messages={"required": _("Skriv elevens egen stemme.")},
    )
    minutes = _text(_("Referat"), rows=8, max_length=20000)
    version = forms.IntegerField(widget=forms.HiddenInput)

    rule_fields = {"meeting_pupil_view_required": "pupil_view"}


class MeetingCancelForm(StyledForm):
    reason = forms.CharField(
        label=_("Grunn til avlysning"),
        max_length=300,
        error_messages={"required": _("Skriv kort hvorfor møtet avlyses.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class MappingForm(HintedForm):
    kind = forms.ChoiceField(label=_("Type kartlegging"), choices=Mapping.Kind.choices)
    school = _text(_("Skole"), hint=AREA_HINTS["school"])
    home = _text(_("Hjem"), hint=AREA_HINTS["home"])
    leisure = _text(_("Fritid"), hint=AREA_HINTS["leisure"])
    pupil_area = _text(_("Eleven selv"), hint=AREA_HINTS["pupil_area"])
    maintaining_factors = _text(
        _("Opprettholdende faktorer"), hint=_("Hva holder fraværet ved like?")
    )
    worth_going_for = _text(
        _("Det som gjør skolen verdt å gå til"), hint=_("Hva fungerer? Hva skaper nærvær?")
    )
    text = _text(
        _("Kartlegging i fritekst"),
        rows=8,
        max_length=20000,
        hint=_("For pedagogisk analyse, utvidet kartlegging eller annen kartlegging."),
    )

    AREA_FIELDS = ("school", "home", "leisure", "pupil_area")
    rule_fields = {"mapping_kind_required": "kind"}

    def __init__(self, *args, default_kind: str = Mapping.Kind.CAUSES, **kwargs):
        super().__init__(*args, **kwargs)
        for theme in THEMES:
            self.fields[f"t_{theme.key}"] = _text(theme.text, rows=2, hint=theme.hint)
            self.fields[f"t_{theme.key}"].widget.attrs["class"] = "ds-input"
        if not self.is_bound:
            self.initial.setdefault("kind", default_kind)
        self.tie_hints()

    @property
    def area_fields(self):
        return [self[name] for name in self.AREA_FIELDS]

    @property
    def theme_fields(self):
        return [self[f"t_{t.key}"] for t in THEMES]

    def texts(self) -> dict[str, str]:
        names = (*self.AREA_FIELDS, "maintaining_factors", "worth_going_for", "text")
        return {name: self.cleaned_data.get(name) or "" for name in names}

    def themes(self) -> dict[str, str]:
        return {t.key: self.cleaned_data.get(f"t_{t.key}") or "" for t in THEMES}


class TaskForm(HintedForm):
    """A mapping task for one participant (`p:<id>`) or staff member (`u:<id>`)."""

    description = forms.CharField(label=_("Oppgave"), max_length=300)
    assignee = forms.ChoiceField(label=_("Ansvarlig"))
    due = forms.DateField(label=_("Frist"), widget=DATE_WIDGET)

    rule_fields = {
        "task_description_required": "description",
        "task_assignee_required": "assignee",
        "task_participant_not_in_case": "assignee",
        "task_assignee_not_eligible": "assignee",
        "task_due_in_past": "due",
        "task_due_too_far": "due",
    }

    def __init__(self, *args, participants, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = {p.pk: p for p in participants}
        self.staff = {u.pk: u for u in staff}
        self.fields["assignee"].choices = [
            ("", _("Velg ansvarlig")),
            (
                _("Deltakere i saken"),
                [(f"p:{p.pk}", str(p)) for p in self.participants.values()],
            ),
            (_("Ansatte"), [(f"u:{u.pk}", str(u)) for u in self.staff.values()]),
        ]

    def clean_due(self) -> dt.date:
        day = self.cleaned_data["due"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Fristen kan ikke være tilbake i tid."))
        if day > _window()[1]:
            raise forms.ValidationError(_("Fristen må være innen ett år fra i dag."))
        return day

    def assignee_kwargs(self) -> dict:
        kind, _sep, pk = self.cleaned_data["assignee"].partition(":")
        if kind == "p":
            return {"participant": self.participants[int(pk)]}
        return {"assignee_user": self.staff[int(pk)]}
