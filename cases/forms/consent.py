"""Forms for consent, participants and the PPT referral. They check what a form can
check (required fields, dates that parse, dates that cannot be meant); the rules live in
`cases.actions.consent`."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.actions.consent import (
    CONSENT_MAX_YEARS,
    expires_on_problem,
    given_on_problem,
    years_after,
)
from cases.models import Service
from fravaer.forms import HintedForm, StyledForm
from fravaer.models import Pupil


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ConsentForm(HintedForm):
    service = forms.ChoiceField(
        label=_("Tjeneste"),
        choices=[("", _("Velg tjeneste")), *Service.choices],
        error_messages={"required": _("Velg hvilken tjeneste samtykket gjelder.")},
    )
    purpose = forms.CharField(
        label=_("Formål"),
        max_length=300,
        help_text=_("Hva samtykket skal brukes til, for eksempel «kartlegging og tiltak»."),
        error_messages={"required": _("Skriv hva samtykket skal brukes til.")},
    )
    scope = forms.CharField(
        label=_("Omfang"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Hvilke opplysninger som kan deles, og med hvem."),
    )
    guardians = forms.ModelMultipleChoiceField(
        label=_("Gitt av foresatte"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Velg minst én foresatt som har gitt samtykket.")},
    )
    pupil_consented = forms.BooleanField(label=_("Eleven har også samtykket"), required=False)
    given_on = forms.DateField(
        label=_("Gitt dato"),
        widget=DateInput(),
        error_messages={
            "required": _("Oppgi datoen samtykket ble gitt."),
            "invalid": _("Skriv en gyldig dato."),
        },
    )
    expires_on = forms.DateField(
        label=_("Utløper"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Skriv en gyldig dato.")},
    )

    rule_fields = {
        "consent_needs_guardian": "guardians",
        "consent_guardian_not_pupils": "guardians",
        "consent_date_future": "given_on",
        "consent_date_before_birth": "given_on",
        "consent_expiry_before_given": "expires_on",
        "consent_expired": "expires_on",
        "consent_expiry_too_far": "expires_on",
        "consent_needs_pupil": "pupil_consented",
        "consent_pupil_under_15": "pupil_consented",
        "consent_purpose": "purpose",
        "consent_service": "service",
    }

    def __init__(self, *args, guardians, pupil: Pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.pupil = pupil
        self.today = timezone.localdate()
        self.fields["guardians"].queryset = guardians
        self.fields["guardians"].widget.attrs.pop("class", None)
        self.fields["expires_on"].help_text = _(
            "La feltet stå tomt hvis samtykket gjelder til det trekkes. Utløpsdatoen kan "
            "være høyst %(years)s år etter datoen samtykket ble gitt."
        ) % {"years": CONSENT_MAX_YEARS}
        self.tie_hints()
        # The date picker offers only possible days; the checks below say why.
        self.fields["given_on"].widget.attrs.update(
            min=pupil.birth_date.isoformat(), max=self.today.isoformat()
        )
        self.fields["expires_on"].widget.attrs.update(
            min=self.today.isoformat(),
            max=years_after(self.today, CONSENT_MAX_YEARS).isoformat(),
        )
        if not self.is_bound:
            self.initial.setdefault("given_on", self.today)

    def clean_given_on(self) -> dt.date:
        day = self.cleaned_data["given_on"]
        problem = given_on_problem(self.pupil, day, self.today)
        if problem:
            raise forms.ValidationError(problem[1])
        return day

    def clean(self) -> dict:
        cleaned = super().clean()
        expires, given = cleaned.get("expires_on"), cleaned.get("given_on")
        if expires is not None:
            problem = expires_on_problem(given or self.today, expires, self.today)
            if problem:
                self.add_error("expires_on", problem[1])
        return cleaned


class WithdrawConsentForm(HintedForm):
    withdrawn_on = forms.DateField(
        label=_("Trukket dato"),
        widget=DateInput(),
        error_messages={
            "required": _("Oppgi datoen samtykket ble trukket."),
            "invalid": _("Skriv en gyldig dato."),
        },
    )


class ParticipantForm(HintedForm):
    rule_fields = {"participant_user_not_eligible": "user"}

    service = forms.ChoiceField(
        label=_("Tjeneste"),
        choices=[("", _("Velg tjeneste")), *Service.choices],
        error_messages={"required": _("Velg hvilken tjeneste deltakeren kommer fra.")},
    )
    name = forms.CharField(
        label=_("Navn"),
        max_length=200,
        required=False,
        help_text=_("Kan stå tomt når du velger en bruker nedenfor."),
    )
    role = forms.CharField(
        label=_("Rolle i saken"),
        max_length=200,
        required=False,
        help_text=_("For eksempel «kartlegger hjemmesituasjonen»."),
    )
    user = forms.ModelChoiceField(
        label=_("Knytt til bruker"),
        queryset=None,
        required=False,
        empty_label=_("Ingen (deltakeren har ikke tilgang til saken)"),
        help_text=_("En bruker som knyttes til saken, kan lese den så lenge de er deltaker."),
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("name") or "").strip() and not cleaned.get("user"):
            self.add_error("name", _("Skriv navnet på deltakeren."))
        return cleaned


class ReferralForm(HintedForm):
    reason = forms.CharField(
        label=_("Henvisningsgrunn"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Hva PPT skal bistå med, for eksempel en pedagogisk analyse eller kartlegging."
        ),
        error_messages={"required": _("Skriv kort hvorfor saken henvises.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Skriv kort hvorfor saken henvises."))
        return reason


class EndReferralForm(StyledForm):
    reason = forms.CharField(label=_("Grunn"), max_length=300, required=False)
