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
from plans.chart import absence_year, effect_chart
from plans.timetable import timetable_grid


def absence_panels(request: HttpRequest, *, case: Case, grant: CaseAccess, **page) -> list[Panel]:
    """The effect over time, for a case whose pupil has absence this school year, and
    the newest red/yellow/green timetable beside the absence, compact, with the way to
    record one. Both read the same year of absence (`plans.chart.absence_year`): nine
    queries (`effect_chart` four more, `timetable_grid` two more)."""
    if not access.may_read_plan(grant):
        return []
    today = timezone.localdate()
    year = absence_year(case, today=today)
    if year is None:
        return []
    panels = []
    chart = effect_chart(case, today=today, year=year)
    if chart is not None and chart.has_absence:
        panels.append(Panel("plans/includes/_case_effect_chart.html", {"chart": chart}))
    grid = timetable_grid(case, today=today, year=year)
    panels.append(
        Panel(
            "plans/includes/_case_timetable.html",
            {"grid": grid, "may_record_timetable": access.may_record_timetable(grant)},
        )
    )
    return panels
