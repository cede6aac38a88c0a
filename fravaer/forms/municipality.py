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

ALL_METRICS = "alle"


class MunicipalityOverviewForm(StyledForm):
    maaned = forms.ChoiceField(
        label=_("Måned"),
        error_messages={
            "invalid_choice": _("«%(value)s» er ikke en måned i dette skoleåret. Velg en i listen.")
        },
    )
    skole = forms.ChoiceField(
        label=_("Skole"),
        required=False,
        error_messages={"invalid_choice": _("Velg en av kommunens skoler i listen.")},
    )
    trinn = forms.ChoiceField(
        label=_("Trinn (fraværsandel)"),
        required=False,
        error_messages={
            "invalid_choice": _("«%(value)s» er ikke et trinn. Velg et trinn fra 1 til 10.")
        },
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
        self.default_month = f"{default:%Y-%m}"
        # One group of figures at a time (the first, the absence rate, unless another
        # is chosen): all of them for 140 schools make a page of half a megabyte.
        self.default_metric = metrics[0].name if metrics else ALL_METRICS
        data = data.copy() if data else {}
        if not data.get("maaned"):
            data["maaned"] = self.default_month
        if not data.get("tall"):
            data["tall"] = self.default_metric
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
        self.fields["tall"].choices = [(m.name, m.title) for m in metrics] + [
            (ALL_METRICS, _("Alle tall"))
        ]
        if not self.is_valid():
            # The page shows the default of a filter that was not one of its choices
            # (the error says what was typed), and its select shows that default.
            self.data = self.data.copy()
            for name in self.errors:
                self.data[name] = self._default(name)

    def _default(self, name: str) -> str:
        if name == "maaned":
            return self.default_month
        return self.default_metric if name == "tall" else ""

    def choice(self, name: str) -> str:
        """The valid value of a filter, or its default ("" for all; last month; the
        first group of figures) when what was typed is not one of the choices (the
        form shows why)."""
        if name in self.errors:
            return self._default(name)
        return self.cleaned_data.get(name) or ""
