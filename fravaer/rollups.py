"""Rollup contributors: what each app adds to the monthly rollup (`MonthlyRollup`).

`settings.ROLLUP_CONTRIBUTORS` names, in the order the municipality's overview shows
them, `Contributor` objects of the apps (this module's `absence` and `flags`, then
`cases.rollups.*` and `plans.rollups.*`), so that `fravaer` keeps the table without
importing the apps above it (as with `fravaer.panels` and `fravaer.events`; checked at
start by `fravaer.checks`).

A contributor is a read: `compute(school_ids, first, last, today=...)` returns the
`Figure`s of those schools for the month [first, last], set-based (a fixed number of
queries for any number of schools and pupils, never one per pupil or per school).
Each metric's figures carry a total (`TOTAL` key) whose `pupils` counts distinct
pupils, so that the page can suppress a total as well as a cell. A figure names no
pupil: `pupils` is only a count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from fravaer.models import ALL_GRADES, Flag
from fravaer.queries import period_by_group
from fravaer.thresholds import RULE_LIST

TOTAL = "*"
# The absence rate's key: absent lessons (`value`) of school lessons (`base`).
ABSENT = "absent_lessons"


@dataclass(frozen=True)
class Figure:
    school_id: int
    metric: str
    key: str
    value: int
    pupils: int
    grade: int = ALL_GRADES
    base: int = 0  # the denominator of a rate


@dataclass(frozen=True)
class Metric:
    """How a metric reads on a page: its title and its keys in order, with labels.
    `by_grade`: the columns are grades and the cell is a rate (`ABSENT`: `value`
    of `base`), not a count per key."""

    name: str
    title: str
    keys: tuple[tuple[str, str], ...] = ()
    by_grade: bool = False
    # The keys are rates (`value` of `base`) side by side, with no total: before and
    # after a plan was agreed.
    rates: bool = False

    @property
    def is_rate(self) -> bool:
        return self.by_grade or self.rates


@dataclass(frozen=True)
class Contributor:
    metrics: tuple[Metric, ...]
    compute: Callable[..., Iterable[Figure]] = field(compare=False)


def contributors() -> list[Contributor]:
    return [import_string(path) for path in settings.ROLLUP_CONTRIBUTORS]


def metrics() -> dict[str, Metric]:
    return {m.name: m for c in contributors() for m in c.metrics}


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    following = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first.replace(day=1), following - dt.timedelta(days=1)


def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from `first`'s to `last`'s, in order."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = month_bounds(month)[1] + dt.timedelta(days=1)
    return months


def aware_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) as aware datetimes in the local time zone, for `*_at` columns."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def counted(
    rows: Iterable[tuple[int, str, int]], metric: str, *, totals: dict[int, int]
) -> list[Figure]:
    """Figures from (school_id, key, value, pupils) rows, with each school's total
    (`totals`: school → distinct pupils) as the `TOTAL` figure."""
    out: list[Figure] = []
    sums: dict[int, int] = defaultdict(int)
    for school_id, key, value, pupils in rows:
        out.append(Figure(school_id, metric, str(key), value, pupils))
        sums[school_id] += value
    out += [Figure(s, metric, TOTAL, sums[s], totals.get(s, 0)) for s in sums]
    return out


# --- absence -----------------------------------------------------------------------


def _absence(school_ids, first, last, *, today) -> list[Figure]:
    """Absent lessons and school time per school and grade (and the school's total),
    from the one period read (`fravaer.queries.period_by_group`). `pupils`: the
    distinct pupils enrolled in the grade during the month."""
    last = min(last, today)
    if last < first:
        return []
    cells: dict[tuple[int, int], list] = {}
    for g in period_by_group(school_ids, first, last):
        for grade in (g.grade, ALL_GRADES):
            cell = cells.setdefault((g.school_id, grade), [0, 0, set()])
            cell[0] += g.totals.absent_lessons
            cell[1] += g.totals.scheduled_lessons
            cell[2] |= g.pupil_ids
    out = []
    for (school_id, grade), (absent, scheduled, pupils) in cells.items():
        out.append(Figure(school_id, "absence", ABSENT, absent, len(pupils), grade, scheduled))
    return out


absence = Contributor((Metric("absence", _("Fraværsandel etter trinn"), by_grade=True),), _absence)


# --- flags -------------------------------------------------------------------------


def _flags(school_ids, first, last, *, today) -> list[Figure]:
    """Flags raised in the month, per rule: two grouped queries."""
    start, end = aware_bounds(first, last)
    raised = Flag.objects.filter(school_id__in=school_ids, raised_at__gte=start, raised_at__lt=end)
    rows = (
        raised.values_list("school_id", "rule")
        .annotate(n=Count("pk"), pupils=Count("pupil_id", distinct=True))
        .order_by()
    )
    totals = dict(
        raised.values_list("school_id").annotate(p=Count("pupil_id", distinct=True)).order_by()
    )
    return counted(rows, "flags_raised", totals=totals)


flags = Contributor(
    (
        Metric(
            "flags_raised",
            _("Varsler etter regel"),
            tuple((rule.code, rule.name) for rule in RULE_LIST),
        ),
    ),
    _flags,
)
