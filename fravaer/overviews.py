"""The leaders' monthly overview of a school (issue #15, section 1): per class, each
pupil's absence in the month with its reasons, the flags in force then, the class's
totals, its earlier months and comment, and the school's trend over the school year.

Figures come from `fravaer.queries.enrollment_totals`, built from the same aggregates
as the class page's and the pupil page's totals (`_totals_aggregates`): one definition
of days, lessons, late arrivals and the share of school time. A pupil who changed
class in the month counts in each class for the days they were enrolled there.

A fixed number of queries whatever the number of pupils: the classes, the calendar,
one aggregate per month of the school year so far, the pupils, their reasons, the
flags and the comments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fravaer.models import (
    AbsenceReason,
    ClassMonthComment,
    Enrollment,
    Flag,
    Group,
    Pupil,
    School,
    SchoolYear,
)
from fravaer.panels import Panels
from fravaer.queries import AbsenceTotals, EnrollmentTotals, enrollment_totals
from fravaer.schooldays import SchoolCalendar

# The slot of the page `monthly_overview` (`fravaer.panels`) where an upper app puts
# each pupil's case; its panels' context may carry `case_levels` (pupil id → the level
# in words) for the exports.
CASE_SLOT = "pupil_case"


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


def parse_month(raw: str) -> dt.date | None:
    """ "2026-11" (or "11.2026") as the month's first day; None if it is not a month."""
    raw = (raw or "").strip()
    for fmt in ("%Y-%m", "%m.%Y"):
        try:
            first = dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
        return first if 2000 <= first.year <= 2100 else None
    return None


def has_begun(month: dt.date, today: dt.date) -> bool:
    """A month after the current one has no overview yet: no school days, no absence."""
    return month_of(month) <= month_of(today)


def default_month(today: dt.date) -> dt.date:
    """Last month: the overview the leaders take to the team meeting."""
    return previous_month(month_of(today))


@dataclass
class PupilRow:
    pupil: Pupil
    group_id: int
    first: dt.date
    last: dt.date
    totals: AbsenceTotals
    reasons: list[tuple[str, int]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    whole_month: bool = True
    case_level: str = ""  # set by `with_case_levels`

    @property
    def flag_names(self) -> list[tuple[str, int]]:
        """The flags by rule, as (the rule's name, how many)."""
        counts: dict[str, int] = {}
        for flag in self.flags:
            name = str(flag.definition.name)
            counts[name] = counts.get(name, 0) + 1
        return list(counts.items())

    @property
    def has_absence(self) -> bool:
        t = self.totals
        return bool(t.days or t.hours or t.late)

    @property
    def undocumented_records(self) -> int:
        t = self.totals
        return t.days_undocumented + t.late_undocumented + self.undocumented_lesson_records

    # Lesson records are counted by their lessons; the number of undocumented lesson
    # records is read with the reasons (`_reason_rows`).
    undocumented_lesson_records: int = 0


@dataclass
class MonthFigures:
    first: dt.date
    totals: AbsenceTotals
    school_days: int

    @property
    def label(self) -> str:
        return date_format(self.first, "F Y")

    @property
    def short_label(self) -> str:
        return date_format(self.first, "M")


@dataclass
class ClassOverview:
    group: Group
    rows: list[PupilRow]
    totals: AbsenceTotals
    pupils: int
    months: list[MonthFigures]
    comment: ClassMonthComment | None

    @property
    def absent_rows(self) -> list[PupilRow]:
        return [r for r in self.rows if r.has_absence or r.flags]

    @property
    def to_discuss(self) -> list[PupilRow]:
        """The pupils the meeting's document names (the PDF): those with a flag in
        force that month or an open case. The others with absence are counted there
        and listed in full in the CSV/XLSX exports and on the page. Case levels:
        `with_case_levels` first."""
        return [r for r in self.absent_rows if r.flags or r.case_level]

    @property
    def not_discussed(self) -> int:
        return len(self.absent_rows) - len(self.to_discuss)


@dataclass
class ChartBar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: str
    selected: bool

    @property
    def cx(self) -> int:
        return self.x + self.width // 2


@dataclass
class TrendChart:
    width: int
    height: int
    baseline: int
    top: int
    bars: list[ChartBar]
    ticks: list[tuple[int, str]]


@dataclass
class MonthlyOverview:
    school: School
    month: dt.date
    last: dt.date
    school_year: SchoolYear | None
    school_days: int
    classes: list[ClassOverview]
    trend: list[MonthFigures]
    totals: AbsenceTotals
    previous: dt.date
    next: dt.date | None

    @property
    def commented(self) -> list[ClassOverview]:
        return [c for c in self.classes if c.comment]

    @property
    def rows(self) -> list[PupilRow]:
        return [row for c in self.classes for row in c.rows]

    @property
    def chart(self) -> TrendChart:
        return trend_chart(self.trend, self.month)


def monthly_overview(
    school: School, month: dt.date, *, today: dt.date, only_group: Group | None = None
) -> MonthlyOverview:
    """The school's overview of `month` (its first day); with `only_group`, that class's
    part only (the class comment's page). A month outside any school year has no
    classes."""
    month = month_of(month)
    last = month_end(month)
    nav_next = next_month(month)
    upcoming = nav_next if nav_next <= month_of(today) else None
    year = SchoolYear.objects.filter(start__lte=month, end__gte=month).first()
    if year is None:
        return MonthlyOverview(
            school, month, last, None, 0, [], [], AbsenceTotals(), previous_month(month), upcoming
        )
    calendar = SchoolCalendar.for_school(school.pk, year.start, year.end)
    groups = list(Group.objects.filter(school=school, school_year=year))
    if only_group is not None:
        groups = [g for g in groups if g.pk == only_group.pk]
    enrollments = Enrollment.objects.filter(group__in=groups)

    # The school year's months up to this one, each a set of enrollment totals.
    months: list[tuple[dt.date, list[EnrollmentTotals]]] = []
    school_days: dict[dt.date, int] = {}
    first = month_of(year.start)
    while first <= month:
        # A month still running counts its school days up to today.
        end = min(month_end(first), max(today, first))
        if calendar.count_school_days(first, end):
            figures = enrollment_totals(enrollments, start=first, end=end, calendar=calendar)
            months.append((first, figures))
            school_days[first] = calendar.count_school_days(first, end)
        first = next_month(first)
    this_month = months[-1][1] if months and months[-1][0] == month else []

    pupils = Pupil.objects.in_bulk({e.pupil_id for e in this_month})
    reason_counts, undocumented_lessons = _reason_rows(this_month, month, last)
    reason_ids = {r for counts in reason_counts.values() for r in counts}
    reasons = AbsenceReason.objects.in_bulk(reason_ids)
    flags = _flags_by_pupil(school, {e.pupil_id for e in this_month}, month, last)
    comments = {
        c.group_id: c
        for c in ClassMonthComment.objects.filter(group__in=groups, month=month).select_related(
            "author"
        )
    }

    rows_by_group: dict[int, list[PupilRow]] = defaultdict(list)
    for e in this_month:
        row = PupilRow(
            pupil=pupils[e.pupil_id],
            group_id=e.group_id,
            first=e.first,
            last=e.last,
            totals=e.totals,
            reasons=[
                (reasons[r].label, n)
                for r, n in sorted(
                    reason_counts.get(e.enrollment_id, {}).items(),
                    key=lambda item: (reasons[item[0]].order, reasons[item[0]].name),
                )
            ],
            flags=flags.get(e.pupil_id, []),
            whole_month=(e.first, e.last) == (month, last),
        )
        row.undocumented_lesson_records = undocumented_lessons.get(e.enrollment_id, 0)
        rows_by_group[e.group_id].append(row)

    by_group_month = _by_group_and_month(months)
    classes = []
    school_totals = AbsenceTotals()
    for group in groups:
        rows = sorted(
            rows_by_group.get(group.pk, []),
            key=lambda r: (r.pupil.last_name, r.pupil.first_name, r.first),
        )
        totals = AbsenceTotals()
        for row in rows:
            totals.add(row.totals)
        school_totals.add(totals)
        classes.append(
            ClassOverview(
                group=group,
                rows=rows,
                totals=totals,
                pupils=len({r.pupil.pk for r in rows}),
                months=[
                    MonthFigures(first, by_group_month[(group.pk, first)], school_days[first])
                    for first, _figures in months
                ],
                comment=comments.get(group.pk),
            )
        )
    trend = []
    for first, figures in months:
        total = AbsenceTotals()
        for e in figures:
            total.add(e.totals)
        trend.append(MonthFigures(first, total, school_days[first]))
    return MonthlyOverview(
        school=school,
        month=month,
        last=last,
        school_year=year,
        school_days=school_days.get(month, 0),
        classes=classes,
        trend=trend,
        totals=school_totals,
        previous=previous_month(month),
        next=upcoming,
    )


def _by_group_and_month(months) -> dict[tuple[int, dt.date], AbsenceTotals]:
    result: dict[tuple[int, dt.date], AbsenceTotals] = defaultdict(AbsenceTotals)
    for first, figures in months:
        for e in figures:
            result[(e.group_id, first)].add(e.totals)
    return result


def _reason_rows(
    figures: list[EnrollmentTotals], first: dt.date, last: dt.date
) -> tuple[dict[int, dict[int, int]], dict[int, int]]:
    """Per enrollment: its records by reason (reason id → count), and its undocumented
    lesson records. One query."""
    if not figures:
        return {}, {}
    prefix = "pupil__absence_records__"
    spans = {e.enrollment_id: (e.first, e.last) for e in figures}
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    undocumented_lessons: dict[int, int] = defaultdict(int)
    # One filter() call: each call on a many-valued relation would join the records
    # again, and count every record once per record.
    dated = Enrollment.objects.filter(
        **{
            "pk__in": list(spans),
            f"{prefix}deleted_at__isnull": True,
            f"{prefix}date__gte": first,
            f"{prefix}date__lte": last,
        }
    ).values_list(
        "pk", f"{prefix}date", f"{prefix}reason_id", f"{prefix}kind", f"{prefix}documented"
    )
    # A record outside the pupil's days in this class belongs to their other class.
    for enrollment_id, day, reason_id, kind, documented in dated:
        start, end = spans[enrollment_id]
        if not start <= day <= end:
            continue
        counts[enrollment_id][reason_id] += 1
        if kind == "lesson" and not documented:
            undocumented_lessons[enrollment_id] += 1
    return counts, undocumented_lessons


def _flags_by_pupil(
    school: School, pupil_ids: set[int], first: dt.date, last: dt.date
) -> dict[int, list[Flag]]:
    """The flags in force during the month (`FlagQuerySet.in_force_during`) of these
    pupils at this school. One query."""
    if not pupil_ids:
        return {}
    result: dict[int, list[Flag]] = defaultdict(list)
    for flag in (
        Flag.objects.filter(school=school, pupil_id__in=pupil_ids)
        .in_force_during(first, last)
        .order_by("rule", "period_start", "pk")
    ):
        result[flag.pupil_id].append(flag)
    return result


def case_levels(panels: Panels) -> dict[int, str]:
    """Each pupil's case level in words, as the upper apps' panels in `CASE_SLOT` give
    it (for the exports)."""
    levels: dict[int, str] = {}
    for panel in panels[CASE_SLOT]:
        levels.update(panel.context.get("case_levels", {}))
    return levels


def with_case_levels(overview: MonthlyOverview, panels: Panels) -> MonthlyOverview:
    """Each row's `case_level` in words, from the panels (`case_levels`), for the
    documents that cannot render a panel (the PDF, the spreadsheets)."""
    levels = case_levels(panels)
    for row in overview.rows:
        row.case_level = levels.get(row.pupil.pk, "")
    return overview


# --- the trend chart ------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 220
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 44, 40, 24


def trend_chart(trend: list[MonthFigures], selected: dt.date) -> TrendChart:
    """Bars of the school's absent share of school time per month, scaled to a round
    maximum; each bar carries its value in text, and the chosen month is marked by a
    pattern and its label as well as by colour."""
    top_value = max([m.totals.percent for m in trend] + [1.0])
    scale_max = next(s for s in (2, 5, 10, 15, 20, 30, 50, 100) if s >= top_value)
    plot_h = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    baseline = CHART_HEIGHT - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT - 8) / max(len(trend), 1)
    bars = []
    for i, m in enumerate(trend):
        height = round(plot_h * m.totals.percent / scale_max)
        bars.append(
            ChartBar(
                x=round(CHART_LEFT + i * slot + slot * 0.15),
                y=baseline - height,
                width=max(round(slot * 0.7), 4),
                height=height,
                label=m.short_label,
                value=percent_text(m.totals.percent),
                selected=m.first == selected,
            )
        )
    ticks = [
        (baseline - round(plot_h * step / 5), percent_text(scale_max * step / 5, whole=True))
        for step in range(6)
    ]
    return TrendChart(CHART_WIDTH, CHART_HEIGHT, baseline, CHART_TOP, bars, ticks)


def percent_text(value: float, *, whole: bool = False) -> str:
    """A share in the Norwegian way: decimal comma, "4,5 %" ("4 %" for a whole number
    on an axis with `whole`)."""
    if whole and value == int(value):
        return f"{int(value)} %"
    return f"{value:.1f}".replace(".", ",") + " %"


# --- the export table -------------------------------------------------------------------


def export_columns() -> list[tuple[str, str]]:
    """(key, heading): keys for scripts (the command), headings for people."""
    return [
        ("pupil_id", _("Elev-ID")),
        ("name", _("Navn")),
        ("class", _("Klasse")),
        ("from", _("Fra")),
        ("to", _("Til")),
        ("whole_days", _("Hele dager")),
        ("absent_lessons", _("Fraværstimer")),
        ("late_arrivals", _("Forsentkomminger")),
        ("documented_days", _("Dokumenterte dager")),
        ("undocumented_records", _("Udokumenterte registreringer")),
        ("reasons", _("Årsaker")),
        ("share_percent", _("Andel av skoletiden (%)")),
        ("active_flags", _("Aktive varsler")),
        ("case_level", _("Sak og nivå")),
        ("class_comment", _("Klassens kommentar")),
    ]


def export_rows(
    overview: MonthlyOverview, *, with_names: bool = True
) -> tuple[list[tuple[str, str]], list[list]]:
    """One row per pupil and class in the month (every pupil, with or without
    absence), for CSV and XLSX (`fravaer.exports`). Numbers stay numbers; the writer
    formats them. Case levels: `with_case_levels` first."""
    columns = [c for c in export_columns() if with_names or c[0] != "name"]
    keys = [k for k, _label in columns]
    groups = {c.group.pk: c for c in overview.classes}
    rows = []
    for c in overview.classes:
        for row in c.rows:
            t = row.totals
            values = {
                "pupil_id": row.pupil.pupil_id,
                "name": row.pupil.full_name,
                "class": groups[row.group_id].group.name,
                "from": row.first,
                "to": row.last,
                "whole_days": t.days,
                "absent_lessons": t.absent_lessons,
                "late_arrivals": t.late,
                "documented_days": t.days_documented,
                "undocumented_records": row.undocumented_records,
                "reasons": ", ".join(f"{label} ({n})" for label, n in row.reasons),
                "share_percent": t.percent,
                "active_flags": ", ".join(
                    name if n == 1 else f"{name} ({n})" for name, n in row.flag_names
                ),
                "case_level": row.case_level,
                "class_comment": c.comment.text if c.comment else "",
            }
            rows.append([values[k] for k in keys])
    return columns, rows


# --- the overview's inbox messages ------------------------------------------------------


def notice_subjects(notifications) -> dict[int, str]:
    """What each of the overview's inbox messages is about, in words: "5A, november
    2026" for a class's comment, "Nordby skole, november 2026" for a school's overview
    (from the message's key, `fravaer.actions.overviews`), so that a contact teacher of
    two classes can tell their messages apart. No query without such messages, at most
    two with them."""
    parsed: dict[int, tuple[str, int, dt.date]] = {}
    for n in notifications:
        kind, _sep, rest = (n.key or "").partition(":")
        ident, _sep, raw_month = rest.partition(":")
        month = parse_month(raw_month)
        if n.kind == "overview" and kind in ("comment", "overview") and ident.isdigit() and month:
            parsed[n.pk] = (kind, int(ident), month)
    ids = {
        kind: {i for k, i, _m in parsed.values() if k == kind} for kind in ("comment", "overview")
    }
    names = {
        "comment": dict(Group.objects.filter(pk__in=ids["comment"]).values_list("pk", "name"))
        if ids["comment"]
        else {},
        "overview": dict(School.objects.filter(pk__in=ids["overview"]).values_list("pk", "name"))
        if ids["overview"]
        else {},
    }
    return {
        pk: f"{names[kind][ident]}, {date_format(month, 'F Y')}"
        for pk, (kind, ident, month) in parsed.items()
        if ident in names[kind]
    }
