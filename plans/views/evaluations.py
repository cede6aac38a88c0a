"""Evaluating the plan: the form that records an evaluation of the version in force
and carries out its outcome (`plans.actions.evaluations.record_evaluation`), and the
evaluation page afterwards (read-only).

Every page asks the case grant first (`case_access_or_404`: 404 for a user who may not
see the case), then `plans.access`: the form and its POST answer 404 to those who may
not record an evaluation. Reads are logged on the case's access log."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import CaseAccess
from cases.actions.access_log import log_case_read
from cases.errors import CaseChanged, CaseRuleError
from cases.models import Case, Meeting
from cases.queries import coordinator_candidates
from plans import access
from plans.actions.evaluations import next_level, record_evaluation
from plans.effect import Effect, attendance_effect
from plans.forms.evaluations import EvaluationForm
from plans.models import Evaluation, PlanVersion


def _evaluator_or_404(request: HttpRequest, case_uuid) -> CaseAccess:
    return access.grant_or_404(request.user, case_uuid, access.may_record_evaluation)


def _version_or_404(grant: CaseAccess, version_uuid) -> PlanVersion:
    version = (
        PlanVersion.objects.filter(agreement__case=grant.case, uuid=version_uuid)
        .select_related("agreement")
        .prefetch_related("goals", "measures")
        .first()
    )
    if version is None:
        raise Http404
    return version


def _form(grant: CaseAccess, version: PlanVersion, data=None) -> EvaluationForm:
    case = grant.case
    return EvaluationForm(
        data,
        version=version,
        case=case,
        meetings=Meeting.objects.filter(case=case)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at"),
        staff=coordinator_candidates(case),
        initial={"version": case.version},
    )


def _done(evaluation: Evaluation, case) -> str:
    """What the outcome did to the case, said after saving."""
    outcome = evaluation.outcome
    if outcome == Evaluation.Outcome.CLOSE:
        return _("Evalueringen er registrert, og saken er avsluttet fordi tiltakene virket.")
    if outcome == Evaluation.Outcome.CONTINUE:
        return _("Evalueringen er registrert. Planen fortsetter, med ny evaluering %(date)s.") % {
            "date": f"{evaluation.next_evaluation_date:%d.%m.%Y}"
        }
    if outcome == Evaluation.Outcome.REVISE:
        return _(
            "Evalueringen er registrert. Et utkast til ny versjon av planen er klart: legg "
            "inn de nye tiltakene og avtal planen."
        )
    return _("Evalueringen er registrert, og saken er flyttet til %(level)s.") % {
        "level": case.get_level_display()
    }


@require_http_methods(["GET", "POST"])
def evaluation_new(request: HttpRequest, case_uuid, version_uuid) -> HttpResponse:
    grant = _evaluator_or_404(request, case_uuid)
    version = _version_or_404(grant, version_uuid)
    form = _form(grant, version, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evaluation = record_evaluation(
                grant.case,
                version,
                held_on=data["held_on"],
                form=data["form"],
                meeting=data["meeting"],
                pupil_view=data["pupil_view"],
                guardian_view=data["guardian_view"],
                goal_results=form.goal_results(),
                measure_results=form.measure_results(),
                outcome=data["outcome"],
                outcome_reason=data["outcome_reason"],
                next_evaluation_date=data["next_evaluation_date"],
                coordinator=data.get("coordinator"),
                leaders_informed=data.get("leaders_informed", False),
                case_version=data["version"],
                by=request.user,
            )
        except CaseChanged as exc:
            # Someone changed the case meanwhile: show what was typed on top of the case
            # as it now is, so that saving again goes through.
            data = request.POST.copy()
            data["version"] = Case.objects.values_list("version", flat=True).get(pk=grant.case.pk)
            form = _form(grant, version, data)
            form.is_valid()
            form.add_rule_error(exc)
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _done(evaluation, grant.case))
            return redirect("evaluations:detail", grant.case.uuid, evaluation.uuid)
    today = timezone.localdate()
    held_on = form.cleaned_data.get("held_on") if form.is_bound and form.is_valid() else None
    effect = (
        attendance_effect(
            grant.case.pupil,
            school_id=grant.case.school_id,
            agreed_on=version.agreed_on,
            until=min(held_on or today, today),
        )
        if version.agreed_on
        else None
    )
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    context = {
        "grant": grant,
        "case": grant.case,
        "version": version,
        "form": form,
        "effect": effect,
        "next_level": next_level(grant.case.level),
        "is_current": version.status == PlanVersion.Status.AGREED,
    }
    return render(request, "plans/evaluations/evaluation_form.html", context)


@require_GET
def evaluation_detail(request: HttpRequest, case_uuid, evaluation_uuid) -> HttpResponse:
    grant = access.grant_or_404(request.user, case_uuid, access.may_read_plan)
    evaluation = (
        Evaluation.objects.filter(case=grant.case, uuid=evaluation_uuid)
        .select_related("version", "meeting", "recorded_by")
        .prefetch_related("goal_reviews__goal", "measure_reviews__measure")
        .first()
    )
    if evaluation is None:
        raise Http404
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="evaluation")
    context = {
        "grant": grant,
        "case": grant.case,
        "evaluation": evaluation,
        "effect": Effect.from_json(evaluation.effect),
    }
    return render(request, "plans/evaluations/evaluation_detail.html", context)
