"""The municipality overview's filters (GET). Each chooses a slice of the one
suppressed publication (`fravaer.suppression`); none adds anything up."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from fravaer.forms.base import StyledForm
from fravaer.models import School
from fravaer.rollups import Metric


class MunicipalityOverviewForm(StyledForm):
    maaned = forms.ChoiceField(
        label=_("Måned"),
        error_messages={"invalid_choice": _("Velg en måned i dette skoleåret.")},
    )
    skole = forms.ChoiceField(
        label=_("Skole"),
        required=False,
        error_messages={"invalid_choice": _("Velg en av kommunens skoler.")},
    )
    trinn = forms.ChoiceField(
        label=_("Trinn (fraværsandel)"),
        required=False,
        error_messages={"invalid_choice": _("Velg et trinn fra 1 til 10.")},
    )
    tall = forms.ChoiceField(
        label=_("Tall"),
        required=False,
        error_messages={"invalid_choice": _("Velg et av tallene i listen.")},
    )

    def __init__(
        self,
        data,
        *,
        months: list[dt.date],
        schools: list[School],
        metrics: list[Metric],
    ) -> None:
        default = months[-2] if len(months) > 1 else months[-1]
        data = data.copy() if data else {}
        if not data.get("maaned"):
            data["maaned"] = f"{default:%Y-%m}"
        super().__init__(data)
        self.fields["maaned"].choices = [
            (f"{m:%Y-%m}", date_format(m, "F Y")) for m in reversed(months)
        ]
        self.fields["skole"].choices = [("", _("Alle skoler"))] + [
            (str(s.pk), s.name) for s in schools
        ]
        self.fields["trinn"].choices = [("", _("Alle trinn"))] + [
            (str(g), _("%(grade)s. trinn") % {"grade": g}) for g in range(1, 11)
        ]
        self.fields["tall"].choices = [("", _("Alle tall"))] + [(m.name, m.title) for m in metrics]
        self.is_valid()

    def choice(self, name: str) -> str:
        """The valid value of a filter, or its default ("" for all; the default month)
        when what was typed is not one of the choices (the form shows why)."""
        if name in self.errors:
            return (
                ""
                if name != "maaned"
                else self.fields["maaned"].choices[min(1, len(self.fields["maaned"].choices) - 1)][
                    0
                ]
            )
        return self.cleaned_data.get(name) or ""
