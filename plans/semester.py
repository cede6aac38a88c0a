"""The plans app's part of the semester status (`cases.views.semester`; a page panel,
`settings.PAGE_PANELS["semester_status"]`): evaluation outcomes, and how attendance
changed after plans were agreed. Four queries whatever the number of plans."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest

from cases.semester import share
from fravaer.models import School
from fravaer.panels import Panel
from fravaer.rollups import TOTAL
from plans.models import Evaluation
from plans.rollups import WINDOW_DAYS, evaluations, plan_effects


def semester_panel(
    request: HttpRequest, *, school: School, first: dt.date, last: dt.date, today: dt.date, **page
) -> Panel:
    outcomes = {f.key: f.value for f in evaluations.compute([school.pk], first, last, today=today)}
    effects = plan_effects([school.pk], first, last, today)
    before = (sum(e.before[0] for e in effects), sum(e.before[1] for e in effects))
    after = (sum(e.after[0] for e in effects), sum(e.after[1] for e in effects))
    return Panel(
        "plans/includes/_semester_plans.html",
        {
            "outcomes": [(o.label, outcomes.get(str(o.value), 0)) for o in Evaluation.Outcome],
            "evaluations_total": outcomes.get(TOTAL, 0),
            "effects": effects,
            "before_share": share(*before),
            "after_share": share(*after),
            "improved": sum(1 for e in effects if e.improved),
            "window_days": WINDOW_DAYS,
        },
    )
