"""Absence forms: a row of the class register and a single record on the pupil's page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fravaer.actions import AbsenceInput
from fravaer.forms.base import HintedForm, StyledForm
from fravaer.models import AbsenceReason, AbsenceRecord, Pupil
from fravaer.models.people import MAX_LESSONS_PER_DAY

NONE = "none"
STATUS_CHOICES = [
    (NONE, _("Til stede")),
    (AbsenceRecord.Kind.DAY, _("Hele dagen")),
    (AbsenceRecord.Kind.LESSON, _("Timer")),
    (AbsenceRecord.Kind.LATE, _("For sent")),
]


class AbsenceFieldsMixin:
    """Fields and checks shared by the register row and the single-record form."""

    reasons: dict[str, AbsenceReason]

    def _setup_reasons(self, reasons: list[AbsenceReason], current: str = "") -> None:
        # All of the municipality's reasons resolve (old records keep theirs); the
        # list offers the active ones, plus the record's own if it was retired.
        self.reasons = {r.code: r for r in reasons}
        self.fields["reason"].choices = [
            ("", _("Velg årsak")),
            *((r.code, r.label) for r in reasons if r.active or r.code == current),
        ]

    def _clean_absence(self, cleaned: dict, kind: str) -> None:
        # A count the field itself refused (not a number, out of range) already has its
        # message; "give the count" on top would say the same problem twice.
        if (
            kind == AbsenceRecord.Kind.LESSON
            and not cleaned.get("lessons")
            and not self.has_error("lessons")
        ):
            self.add_error("lessons", _("Oppgi antall timer."))
        if kind == AbsenceRecord.Kind.LATE and cleaned.get("minutes_late") == 0:
            self.add_error("minutes_late", _("Minutter for sent må være minst 1."))
        code = cleaned.get("reason") or ""
        documented = bool(cleaned.get("documented"))
        if documented and code == AbsenceReason.UNKNOWN:
            self.add_error("reason", _("Dokumentert fravær kan ikke ha ukjent årsak."))

    def absence_input(self) -> AbsenceInput:
        data = self.cleaned_data
        documented = bool(data.get("documented"))
        code = data.get("reason") or (AbsenceReason.OTHER if documented else AbsenceReason.UNKNOWN)
        kind = data.get("kind") or data.get("status")
        return AbsenceInput(
            kind=kind,
            documented=documented,
            reason=self.reasons[code],
            lessons=data.get("lessons") if kind == AbsenceRecord.Kind.LESSON else None,
            minutes_late=data.get("minutes_late") if kind == AbsenceRecord.Kind.LATE else None,
            subject=(data.get("subject") or "").strip() if kind != AbsenceRecord.Kind.DAY else "",
            note=(data.get("note") or "").strip(),
        )


# One message for any count a field refuses: "not a number", "at least 1" and "at most
# 12" are the same problem to the teacher. The register and the pupil page share them.
LESSONS_MESSAGES = dict.fromkeys(
    ("invalid", "min_value", "max_value"), _("Oppgi et helt tall fra 1 til 12.")
)
MINUTES_MESSAGES = dict.fromkeys(
    ("invalid", "min_value", "max_value"), _("Oppgi et helt tall fra 1 til 600.")
)


class RegisterRowForm(AbsenceFieldsMixin, StyledForm):
    """One pupil's row in the class register."""

    # The day rules (`check_day_consistency`): the count, or the choice of kind.
    rule_fields = {
        "absence_lessons_exceed_day_total": "lessons",
        "absence_one_day_record_per_pupil_date": "status",
        "absence_day_overlaps": "status",
    }

    pupil = forms.UUIDField(widget=forms.HiddenInput)
    record = forms.IntegerField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=STATUS_CHOICES, widget=forms.RadioSelect, initial=NONE)
    lessons = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_LESSONS_PER_DAY, error_messages=LESSONS_MESSAGES
    )
    subject = forms.CharField(required=False, max_length=100)
    minutes_late = forms.IntegerField(
        required=False, min_value=0, max_value=600, error_messages=MINUTES_MESSAGES
    )
    documented = forms.BooleanField(required=False)
    reason = forms.ChoiceField(required=False)
    note = forms.CharField(required=False, max_length=500)

    def __init__(
        self,
        *args,
        reasons: list[AbsenceReason],
        allowed_kinds: frozenset[str],
        lessons_per_day: int,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._setup_reasons(reasons, current=self.initial.get("reason") or "")
        self.allowed_kinds = allowed_kinds
        self.lessons_per_day = lessons_per_day
        # Past the most lessons any class has, the message is still about this class's.
        self.fields["lessons"].error_messages["max_value"] = self.too_many_lessons()
        self.fields["status"].choices = [
            (value, label)
            for value, label in STATUS_CHOICES
            if value == NONE or value in allowed_kinds
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        status = cleaned.get("status")
        if status == NONE and not cleaned.get("record") and self._typed_absence(cleaned):
            # Hours, minutes, "documented", a reason or a note typed into a new row
            # left on "Til stede" are absence the teacher meant to register: never
            # drop them silently.
            self.add_error(
                "status",
                _(
                    "Du har fylt ut fravær, men eleven står som «Til stede». Velg hva "
                    "slags fravær det er, eller tøm feltene."
                ),
            )
        if status and status != NONE:
            self._clean_absence(cleaned, status)
            lessons = cleaned.get("lessons")
            if status == AbsenceRecord.Kind.LESSON and lessons and lessons > self.lessons_per_day:
                self.add_error("lessons", self.too_many_lessons())
        return cleaned

    def too_many_lessons(self) -> str:
        return _("Klassen har %(n)s timer per dag; velg «Hele dagen».") % {
            "n": self.lessons_per_day
        }

    def _typed_absence(self, cleaned: dict) -> bool:
        fields = ("lessons", "documented", "reason", "note")
        return (
            any(cleaned.get(name) for name in fields)
            or cleaned.get("minutes_late") is not None
            # A subject other than the one the row starts with (a subject teacher's own).
            or (cleaned.get("subject") or "").strip() != (self.initial.get("subject") or "")
        )

    def show_current(self) -> None:
        """Rebind the row to its initial values, the record as it is now: after a
        conflict the row shows the other's change, and a second save starts from it."""
        data = self.data.copy()
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            data.pop(key, None)
            value = self.initial.get(name, field.initial)
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = str(value)
        self.data = data
        self.full_clean()

    @staticmethod
    def initial_for(pupil: Pupil, record: AbsenceRecord | None, *, subject: str = "") -> dict:
        if record is None:
            return {"pupil": pupil.uuid, "status": NONE, "subject": subject}
        return {
            "pupil": pupil.uuid,
            "record": record.pk,
            "status": record.kind,
            "lessons": record.lessons,
            "subject": record.subject,
            "minutes_late": record.minutes_late,
            "documented": record.documented,
            "reason": record.reason.code,
            "note": record.note,
        }

    @property
    def wants_absence(self) -> bool:
        return self.cleaned_data.get("status") not in (None, "", NONE)


# The fields that belong to one kind of absence; documented, reason and note belong to
# every kind. The same split as `AbsenceInput.apply_to`, which saves nothing else.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    AbsenceRecord.Kind.DAY: (),
    AbsenceRecord.Kind.LESSON: ("lessons", "subject"),
    AbsenceRecord.Kind.LATE: ("minutes_late", "subject"),
}


class AbsenceRecordForm(AbsenceFieldsMixin, HintedForm):
    """Register or correct one absence on the pupil page.

    Values posted for fields that do not belong to the chosen kind (a count typed
    before switching to "Hele dagen", a field the page hides) are dropped before
    validation: they are never saved, so they must not block the save with an error
    the teacher cannot see."""

    conditionally_required = ("lessons",)
    rule_fields = {
        "absence_lessons_required": "lessons",
        "absence_lessons_exceed_day": "lessons",
        "absence_documented_unknown_reason": "reason",
        "absence_date_in_future": "date",
        "absence_date_outside_enrollment": "date",
        "absence_date_not_school_day": "date",
        "absence_one_day_record_per_pupil_date": ("date", "kind"),
        "absence_day_overlaps": ("date", "kind"),
        "absence_lessons_exceed_day_total": "lessons",
    }

    date = forms.DateField(
        label=_("Dato"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(
        label=_("Type fravær"),
        choices=AbsenceRecord.Kind.choices,
        widget=forms.RadioSelect,
        initial=AbsenceRecord.Kind.DAY,
        error_messages={
            "required": _("Velg type fravær."),
            "invalid_choice": _("Velg type fravær."),
        },
    )
    lessons = forms.IntegerField(
        label=_("Antall timer"),
        required=False,
        min_value=1,
        max_value=MAX_LESSONS_PER_DAY,
        help_text=_(
            "Må fylles ut ved timefravær. Var eleven borte alle timene, velg «Hele dagen»."
        ),
        error_messages=LESSONS_MESSAGES,
    )
    subject = forms.CharField(label=_("Fag"), required=False, max_length=100)
    minutes_late = forms.IntegerField(
        label=_("Minutter for sent"),
        required=False,
        min_value=1,
        max_value=600,
        error_messages=MINUTES_MESSAGES,
    )
    documented = forms.BooleanField(
        label=_("Dokumentert (foresatte har gitt beskjed)"), required=False
    )
    reason = forms.ChoiceField(label=_("Årsak"), required=False)
    note = forms.CharField(label=_("Merknad"), required=False, max_length=500)

    def __init__(
        self,
        *args,
        reasons: list[AbsenceReason],
        fixed_date: bool = False,
        current_reason: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._setup_reasons(reasons, current=current_reason)
        if fixed_date:
            del self.fields["date"]
        if self.is_bound:
            self.data = self._without_other_kinds_fields(self.data)

    def _without_other_kinds_fields(self, data):
        kind = data.get(self.add_prefix("kind"))
        if kind not in KIND_FIELDS:
            return data  # the kind's own error says what to fix
        data = data.copy()
        for name in {n for names in KIND_FIELDS.values() for n in names} - set(KIND_FIELDS[kind]):
            data.pop(self.add_prefix(name), None)
        return data

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Datoen kan ikke være fram i tid."))
        return day

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind"):
            self._clean_absence(cleaned, cleaned["kind"])
        return cleaned

    @staticmethod
    def initial_for(record: AbsenceRecord) -> dict:
        return {
            "date": record.date,
            "kind": record.kind,
            "lessons": record.lessons,
            "subject": record.subject,
            "minutes_late": record.minutes_late,
            "documented": record.documented,
            "reason": record.reason.code,
            "note": record.note,
        }
