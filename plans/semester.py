"""The plans app's part of the semester status (`cases.views.semester`; a page panel,
`settings.PAGE_PANELS["semester_status"]`): evaluation outcomes, and how attendance
changed after plans were agreed. Four queries whatever the number of plans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest

from cases.semester import share
from fravaer.models import School
from fravaer.panels import Panel
from fravaer.queries import windows_absence
from fravaer.rollups import TOTAL
from plans.models import Evaluation, PlanVersion
from plans.rollups import evaluations

# The windows compared around the day a plan was agreed: the four weeks before it,
# and the four weeks from it (as far as they have gone).
WINDOW_DAYS = 28


@dataclass
class PlanEffect:
    level: str
    agreed_on: dt.date
    before: tuple[int, int]  # absent lessons, school lessons
    after: tuple[int, int]

    @property
    def before_share(self) -> str:
        return share(*self.before)

    @property
    def after_share(self) -> str:
        return share(*self.after)

    @property
    def improved(self) -> bool | None:
        if not (self.before[1] and self.after[1]):
            return None
        return self.after[0] / self.after[1] < self.before[0] / self.before[1]


def plan_effects(school: School, first: dt.date, last: dt.date, today: dt.date) -> list[PlanEffect]:
    """Each plan version agreed at the school in [first, last]: its pupil's absent
    share in the four weeks before and from the day it was agreed
    (`fravaer.queries.windows_absence`)."""
    versions = list(
        PlanVersion.objects.filter(
            agreement__case__school=school,
            agreed_on__gte=first,
            agreed_on__lte=last,
            status__in=[PlanVersion.Status.AGREED, PlanVersion.Status.SUPERSEDED],
        )
        .order_by("agreed_on", "pk")
        .values_list("pk", "agreement__case__pupil_id", "agreed_on", "level")
    )
    windows = []
    for pk, pupil_id, agreed_on, _level in versions:
        windows.append(
            (
                (pk, "before"),
                pupil_id,
                agreed_on - dt.timedelta(days=WINDOW_DAYS),
                agreed_on - dt.timedelta(days=1),
            )
        )
        after_end = min(agreed_on + dt.timedelta(days=WINDOW_DAYS - 1), today)
        windows.append(((pk, "after"), pupil_id, agreed_on, after_end))
    figures = windows_absence(windows)
    effects = []
    for pk, _pupil_id, agreed_on, level in versions:
        b, a = figures[(pk, "before")], figures[(pk, "after")]
        effects.append(
            PlanEffect(
                level,
                agreed_on,
                (b.absent_lessons, b.scheduled_lessons),
                (a.absent_lessons, a.scheduled_lessons),
            )
        )
    return effects


def semester_panel(
    request: HttpRequest, *, school: School, first: dt.date, last: dt.date, today: dt.date, **page
) -> Panel:
    outcomes = {f.key: f.value for f in evaluations.compute([school.pk], first, last, today=today)}
    effects = plan_effects(school, first, last, today)
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
