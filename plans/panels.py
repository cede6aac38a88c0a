"""What the plans app adds to the cases app's pages (`fravaer.panels`; registered in
`settings.PAGE_PANELS`)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from fravaer.panels import Panel
from plans import access, queries, rules


def case_plan(request: HttpRequest, *, case, grant, **page) -> Panel | None:
    """The case page: a compact summary of the plan (the version in force, else the
    draft: status, long-term goal, goals, measures by arena, evaluation date, links);
    at nivå 1 and up without an agreement, "Lag samarbeidsavtale" for those who may edit
    and a short explanation for others. A fixed number of queries whatever the number
    of versions and measures (`queries.plan_state`)."""
    if not access.may_read_plan(grant):
        return None
    state = queries.plan_state(case)
    if state.agreement is None and case.level not in rules.PLAN_LEVELS:
        return None
    today = timezone.localdate()
    shown = state.shown
    measures = queries.annotate_measures(shown, today, set()) if shown else []
    context = {
        "plan": state,
        "plan_version": shown,
        "plan_circle": queries.measure_circle(measures) if shown else [],
        "plan_may_edit": access.may_edit_plan(grant) and case.is_open,
    }
    return Panel("plans/includes/_case_plan.html", context)
