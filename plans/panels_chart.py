"""What the effect chart and the red/yellow/green timetable add to the case page
(`fravaer.panels`, `settings.PAGE_PANELS["case_detail"]`, slot "main").

Who sees the absence figures: everyone who may read the plan (`plans.access.
may_read_plan`), PPT on a referral and the other services taking part included. The
case is about the pupil's absence, its attached flags show it to them already, and the
evaluation report they may download (`may_download_documents`) carries this chart: an
evaluation cannot be judged without the figures. `CaseAccess.sees_other_flags` is a
different question (the pupil's other follow-ups, which are not this case's) and does
not limit the chart.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from cases.access import CaseAccess
from cases.models import Case
from fravaer.panels import Panel
from plans import access
from plans.chart import effect_chart as read_effect_chart
from plans.timetable import timetable_grid


def effect_chart(request: HttpRequest, *, case: Case, grant: CaseAccess, **page) -> Panel | None:
    """The effect over time, for a case whose pupil has absence this school year.
    Seven queries (`plans.chart.effect_chart`)."""
    if not access.may_read_plan(grant):
        return None
    chart = read_effect_chart(case, today=timezone.localdate())
    if chart is None or not chart.has_absence:
        return None
    return Panel("plans/includes/_case_effect_chart.html", {"chart": chart})


def timetable(request: HttpRequest, *, case: Case, grant: CaseAccess, **page) -> Panel | None:
    """The newest red/yellow/green timetable, compact, with the way to record one.
    Five queries (`plans.timetable.timetable_grid`)."""
    if not access.may_read_plan(grant):
        return None
    grid = timetable_grid(case, today=timezone.localdate())
    if grid is None:
        return None
    return Panel(
        "plans/includes/_case_timetable.html",
        {"grid": grid, "may_record_timetable": access.may_record_timetable(grant)},
    )
