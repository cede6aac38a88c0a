"""The red/yellow/green timetable's pages: the newest timetable beside the absence by
weekday and lesson (everyone who may read the plan), and the form that records a new
one with the pupil (those who run the case)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import CaseAccess
from cases.actions.access_log import log_case_read
from cases.errors import CaseRuleError
from plans import access
from plans.actions.timetable import record_timetable
from plans.forms.timetable import TimetableForm
from plans.timetable import newest_survey, timetable_grid


def _grant_or_404(request: HttpRequest, case_uuid, may) -> CaseAccess:
    return access.grant_or_404(request.user, case_uuid, may)


@require_GET
def timetable_detail(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, access.may_read_plan)
    grid = timetable_grid(grant.case, today=timezone.localdate())
    if grid is None:
        raise Http404
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="timetable")
    context = {
        "case": grant.case,
        "grant": grant,
        "grid": grid,
        "may_record": access.may_record_timetable(grant),
    }
    return render(request, "plans/timetable_detail.html", context)


@require_http_methods(["GET", "POST"])
def timetable_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, access.may_record_timetable)
    grid = timetable_grid(grant.case, today=timezone.localdate())
    if grid is None or not grant.case.is_open:
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = TimetableForm(
        data, lessons_per_day=grid.lessons_per_day, previous=newest_survey(grant.case)
    )
    if data is not None and form.is_valid():
        try:
            record_timetable(
                grant.case,
                filled_on=form.cleaned_data["filled_on"],
                ratings=form.ratings(),
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Timeplanen er registrert."))
            return redirect(reverse("plans_timetable:timetable", args=[grant.case.uuid]))
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return render(
        request, "plans/timetable_form.html", {"case": grant.case, "grant": grant, "form": form}
    )
