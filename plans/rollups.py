"""The plans app's figures for the monthly rollup (`fravaer.rollups`): evaluation
outcomes, and the attendance before and after the plans agreed in the month. A fixed
number of queries for any number of schools and plans."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from cases.semester import share
from fravaer.queries import windows_absence
from fravaer.rollups import Contributor, Figure, Metric, counted
from plans.models import Evaluation, PlanVersion

# The windows compared around the day a plan was agreed: the four weeks before it,
# and the four weeks from it (as far as they have gone).
WINDOW_DAYS = 28


@dataclass
class PlanEffect:
    """A plan's pupil's absence around the day it was agreed; `pupil_id` stays in the
    read (pupils are counted, never shown)."""

    school_id: int
    pupil_id: int
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


def plan_effects(school_ids, first: dt.date, last: dt.date, today: dt.date) -> list[PlanEffect]:
    """Each plan version agreed at these schools in [first, last]: its pupil's absent
    share in the four weeks before and from the day it was agreed
    (`fravaer.queries.windows_absence`)."""
    versions = list(
        PlanVersion.objects.ever_agreed()
        .filter(
            agreement__case__school_id__in=school_ids,
            agreed_on__gte=first,
            agreed_on__lte=last,
        )
        .order_by("agreed_on", "pk")
        .values_list(
            "pk", "agreement__case__pupil_id", "agreed_on", "level", "agreement__case__school_id"
        )
    )
    windows = []
    for pk, pupil_id, agreed_on, _level, _school in versions:
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
    for pk, pupil_id, agreed_on, level, school_id in versions:
        b, a = figures[(pk, "before")], figures[(pk, "after")]
        effects.append(
            PlanEffect(
                school_id,
                pupil_id,
                level,
                agreed_on,
                (b.absent_lessons, b.scheduled_lessons),
                (a.absent_lessons, a.scheduled_lessons),
            )
        )
    return effects


def _evaluations(school_ids, first, last, *, today) -> list[Figure]:
    held = Evaluation.objects.filter(
        case__school_id__in=school_ids, held_on__gte=first, held_on__lte=last
    )
    rows = (
        held.values_list("case__school_id", "outcome")
        .annotate(n=Count("pk"), pupils=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    totals = dict(
        held.values_list("case__school_id")
        .annotate(p=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    return counted(rows, "evaluations", totals=totals)


evaluations = Contributor(
    (
        Metric(
            "evaluations",
            _("Evalueringer etter utfall"),
            tuple((str(o.value), o.label) for o in Evaluation.Outcome),
        ),
    ),
    _evaluations,
)


BEFORE, AFTER = "before", "after"


def _plan_attendance(school_ids, first, last, *, today) -> list[Figure]:
    """Per school, the absence rate of the pupils whose plan was agreed in the month,
    in the four weeks before and from the day it was agreed (`plan_effects`)."""
    sums: dict[int, list] = defaultdict(lambda: [0, 0, 0, 0, set()])
    for e in plan_effects(school_ids, first, last, today):
        s = sums[e.school_id]
        s[0] += e.before[0]
        s[1] += e.before[1]
        s[2] += e.after[0]
        s[3] += e.after[1]
        s[4].add(e.pupil_id)
    out = []
    for school_id, (b_abs, b_base, a_abs, a_base, pupils) in sums.items():
        out.append(Figure(school_id, "plan_attendance", BEFORE, b_abs, len(pupils), base=b_base))
        out.append(Figure(school_id, "plan_attendance", AFTER, a_abs, len(pupils), base=a_base))
    return out


plan_attendance = Contributor(
    (
        Metric(
            "plan_attendance",
            _("Fraværsandel før og etter at planer ble avtalt"),
            ((BEFORE, _("Før")), (AFTER, _("Etter"))),
            rates=True,
        ),
    ),
    _plan_attendance,
)
