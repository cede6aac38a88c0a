"""The measure plan's forms: the draft's own fields, a goal, a measure, a tapering
step, a weekday and a step of the attendance plan, removing an item, agreeing, and
drafting the next version. Every draft form carries the `revision` the user saw
(`PlanChanged` when someone else saved in between)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Service
from fravaer.forms import HintedForm
from plans.models import Arena, AttendanceDay, Measure

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# What the draft editor removes (`plans.actions.versions.REMOVABLE`).
REMOVE_KINDS = ("goal", "measure", "tapering_step", "attendance_day", "attendance_step")


class RevisionForm(HintedForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Kept with what was typed after someone else saved the draft (`PlanChanged`).
    kept = False

    def with_revision(self, revision: int) -> RevisionForm:
        """The same typed input, now based on the draft as it is."""
        data = self.data.copy()
        data[self.add_prefix("revision")] = str(revision)
        self.data = data
        return self


class DraftForm(RevisionForm):
    long_term_goal = forms.CharField(
        label=_("Langsiktig mål"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Ett mål for hele perioden, i elevens og familiens ord. Må være med før planen avtales."
        ),
    )
    evaluation_date = forms.DateField(
        label=_("Evalueringsdato"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_(
            "Forslaget følger kommunens frist for nivået, flyttet til en skoledag. Må være "
            "med før planen avtales."
        ),
    )
    contact_who = forms.CharField(
        label=_("Kontaktperson for hjemmet"), max_length=200, required=False
    )
    contact_how = forms.CharField(
        label=_("Hvordan (telefon, melding, møte)"), max_length=200, required=False
    )
    contact_how_often = forms.CharField(label=_("Hvor ofte"), max_length=200, required=False)
    activity_plan_ref = forms.CharField(
        label=_("Aktivitetsplan (§ 12-5)"),
        max_length=200,
        required=False,
        help_text=_("Referansen til aktivitetsplanen når saken har en."),
    )
    attendance_note = forms.CharField(
        label=_("Oppmøteplan, merknad"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    change_reason = forms.CharField(
        label=_("Hvorfor planen endres"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # A draft may be saved without them; agreeing needs them (`missing_to_agree`).
    conditionally_required = ("long_term_goal", "evaluation_date")

    def __init__(self, *args, first_version: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if first_version:
            del self.fields["change_reason"]
        self.tie_hints()

    def fields_to_save(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "revision"}


class GoalForm(RevisionForm):
    text = forms.CharField(
        label=_("Delmål"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Konkret og målbart, for eksempel «Møter til første time fire dager i uka»."),
    )
    target_date = forms.DateField(label=_("Måldato"), widget=DATE_WIDGET)
    rule_fields = {"goal_text_required": "text", "goal_target_in_past": "target_date"}


class MeasureForm(RevisionForm):
    what = forms.CharField(
        label=_("Tiltak"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    arena = forms.ChoiceField(label=_("Arena"), choices=Arena.choices, widget=forms.RadioSelect)
    responsible = forms.ChoiceField(
        label=_("Ansvarlig"), choices=Measure.Responsible.choices, widget=forms.RadioSelect
    )
    responsible_staff = forms.ModelChoiceField(
        label=_("Ansvarlig ansatt"),
        queryset=None,
        required=False,
        empty_label=_("Velg ansatt"),
        help_text=_("Når en ansatt er ansvarlig."),
    )
    responsible_service = forms.ChoiceField(
        label=_("Ansvarlig tjeneste"),
        required=False,
        help_text=_("Når en tjeneste er ansvarlig: bare tjenester med samtykke i kraft."),
    )
    when = forms.CharField(label=_("Når og hvor ofte"), max_length=200, required=False)
    where = forms.CharField(label=_("Hvor"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Fra"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Til"), widget=DATE_WIDGET, required=False)
    special_arrangement = forms.BooleanField(
        label=_("Midlertidig særordning (trenger nedtrappingsplan)"), required=False
    )
    reuse_reason = forms.CharField(
        label=_("Hvorfor tiltaket brukes igjen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("En evaluering fant at tiltaket ikke virket."),
    )
    conditionally_required = ("responsible_staff", "responsible_service")
    rule_fields = {
        "measure_staff_required": "responsible_staff",
        "measure_service_needs_consent": "responsible_service",
        "measure_ends_before_start": "ends_on",
        "measure_reuse_reason_required": "reuse_reason",
    }

    def __init__(self, *args, staff, services, failed_before: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_staff"].queryset = staff
        labels = dict(Service.choices)
        self.fields["responsible_service"].choices = [("", _("Velg tjeneste"))] + [
            (s, labels[s]) for s in services
        ]
        if not failed_before:
            del self.fields["reuse_reason"]
        self.tie_hints()

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "revision"}


class TaperingStepForm(RevisionForm):
    starts_on = forms.DateField(label=_("Fra dato"), widget=DATE_WIDGET)
    description = forms.CharField(
        label=_("Trinn"),
        max_length=300,
        help_text=_("Hva som gjelder fra denne datoen, for eksempel «Skoledag til kl. 13»."),
    )
    rule_fields = {"step_outside_measure": "starts_on"}


class AttendanceDayForm(RevisionForm):
    weekday = forms.TypedChoiceField(
        label=_("Ukedag"), choices=AttendanceDay.Weekday.choices, coerce=int
    )
    starts_at = forms.TimeField(label=_("Starter kl."), widget=TIME_WIDGET)
    place = forms.CharField(label=_("Sted"), max_length=200)
    met_by = forms.CharField(label=_("Møtes av"), max_length=200, required=False)


class AttendanceStepForm(RevisionForm):
    starts_on = forms.DateField(label=_("Fra uke (dato)"), widget=DATE_WIDGET)
    description = forms.CharField(
        label=_("Tid på skolen"),
        max_length=300,
        help_text=_("For eksempel «Til og med tredje time»."),
    )


class RemoveForm(RevisionForm):
    kind = forms.ChoiceField(choices=[(k, k) for k in REMOVE_KINDS])
    item = forms.IntegerField(min_value=1)


class AgreeForm(HintedForm):
    agreed_on = forms.DateField(label=_("Avtalt dato"), widget=DATE_WIDGET)
    evaluation_date = forms.DateField(label=_("Evalueringsdato"), widget=DATE_WIDGET)
    pupil_took_part = forms.BooleanField(label=_("Eleven deltok"), required=False)
    guardians = forms.ModelMultipleChoiceField(
        label=_("Foresatte som deltok"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Ansatte som deltok"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label=_("Andre deltakere"),
        max_length=300,
        required=False,
        help_text=_("For eksempel helsesykepleier eller PPT, med navn og rolle."),
    )
    rule_fields = {
        "plan_agreed_in_future": "agreed_on",
        "plan_evaluation_before_agreement": "evaluation_date",
        "plan_evaluation_date_required": "evaluation_date",
        "plan_guardian_not_pupils": "guardians",
        "plan_staff_not_eligible": "staff",
    }

    def __init__(self, *args, guardians, staff, suggested_evaluation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if suggested_evaluation is not None:
            self.fields["evaluation_date"].help_text = _(
                "Kommunens frist for nivået regnet fra i dag: %(day)s."
            ) % {"day": suggested_evaluation.strftime("%d.%m.%Y")}
        self.fields["guardians"].queryset = guardians
        self.fields["staff"].queryset = staff
        self.tie_hints()


class NextVersionForm(HintedForm):
    change_reason = forms.CharField(
        label=_("Hvorfor planen endres"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
