"""Forms for consent, participants and the PPT referral. They check what a form can
check (required fields, dates that parse); the rules live in `cases.actions.consent`."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Service
from fravaer.forms import StyledForm


class HelpedForm(StyledForm):
    """StyledForm whose help texts are tied to their inputs with aria-describedby,
    beside the error message when there is one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].id_for_label}-help"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields and self.fields[name].help_text:
                attrs = self.fields[name].widget.attrs
                attrs["aria-describedby"] = (
                    f"{self[name].id_for_label}-help {self[name].id_for_label}-err"
                )
        # A checkbox list's message belongs to its fieldset (the template ties it).
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs.pop("aria-describedby", None)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ConsentForm(HelpedForm):
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

    def __init__(self, *args, guardians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardians"].queryset = guardians
        self.fields["guardians"].widget.attrs.pop("class", None)
        if not self.is_bound:
            self.initial.setdefault("given_on", timezone.localdate())


class WithdrawConsentForm(StyledForm):
    withdrawn_on = forms.DateField(
        label=_("Trukket dato"),
        widget=DateInput(),
        error_messages={
            "required": _("Oppgi datoen samtykket ble trukket."),
            "invalid": _("Skriv en gyldig dato."),
        },
    )


class ParticipantForm(HelpedForm):
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


class ReferralForm(HelpedForm):
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
