"""The evaluation form: a result for every goal and measure of the version (with a
short why), the pupil's and the guardians' views, the outcome with its reason and what
the outcome needs (a new evaluation date to continue; a coordinator and the leaders
informed to go to nivå 2A). The form checks the shape, and shows at its field what
`plans.actions.evaluations.record_evaluation` refuses (`add_rule_error`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from cases.models import Level
from fravaer.forms import HintedForm
from plans.actions.evaluations import WHY_MAX, WHY_REQUIRED, Review
from plans.models import Evaluation, GoalReview, MeasureReview, PlanVersion

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _why(about: str) -> forms.CharField:
    # The label names the goal or measure, so that the error summary and a screen
    # reader say which "why" it is.
    return forms.CharField(
        label=_("Kort begrunnelse: %(about)s") % {"about": Truncator(about).chars(50)},
        max_length=WHY_MAX,
        required=False,
        # Made after `StyledForm.__init__` gave the other fields their class.
        widget=forms.Textarea(attrs={"rows": 2, "class": "ds-input"}),
    )


class EvaluationForm(HintedForm):
    held_on = forms.DateField(label=_("Dato for evalueringen"), widget=DATE_WIDGET)
    form = forms.ChoiceField(
        label=_("Form"),
        choices=Evaluation.Form.choices,
        widget=forms.RadioSelect,
        initial=Evaluation.Form.MEETING,
    )
    meeting = forms.ModelChoiceField(
        label=_("Møtet evalueringen ble holdt i"),
        queryset=None,
        required=False,
        empty_label=_("Ikke knyttet til et møte"),
    )
    pupil_view = forms.CharField(
        label=_("Elevens stemme"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Hva mener eleven selv om tiltakene? Husk alltid elevens stemme "
            "(opplæringslova § 10-1). Deltok ikke eleven, skriv hvordan elevens syn er hentet inn."
        ),
        error_messages={"required": _("Skriv elevens egen stemme.")},
    )
    guardian_view = forms.CharField(
        label=_("Foresattes syn"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(
        label=_("Utfall"), choices=Evaluation.Outcome.choices, widget=forms.RadioSelect
    )
    outcome_reason = forms.CharField(
        label=_("Begrunnelse for utfallet"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vises i sakens tidslinje."),
        error_messages={"required": _("Skriv kort hvorfor dere valgte dette utfallet.")},
    )
    next_evaluation_date = forms.DateField(
        label=_("Ny evalueringsdato"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Må fylles ut når planen skal fortsette. Velg en skoledag."),
    )
    coordinator = forms.ModelChoiceField(
        label=_("Stafettholder på nivå 2A"),
        queryset=None,
        required=False,
        help_text=_("Må velges når saken går til nivå 2A og ikke har en stafettholder."),
    )
    leaders_informed = forms.BooleanField(label=_("Skoleledelsen er orientert"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    conditionally_required = ("next_evaluation_date",)
    rule_fields = {
        "evaluation_in_future": "held_on",
        "evaluation_before_agreed": "held_on",
        "evaluation_form_required": "form",
        "evaluation_meeting_wrong_case": "meeting",
        "evaluation_pupil_view_required": "pupil_view",
        "evaluation_outcome_required": "outcome",
        "evaluation_outcome_reason_required": "outcome_reason",
        "evaluation_next_date_required": "next_evaluation_date",
        "evaluation_next_date_range": "next_evaluation_date",
        "evaluation_next_date_not_school_day": "next_evaluation_date",
        "evaluation_no_next_level": "outcome",
        "level2a_needs_coordinator": "coordinator",
        "level2a_needs_leaders_informed": "leaders_informed",
        "level2a_needs_consent": "outcome",
        "level2b_needs_consent": "outcome",
    }

    def __init__(self, data=None, *, version: PlanVersion, case, meetings, staff, **kwargs):
        super().__init__(data, **kwargs)
        self.goals = list(version.goals.all())
        self.measures = list(version.measures.all())
        self.fields["meeting"].queryset = meetings
        self.fields["coordinator"].queryset = staff
        if case.level != Level.NIVA_1 or case.coordinator_id:
            # Only a move from nivå 1 to 2A asks for a coordinator and the leaders.
            del self.fields["coordinator"]
        if case.level != Level.NIVA_1 or case.leaders_informed_at:
            del self.fields["leaders_informed"]
        for goal in self.goals:
            self.fields[f"goal_{goal.pk}"] = forms.ChoiceField(
                label=goal.text,
                choices=GoalReview.Result.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Velg om delmålet er nådd.")},
            )
            self.fields[f"goal_{goal.pk}_why"] = _why(goal.text)
        for measure in self.measures:
            self.fields[f"measure_{measure.pk}"] = forms.ChoiceField(
                label=measure.what,
                choices=MeasureReview.Result.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Velg om tiltaket virket.")},
            )
            why = _why(measure.what)
            why.help_text = _("Må fylles ut når tiltaket ikke virket eller ikke ble gjennomført.")
            self.fields[f"measure_{measure.pk}_why"] = why
        # A measure's why is needed when it did not work (its hint says so).
        self.conditionally_required = (
            *type(self).conditionally_required,
            *(f"measure_{m.pk}_why" for m in self.measures),
        )
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
        self.fields["held_on"].widget.attrs.update(
            min=version.agreed_on.isoformat() if version.agreed_on else "",
            max=timezone.localdate().isoformat(),
        )
        self.tie_hints()

    # The template's rows: each goal and measure with its result and why.
    @property
    def goal_rows(self):
        return [(g, self[f"goal_{g.pk}"], self[f"goal_{g.pk}_why"]) for g in self.goals]

    @property
    def measure_rows(self):
        return [(m, self[f"measure_{m.pk}"], self[f"measure_{m.pk}_why"]) for m in self.measures]

    def clean_held_on(self) -> dt.date:
        day = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Datoen kan ikke være fram i tid."))
        return day

    def clean(self):
        data = super().clean()
        # Every missing why at once, at its field (the action names only the first).
        for measure in self.measures:
            result = data.get(f"measure_{measure.pk}")
            if result in WHY_REQUIRED and not (data.get(f"measure_{measure.pk}_why") or "").strip():
                self.add_error(
                    f"measure_{measure.pk}_why",
                    _("Skriv kort hvorfor tiltaket ikke virket eller ikke ble gjennomført."),
                )
        if data.get("outcome") == Evaluation.Outcome.CONTINUE and not data.get(
            "next_evaluation_date"
        ):
            self.add_error(
                "next_evaluation_date", _("Velg en ny evalueringsdato når planen skal fortsette.")
            )
        return data

    def add_rule_error(self, exc) -> None:
        """A goal's or measure's refusal (`code:pk`) goes to that goal's or measure's
        field; the rest by `rule_fields`."""
        code = getattr(exc, "code", "") or ""
        name, _sep, pk = code.partition(":")
        if pk:
            field = {
                "evaluation_goal_result_required": f"goal_{pk}",
                "evaluation_measure_result_required": f"measure_{pk}",
                "evaluation_measure_why_required": f"measure_{pk}_why",
            }.get(name)
            if field in self.fields:
                self.add_error(field, exc.message)
                return
        super().add_rule_error(exc)

    def goal_results(self) -> dict[int, Review]:
        data = self.cleaned_data
        return {
            g.pk: Review(data.get(f"goal_{g.pk}", ""), data.get(f"goal_{g.pk}_why", ""))
            for g in self.goals
        }

    def measure_results(self) -> dict[int, Review]:
        data = self.cleaned_data
        return {
            m.pk: Review(data.get(f"measure_{m.pk}", ""), data.get(f"measure_{m.pk}_why", ""))
            for m in self.measures
        }
