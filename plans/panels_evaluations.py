"""What evaluating the plan adds to the case page (`fravaer.panels`, page
`case_detail`; registered in `settings.PAGE_PANELS`): the evaluations held, each with
its outcome and a link to its page, and, for those who may record one, "Registrer
evaluering" on the version in force. Two queries, whatever the number of evaluations.
Beside `plans.panels` (the plan itself), so the two grow apart."""

from __future__ import annotations

from django.http import HttpRequest

from cases.access import CaseAccess
from cases.models import Case
from fravaer.panels import Panel
from plans import access
from plans.models import Evaluation, PlanVersion


def case_evaluations(
    request: HttpRequest, *, case: Case, grant: CaseAccess, **page
) -> Panel | None:
    if not access.may_read_plan(grant):
        return None
    in_force = (
        PlanVersion.objects.in_force()
        .filter(agreement__case=case)
        .only("uuid", "number", "agreed_on", "evaluation_date")
        .first()
    )
    evaluations = list(
        Evaluation.objects.filter(case=case)
        .select_related("version")
        .only("uuid", "held_on", "outcome", "form", "next_evaluation_date", "version__number")
        .order_by("-held_on", "-pk")
    )
    if in_force is None and not evaluations:
        return None
    # The date the version in force is next evaluated: its own, or the new one the
    # latest evaluation of it set ("continue"; an agreed version is never edited).
    due = in_force.evaluation_date if in_force else None
    latest = next((e for e in evaluations if in_force and e.version_id == in_force.pk), None)
    if latest is not None:
        due = latest.next_evaluation_date
    return Panel(
        "plans/includes/_case_evaluations.html",
        {
            "in_force": in_force,
            "due": due,
            "evaluations": evaluations,
            "may_evaluate": access.may_record_evaluation(grant) and case.is_open,
        },
    )
