"""The effect over time (issue #14, section 3): the pupil's absence week by week over
the school year, with markers where the case changed level, plan versions were
agreed, measures started or ended and evaluations were held.

Read in a fixed number of queries (seven, whatever the number of weeks, records,
versions or measures): the pupil's class (for lessons per day and the school year),
the school's calendar, the absence by date (`fravaer.queries.day_figures`, the same
aggregates as `year_totals`), and one query per kind of marker. The figures are laid
out here as the geometry of a server-rendered SVG (`templates/plans/includes/
_effect_chart.html`), so the same chart works on the case page, for screen readers
(with its table) and in WeasyPrint PDFs.

A week counts whole days (each as the class's lessons per day), lessons of lesson
records and late arrivals; the bar is the week's absent lessons, as
`AbsenceTotals.absent_lessons` counts them, on a fixed scale of a whole school week
absent so that charts compare over time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, CaseEvent, Level
from fravaer.models import Enrollment, Group
from fravaer.queries import DayFigures, day_figures
from fravaer.schooldays import SchoolCalendar
from plans.models import Evaluation, Measure, PlanVersion

WEEK = dt.timedelta(days=7)

# The SVG's coordinate system (viewBox); the image scales to its container.
WIDTH = 760
HEIGHT = 300
LEFT = 52
RIGHT = 12
TOP = 62  # room for the markers' numbers
BASE = 236  # the bars' baseline
LATE_ROW = 256  # late arrivals, below the baseline
LABEL_ROW = 286  # months, under the weeks
LABEL_ROWS = (12, 31, 50)  # the markers' numbers, in up to three rows
LABEL_SPACING = 19  # a number's circle is 16 wide


class MarkerKind:
    LEVEL = "level"
    PLAN = "plan"
    MEASURE_START = "measure_start"
    MEASURE_END = "measure_end"
    EVALUATION = "evaluation"


# Not colour alone: each kind has its own line pattern and symbol, and every marker a
# number that the list under the chart explains.
MARKER_STYLE = {
    MarkerKind.LEVEL: {"dash": "", "symbol": "▲"},
    MarkerKind.PLAN: {"dash": "6 3", "symbol": "■"},
    MarkerKind.MEASURE_START: {"dash": "2 3", "symbol": "▶"},
    MarkerKind.MEASURE_END: {"dash": "2 3", "symbol": "◀"},
    MarkerKind.EVALUATION: {"dash": "8 2 2 2", "symbol": "●"},
}


def _whole_days(n: int) -> str:
    return ngettext("%(n)s hel dag", "%(n)s hele dager", n) % {"n": n}


def _late(n: int) -> str:
    return ngettext("%(n)s forsentkomming", "%(n)s forsentkomminger", n) % {"n": n}


@dataclass
class Marker:
    on: dt.date
    kind: str
    text: str
    number: int = 0
    x: float = 0.0
    label_y: float = 0.0
    # The number shown over the line: "3", or "2–6" for the first of several markers
    # on the same day (their lines coincide); "" for the others of such a day.
    label: str = ""
    label_width: float = 16.0
    label_title: str = ""

    @property
    def label_left(self) -> float:
        return round(self.x - self.label_width / 2, 1)

    @property
    def symbol(self) -> str:
        return MARKER_STYLE[self.kind]["symbol"]

    @property
    def dash(self) -> str:
        return MARKER_STYLE[self.kind]["dash"]


@dataclass
class ChartWeek:
    monday: dt.date
    school_days: int
    days: int = 0
    lessons: int = 0
    late: int = 0
    lessons_per_day: int = 0
    markers: list[Marker] = field(default_factory=list)
    # Geometry, set by `_lay_out`.
    x: float = 0.0
    width: float = 0.0
    days_y: float = 0.0
    days_height: float = 0.0
    lessons_y: float = 0.0
    lessons_height: float = 0.0
    center: float = 0.0
    month_label: str = ""

    @property
    def number(self) -> int:
        return self.monday.isocalendar().week

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def holiday(self) -> bool:
        """No school day this week (a holiday week, or before the year began)."""
        return self.school_days == 0

    @property
    def absent_lessons(self) -> int:
        return self.days * self.lessons_per_day + self.lessons

    @property
    def scheduled_lessons(self) -> int:
        return self.school_days * self.lessons_per_day

    @property
    def percent(self) -> float:
        if not self.scheduled_lessons:
            return 0.0
        return round(100 * self.absent_lessons / self.scheduled_lessons, 1)

    @property
    def title(self) -> str:
        """What a pointer over the week's bar shows."""
        if self.holiday:
            return _("Uke %(week)s: ingen skoledager") % {"week": self.number}
        return _("Uke %(week)s: %(days)s, %(lessons)s, %(late)s") % {
            "week": self.number,
            "days": _whole_days(self.days),
            "lessons": ngettext("%(n)s time", "%(n)s timer", self.lessons) % {"n": self.lessons},
            "late": _late(self.late),
        }


@dataclass
class Gridline:
    y: float
    value: int


@dataclass
class EffectChart:
    case: Case
    start: dt.date
    until: dt.date
    lessons_per_day: int
    weeks: list[ChartWeek]
    markers: list[Marker]
    gridlines: list[Gridline] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    base: int = BASE
    late_row: int = LATE_ROW
    label_row: int = LABEL_ROW

    @property
    def plot_height(self) -> int:
        return self.base - self.top

    @property
    def uid(self) -> str:
        """A prefix for the SVG's ids (patterns, title, description), unique on a page
        that shows more than one chart."""
        return f"effekt-{self.case.uuid.hex[:12]}"

    @property
    def days(self) -> int:
        return sum(w.days for w in self.weeks)

    @property
    def lessons(self) -> int:
        return sum(w.lessons for w in self.weeks)

    @property
    def late(self) -> int:
        return sum(w.late for w in self.weeks)

    @property
    def has_absence(self) -> bool:
        return any(w.days or w.lessons or w.late for w in self.weeks)

    @property
    def description(self) -> str:
        """The SVG's `<desc>`: what the chart shows, in words."""
        text = _(
            "Fravær uke for uke fra %(start)s til %(until)s: %(days)s, %(lessons)s og %(late)s."
        ) % {
            "start": date_format(self.start, "d.m.Y"),
            "until": date_format(self.until, "d.m.Y"),
            "days": _whole_days(self.days),
            "lessons": ngettext("%(n)s enkelttime", "%(n)s enkelttimer", self.lessons)
            % {"n": self.lessons},
            "late": _late(self.late),
        }
        if self.markers:
            text += " " + ngettext(
                "%(n)s hendelse i saken er markert.",
                "%(n)s hendelser i saken er markert.",
                len(self.markers),
            ) % {"n": len(self.markers)}
        return text

    # The print variant's geometry (templates/plans/pdf/_effect_chart.html): one path
    # per series instead of an element per week, so that a year of weeks stays a few
    # dozen SVG nodes for WeasyPrint (a PDF has no pointer to show a week's title).

    @property
    def holiday_path(self) -> str:
        return _bars((w.x, self.top, w.width, self.plot_height) for w in self.weeks if w.holiday)

    @property
    def days_path(self) -> str:
        return _bars(
            (w.x, w.days_y, w.width, w.days_height) for w in self.weeks if w.days and not w.holiday
        )

    @property
    def lessons_path(self) -> str:
        return _bars(
            (w.x, w.lessons_y, w.width, w.lessons_height)
            for w in self.weeks
            if w.lessons and not w.holiday
        )

    @property
    def late_weeks(self) -> list[ChartWeek]:
        return [w for w in self.weeks if w.late and not w.holiday]

    @property
    def month_weeks(self) -> list[ChartWeek]:
        return [w for w in self.weeks if w.month_label]

    @property
    def marker_halo_path(self) -> str:
        """The markers' lines' white halo, all in one path."""
        return " ".join(f"M{_n(m.x)} {_n(m.label_y + 7)}V{self.base}" for m in self.markers)

    @property
    def marker_line_paths(self) -> list[dict]:
        """The markers' lines, one path per dash pattern (a kind of marker)."""
        by_dash: dict[str, list[str]] = {}
        for m in self.markers:
            by_dash.setdefault(m.dash, []).append(f"M{_n(m.x)} {_n(m.label_y + 7)}V{self.base}")
        return [{"dash": dash, "d": " ".join(parts)} for dash, parts in by_dash.items()]


def _n(value: float) -> str:
    """A number for SVG path data: never localised, no trailing ".0"."""
    return f"{value:g}" if value != int(value) else str(int(value))


def _bars(rects) -> str:
    """Rectangles (x, y, width, height) as one SVG path's data."""
    return " ".join(
        f"M{_n(x)} {_n(y)}h{_n(w)}v{_n(h)}h-{_n(w)}z" for x, y, w, h in rects if w and h
    )


# --- reading -------------------------------------------------------------------------


def case_group(case: Case, today: dt.date) -> Group | None:
    """The pupil's class at the case's school: today's, else the latest one (a pupil
    who has left). It gives the lessons per day and the school year. One query."""
    enrollment = (
        Enrollment.objects.filter(pupil_id=case.pupil_id, group__school_id=case.school_id)
        .filter(start__lte=today)
        .select_related("group__school_year")
        .order_by("-start", "-pk")
        .first()
    )
    return enrollment.group if enrollment else None


@dataclass
class AbsenceYear:
    """What the chart and the timetable both read: the pupil's class at the case's
    school, the school year up to today, the school's calendar and the absence by date
    and subject (`fravaer.queries.day_figures`)."""

    group: Group
    start: dt.date
    until: dt.date
    calendar: SchoolCalendar
    figures: list[DayFigures]

    @property
    def lessons_per_day(self) -> int:
        return self.group.lessons_per_day


def absence_year(case: Case, *, today: dt.date) -> AbsenceYear | None:
    """The school year of the pupil's class at the case's school, up to today (or the
    year's end), with its calendar and absence. None when the pupil has no class there.
    Three queries."""
    group = case_group(case, today)
    if group is None:
        return None
    start, until = group.school_year.start, min(today, group.school_year.end)
    return AbsenceYear(
        group=group,
        start=start,
        until=until,
        calendar=SchoolCalendar.for_school(case.school_id, start, until),
        figures=day_figures(case.pupil, start=start, until=until),
    )


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _markers(case: Case, *, start: dt.date, until: dt.date) -> list[Marker]:
    """The case's turning points from `start` to `until`, in date order. Four
    queries."""
    markers: list[Marker] = []
    levels = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.LEVEL_CHANGED).only(
        "at", "level_from", "level_to"
    )
    for event in levels:
        to = Level(event.level_to).label if event.level_to in Level.values else event.level_to
        markers.append(
            Marker(
                timezone.localtime(event.at).date(),
                MarkerKind.LEVEL,
                _("Nytt nivå: %(level)s") % {"level": to},
            )
        )
    versions = PlanVersion.objects.filter(agreement__case=case, agreed_on__isnull=False).only(
        "number", "agreed_on"
    )
    for version in versions:
        markers.append(
            Marker(
                version.agreed_on,
                MarkerKind.PLAN,
                _("Tiltaksplan versjon %(n)s avtalt") % {"n": version.number},
            )
        )
    measures = Measure.objects.filter(
        version__agreement__case=case,
        version__status__in=[PlanVersion.Status.AGREED, PlanVersion.Status.SUPERSEDED],
    ).only("what", "starts_on", "ends_on", "continues_id")
    for measure in measures:
        what = measure.what if len(measure.what) <= 60 else measure.what[:59] + "…"
        # A measure carried into a newer version goes on; it did not start again.
        if measure.continues_id is None:
            markers.append(
                Marker(
                    measure.starts_on,
                    MarkerKind.MEASURE_START,
                    _("Tiltak starter: %(what)s") % {"what": what},
                )
            )
        if measure.ends_on:
            markers.append(
                Marker(
                    measure.ends_on,
                    MarkerKind.MEASURE_END,
                    _("Tiltak slutter: %(what)s") % {"what": what},
                )
            )
    evaluations = Evaluation.objects.filter(case=case).only("held_on", "outcome")
    for evaluation in evaluations:
        markers.append(
            Marker(
                evaluation.held_on,
                MarkerKind.EVALUATION,
                _("Evaluering: %(outcome)s") % {"outcome": evaluation.get_outcome_display()},
            )
        )
    # The same measure in two versions ends on the same day once.
    unique = {(m.on, m.kind, m.text): m for m in markers if start <= m.on <= until}
    return sorted(unique.values(), key=lambda m: (m.on, m.kind, m.text))


def _weeks(
    figures: list[DayFigures],
    calendar: SchoolCalendar,
    *,
    start: dt.date,
    until: dt.date,
    lessons_per_day: int,
) -> list[ChartWeek]:
    weeks: list[ChartWeek] = []
    by_monday: dict[dt.date, ChartWeek] = {}
    monday = monday_of(start)
    while monday <= until:
        first, last = max(monday, start), min(monday + dt.timedelta(days=6), until)
        week = ChartWeek(
            monday,
            school_days=calendar.count_school_days(first, last),
            lessons_per_day=lessons_per_day,
        )
        weeks.append(week)
        by_monday[monday] = week
        monday += WEEK
    for row in figures:
        week = by_monday[monday_of(row.date)]
        week.days += row.days
        week.lessons += row.hours
        week.late += row.late
    return weeks


def _lay_out(chart: EffectChart) -> None:
    """The SVG's geometry: one slot per week, the bars on a fixed scale (a whole
    school week absent reaches the top), the markers at their day in the week."""
    weeks = chart.weeks
    plot = chart.right - chart.left
    slot = plot / max(len(weeks), 1)
    full_week = 5 * chart.lessons_per_day
    peak = max([w.absent_lessons for w in weeks] + [full_week, 1])
    scale = (chart.base - chart.top) / peak
    chart.gridlines = [
        Gridline(
            round(chart.base - d * chart.lessons_per_day * scale, 1), d * chart.lessons_per_day
        )
        for d in range(0, 6)
    ]
    month = None
    for i, week in enumerate(weeks):
        week.x = round(chart.left + i * slot + slot * 0.15, 1)
        week.width = round(slot * 0.7, 1)
        week.center = round(chart.left + i * slot + slot / 2, 1)
        week.days_height = round(week.days * chart.lessons_per_day * scale, 1)
        week.days_y = round(chart.base - week.days_height, 1)
        week.lessons_height = round(week.lessons * scale, 1)
        week.lessons_y = round(week.days_y - week.lessons_height, 1)
        # A month's name under its first week (every other month on a full year, so
        # the names do not collide).
        first_of_week_month = (week.monday + dt.timedelta(days=3)).month
        if first_of_week_month != month:
            month = first_of_week_month
            if len(weeks) <= 26 or month % 2 == 0:
                week.month_label = date_format(week.monday + dt.timedelta(days=3), "b")
    index = {w.monday: i for i, w in enumerate(weeks)}
    # Markers on the same day share one label ("2–6"): their lines coincide, and three
    # rows of numbers cannot hold them all.
    heads: list[Marker] = []
    for number, marker in enumerate(chart.markers, start=1):
        marker.number = number
        i = index[monday_of(marker.on)]
        marker.x = round(chart.left + i * slot + slot * (marker.on.weekday() + 0.5) / 7, 1)
        weeks[i].markers.append(marker)
        if heads and heads[-1].on == marker.on:
            head = heads[-1]
            head.label = f"{head.number}–{number}"
            head.label_width = 8.0 + 6.0 * len(head.label)
            head.label_title += f"; {marker.text}"
            marker.label = ""
        else:
            marker.label = str(number)
            marker.label_title = f"{date_format(marker.on, 'd.m.Y')}: {marker.text}"
            heads.append(marker)
    # Each label goes in the first row where it clears the row's last label, so that
    # markers a few days apart stay readable; when none does, the row with most room.
    right = [float("-inf")] * len(LABEL_ROWS)
    for head in heads:
        row = next(
            (r for r, edge in enumerate(right) if head.label_left - edge >= LABEL_SPACING - 16),
            min(range(len(right)), key=lambda r: right[r]),
        )
        right[row] = head.x + head.label_width / 2
        head.label_y = LABEL_ROWS[row]
    for marker in chart.markers:
        if not marker.label:
            marker.label_y = next(h.label_y for h in heads if h.on == marker.on)


def effect_chart(
    case: Case, *, today: dt.date, year: AbsenceYear | None = None
) -> EffectChart | None:
    """The case's effect chart over the school year of the pupil's class at the case's
    school, up to today (or the year's end). None when the pupil has no class there.
    Seven queries; four with `year` read already (`absence_year`)."""
    year = year or absence_year(case, today=today)
    if year is None:
        return None
    chart = EffectChart(
        case=case,
        start=year.start,
        until=year.until,
        lessons_per_day=year.lessons_per_day,
        weeks=_weeks(
            year.figures,
            year.calendar,
            start=year.start,
            until=year.until,
            lessons_per_day=year.lessons_per_day,
        ),
        markers=_markers(case, start=year.start, until=year.until),
    )
    _lay_out(chart)
    return chart
