"""The municipality's overview: its schools' figures month by month, read only from
the monthly rollup (`MonthlyRollup`), with no names and with small numbers suppressed
(`fravaer.suppression`, where what we do is written down). Three queries whatever the
number of schools and pupils: the schools, and the rollup's rows for the chosen month
and the school year's absence (the metrics' labels come from
`settings.ROLLUP_CONTRIBUTORS`, no query)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from fravaer.models import ALL_GRADES, MonthlyRollup, Municipality, School, SchoolYear
from fravaer.rollups import TOTAL, Metric, metrics, months_from
from fravaer.suppression import HIDDEN_TEXT, Cell, suppress

MUNICIPALITY = 0  # the row of the municipality's sums
GRADES = tuple(range(1, 11))


@dataclass
class Shown:
    """A cell as the page shows it."""

    text: str
    hidden: bool = False
    rate: float | None = None  # for the chart


def _shown(cell: Cell | None, rate: bool) -> Shown:
    if rate and (cell is None or cell.base == 0):
        return Shown("–")
    if cell is None:
        return Shown("0")
    if cell.hidden:
        return Shown(HIDDEN_TEXT, hidden=True)
    if rate:
        share = round(100 * cell.value / cell.base, 1)
        return Shown(f"{number_format(share, 1)} %", rate=share)
    return Shown(str(cell.value))


@dataclass
class Table:
    metric: Metric
    month: dt.date
    columns: list[tuple[object, str]]
    rows: list[tuple[str, list[Shown]]] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return date_format(self.month, "F Y")


@dataclass
class ChartPoint:
    month: dt.date
    shown: Shown

    @property
    def label(self) -> str:
        return date_format(self.month, "M")

    @property
    def long_label(self) -> str:
        return date_format(self.month, "F Y")


class Publication:
    """Metrics' grids by month, each suppressed as a whole over the municipality
    (every school, and every grade or key, with the totals). The filters slice them
    (`table`, `chart`) and never add up anything of their own."""

    def __init__(self, schools: list[School], months: list[dt.date], rows) -> None:
        self.schools = schools
        self.months = months
        self.metrics = metrics()
        ids = [s.pk for s in schools]
        raw: dict[tuple[str, dt.date], dict[tuple, Cell]] = defaultdict(dict)
        for school_id, month, grade, metric, key, value, pupils, base in rows:
            info = self.metrics.get(metric)
            if info is None:
                continue
            grid = raw[(metric, month)]
            if info.by_grade:
                column = TOTAL if grade == ALL_GRADES else grade
                grid[(school_id, column)] = Cell(value, pupils, base)
            elif grade == ALL_GRADES:
                grid[(school_id, key)] = Cell(value, pupils, base)
        self.grids: dict[tuple[str, dt.date], dict[tuple, Cell]] = {}
        for (metric, month), grid in raw.items():
            info_of = self.metrics[metric]
            columns = self.column_keys(info_of)
            for column in columns:
                cells = [grid[(s, column)] for s in ids if (s, column) in grid]
                if cells:
                    total = grid.setdefault((MUNICIPALITY, column), Cell())
                    for cell in cells:
                        total.add(cell)
            suppress(grid, [*ids, MUNICIPALITY], columns, rows_add_up=not info_of.rates)
            self.grids[(metric, month)] = grid

    @staticmethod
    def column_keys(metric: Metric) -> list:
        if metric.by_grade:
            return [*GRADES, TOTAL]
        keys = [key for key, _label in metric.keys]
        return keys if metric.rates else [*keys, TOTAL]

    def table(
        self, metric: Metric, month: dt.date, *, school_id: int | None, grade: int | None
    ) -> Table:
        grid = self.grids.get((metric.name, month), {})
        if metric.by_grade:
            keys = [grade] if grade else [g for g in GRADES if any(c == g for _s, c in grid)]
            columns = [(g, _("%(grade)s. trinn") % {"grade": g}) for g in keys]
        else:
            columns = list(metric.keys)
        if not metric.rates:
            columns.append((TOTAL, _("I alt")))
        table = Table(metric, month, columns)
        schools = [s for s in self.schools if school_id in (None, s.pk)]
        for label, row in [(s.name, s.pk) for s in schools] + [
            (str(_("Hele kommunen")), MUNICIPALITY)
        ]:
            table.rows.append(
                (label, [_shown(grid.get((row, key)), metric.is_rate) for key, _l in columns])
            )
        return table

    def chart(self, *, school_id: int | None, grade: int | None) -> list[ChartPoint]:
        """The absence rate month by month, for the school (or the municipality) and
        the grade (or all): cells of the same publication."""
        row, column = school_id or MUNICIPALITY, grade or TOTAL
        return [
            ChartPoint(m, _shown(self.grids.get(("absence", m), {}).get((row, column)), True))
            for m in self.months
        ]


def school_year_months(today: dt.date) -> list[dt.date]:
    start, end = SchoolYear.bounds_for(today)
    return months_from(start, min(end, today))


def municipality_schools(municipality: Municipality) -> list[School]:
    return list(School.objects.filter(municipality=municipality).order_by("name"))


def publication(
    municipality: Municipality,
    schools: list[School],
    months: list[dt.date],
    month: dt.date,
    *,
    metric_names: list[str] | None = None,
) -> Publication:
    """The grids the page can show: the metrics of `month` (`metric_names`, default
    all), and the absence of every month (the chart). Each grid is whole (every
    school, grade and key), so its suppression is the same whatever the filters and
    whichever other metrics are read beside it."""
    of_month = Q(month=month)
    if metric_names is not None:
        of_month &= Q(metric__in=metric_names)
    rows = (
        MonthlyRollup.objects.filter(school__municipality=municipality)
        .filter(of_month | Q(metric="absence", month__in=months))
        .values_list("school_id", "month", "grade", "metric", "key", "value", "pupils", "base")
    )
    return Publication(schools, months, rows)
