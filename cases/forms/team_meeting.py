"""Forms for the team meeting: starting it, and the decisions on each point of the
agenda. Each decision form has ids of its own per case or pupil (several are on one
page); the rules live in `cases.actions.team_meeting`, and a refusal is shown at the
field it concerns (`add_rule_error`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms.meetings import DATE_WIDGET
from fravaer.forms import HintedForm
from fravaer.models import User

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_ERRORS = {
    "required": _("Skriv en dato."),
    "invalid": _("Skriv datoen som dd.mm.åååå, for eksempel 14.12.2026."),
}


def _name(user: User) -> str:
    return user.get_full_name() or user.username


class StartTeamMeetingForm(HintedForm):
    held_on = forms.DateField(
        label=_("Møtedato"),
        widget=DATE_WIDGET,
        input_formats=DATE_FORMATS,
        error_messages=DATE_ERRORS,
    )
    participants = forms.TypedMultipleChoiceField(
        label=_("Til stede"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Kryss av for hvem som er til stede."),
            "invalid_choice": _("Velg blant skolemiljøteamet og skoleledelsen."),
        },
    )

    rule_fields = {
        "team_meeting_in_future": "held_on",
        "team_meeting_no_participants": "participants",
    }

    def __init__(self, *args, candidates: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = [(u.pk, _name(u)) for u in candidates]


class OpenCaseForm(HintedForm):
    """Open a case from a pupil's new flags."""

    concern = forms.CharField(
        label=_("Bekymringen"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Beskriv bekymringen med noen ord.")},
    )
    owner = forms.TypedChoiceField(
        label=_("Saksansvarlig"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Velg en i skolemiljøteamet eller kontaktlæreren.")},
    )

    rule_fields = {"case_concern_required": "concern", "case_already_open": "concern"}

    def __init__(self, *args, pupil, candidates: list[User], **kwargs) -> None:
        kwargs.setdefault("auto_id", f"elev-{pupil.uuid}-%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Kontaktlæreren (standard)"))] + [
            (u.pk, _name(u)) for u in candidates
        ]


class NextStepForm(HintedForm):
    text = forms.CharField(
        label=_("Neste steg"),
        max_length=300,
        error_messages={"required": _("Skriv hva som er neste steg.")},
    )
    due = forms.DateField(
        label=_("Innen"), widget=DATE_WIDGET, input_formats=DATE_FORMATS, error_messages=DATE_ERRORS
    )

    rule_fields = {
        "next_step_required": "text",
        "next_step_in_past": "due",
        "next_step_too_late": "due",
    }

    def __init__(self, *args, case, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"steg-{case.uuid}-%s")
        super().__init__(*args, **kwargs)


class MeetingNoteForm(HintedForm):
    text = forms.CharField(
        label=_("Notat"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Notatet er tomt.")},
    )

    rule_fields = {"note_empty": "text"}

    def __init__(self, *args, case, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"notat-{case.uuid}-%s")
        super().__init__(*args, **kwargs)
