"""The contact log form: a contact with the home, on the pupil's page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fravaer.actions.absence import CONTACT_WINDOW_DAYS
from fravaer.forms.base import StyledForm
from fravaer.models import ContactLog, Guardian


class ContactLogForm(StyledForm):
    contacted_at = forms.DateTimeField(
        label=_("Tidspunkt"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    channel = forms.ChoiceField(label=_("Kanal"), choices=ContactLog.Channel.choices)
    counterpart = forms.ChoiceField(label=_("Med hvem"), choices=ContactLog.Counterpart.choices)
    guardian = forms.ModelChoiceField(
        label=_("Foresatt"),
        queryset=Guardian.objects.none(),
        required=False,
        empty_label=_("Ikke valgt"),
    )
    # No default: an unanswered call must never be saved as "clarified" by accident.
    outcome = forms.ChoiceField(
        label=_("Utfall"), choices=[("", _("Velg utfall")), *ContactLog.Outcome.choices]
    )
    # Declared in the page's order (the outcome sits in the grid above the text), so the
    # error summary lists the fields as they appear.
    summary = forms.CharField(
        label=_("Hva ble sagt"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def __init__(self, *args, guardians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = guardians
        if not self.is_bound:
            self.initial.setdefault(
                "contacted_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean_contacted_at(self) -> dt.datetime:
        value = self.cleaned_data["contacted_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("Tidspunktet kan ikke være fram i tid."))
        if value < timezone.now() - dt.timedelta(days=CONTACT_WINDOW_DAYS):
            raise forms.ValidationError(_("Kontakten må ha vært i løpet av det siste året."))
        return value
