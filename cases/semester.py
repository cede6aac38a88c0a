"""The semester status of a school, for the system meeting at the end of each semester
(seed 000 p. 10): absence by class and grade, flags raised by rule, cases opened,
closed and escalated per level, time spent at each level, and deadlines met or
missed. The figures come from the same reads as the monthly rollup
(`fravaer.queries.period_by_group`, the contributors of `fravaer.rollups` and
`cases.rollups`) over the semester instead of a month; `plans` adds its part
(evaluation outcomes, attendance after plans) as a page panel. A fixed number of
queries whatever the number of pupils and cases. No names of pupils."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from cases.models import CaseEvent, Level
from cases.rollups import MET, MISSED
from cases.rollups import cases as case_figures
from cases.rollups import deadlines as deadline_figures
from fravaer.models import School
from fravaer.queries import AbsenceTotals, period_by_group
from fravaer.rollups import TOTAL, aware_bounds
from fravaer.rollups import flags as flag_figures
from fravaer.thresholds import RULE_LIST

AUTUMN, SPRING = "h", "v"


@dataclass(frozen=True)
class Semester:
    """Autumn: August to December; spring: January to June."""

    year: int
    part: str

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, 8, 1) if self.part == AUTUMN else dt.date(self.year, 1, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.year, 12, 31) if self.part == AUTUMN else dt.date(self.year, 6, 30)

    @property
    def code(self) -> str:
        return f"{self.year}-{self.part}"

    @property
    def label(self) -> str:
        if self.part == AUTUMN:
            return str(_("Høsten %(year)s") % {"year": self.year})
        return str(_("Våren %(year)s") % {"year": self.year})

    @classmethod
    def parse(cls, code: str) -> Semester | None:
        year, _sep, part = code.partition("-")
        if not (year.isascii() and year.isdigit() and len(year) == 4 and part in (AUTUMN, SPRING)):
            return None
        return cls(int(year), part)

    @classmethod
    def of(cls, day: dt.date) -> Semester:
        """The semester `day` falls in; July belongs to the spring before it."""
        return cls(day.year, AUTUMN if day.month >= 8 else SPRING)

    def previous(self) -> Semester:
        return (
            Semester(self.year, SPRING) if self.part == AUTUMN else Semester(self.year - 1, AUTUMN)
        )


def recent_semesters(today: dt.date, n: int = 4) -> list[Semester]:
    semesters = [Semester.of(today)]
    while len(semesters) < n:
        semesters.append(semesters[-1].previous())
    return semesters


def share(absent: int, scheduled: int) -> str:
    if not scheduled:
        return "–"
    return f"{number_format(round(100 * absent / scheduled, 1), 1)} %"


@dataclass
class AbsenceLine:
    label: str
    pupils: int
    totals: AbsenceTotals

    @property
    def rate(self) -> str:
        return share(self.totals.absent_lessons, self.totals.scheduled_lessons)


@dataclass
class CountLine:
    label: str
    counts: list[int]
    pupils: int = 0


@dataclass
class SemesterStatus:
    school: School
    semester: Semester
    until: dt.date
    classes: list[AbsenceLine] = field(default_factory=list)
    grades: list[AbsenceLine] = field(default_factory=list)
    school_total: AbsenceLine | None = None
    flags: list[CountLine] = field(default_factory=list)
    levels: list[CountLine] = field(default_factory=list)  # opened, closed, escalated
    time_at_level: list[tuple[str, int, str]] = field(default_factory=list)
    deadlines_met: int = 0
    deadlines_missed: int = 0

    @property
    def deadline_share(self) -> str:
        return share(self.deadlines_met, self.deadlines_met + self.deadlines_missed)


def _absence(status: SemesterStatus, first: dt.date, last: dt.date) -> None:
    groups = period_by_group([status.school.pk], first, last)
    by_grade: dict[int, tuple[AbsenceTotals, set[int]]] = {}
    everyone: set[int] = set()
    whole = AbsenceTotals()
    for g in groups:
        status.classes.append(AbsenceLine(g.name, g.pupils, g.totals))
        totals, pupils = by_grade.setdefault(g.grade, (AbsenceTotals(), set()))
        for t in (totals, whole):
            t.absent_lessons += g.totals.absent_lessons
            t.scheduled_lessons += g.totals.scheduled_lessons
            t.days += g.totals.days
            t.hours += g.totals.hours
            t.late += g.totals.late
        pupils |= g.pupil_ids
        everyone |= g.pupil_ids
    for grade in sorted(by_grade):
        totals, pupils = by_grade[grade]
        label = str(_("%(grade)s. trinn") % {"grade": grade})
        status.grades.append(AbsenceLine(label, len(pupils), totals))
    status.school_total = AbsenceLine(str(_("Hele skolen")), len(everyone), whole)


def _time_at_level(school: School, first: dt.date, last: dt.date):
    """Median days a case stayed at each level, over the stays that ended in the
    semester (the case moved on or closed), from the timeline's openings, level
    changes, closings and reopenings. One query."""
    start, end = aware_bounds(first, last)
    events = (
        CaseEvent.objects.filter(
            case__school=school,
            kind__in=[
                CaseEvent.Kind.OPENED,
                CaseEvent.Kind.LEVEL_CHANGED,
                CaseEvent.Kind.CLOSED,
                CaseEvent.Kind.REOPENED,
            ],
            at__lt=end,
        )
        .order_by("case_id", "at", "pk")
        .values_list("case_id", "kind", "at", "level_to")
    )
    stays: dict[str, list[int]] = defaultdict(list)
    current: dict[int, tuple[str, dt.datetime]] = {}
    for case_id, kind, at, level_to in events:
        held = current.pop(case_id, None)
        if held is not None and at >= start:
            stays[held[0]].append((at - held[1]).days)
        if kind == CaseEvent.Kind.CLOSED:
            continue
        level = level_to or (held[0] if held else Level.NIVA_0)
        current[case_id] = (level, at)
    out = []
    for level in Level:
        days = stays.get(str(level.value), [])
        median = number_format(statistics.median(days), 1) if days else "–"
        out.append((level.label, len(days), median))
    return out


def semester_status(school: School, semester: Semester, today: dt.date) -> SemesterStatus:
    last = min(semester.last, today)
    status = SemesterStatus(school, semester, last)
    if last < semester.first:
        return status
    _absence(status, semester.first, last)
    ids = [school.pk]
    flags = {f.key: f for f in flag_figures.compute(ids, semester.first, last, today=today)}
    for rule in RULE_LIST:
        f = flags.get(rule.code)
        if f is not None:
            status.flags.append(CountLine(str(rule.name), [f.value], f.pupils))
    figures = defaultdict(dict)
    for f in case_figures.compute(ids, semester.first, semester.last, today=today):
        figures[f.metric][f.key] = f.value
    for metric, label in (
        ("cases_opened", _("Opprettet")),
        ("cases_closed", _("Avsluttet")),
        ("cases_escalated", _("Flyttet opp til nivået")),
        ("cases_open", _("Åpne ved slutten")),
    ):
        row = figures.get(metric, {})
        counts = [row.get(str(level.value), 0) for level in Level]
        status.levels.append(CountLine(str(label), counts, row.get(TOTAL, 0)))
    status.time_at_level = _time_at_level(school, semester.first, last)
    for f in deadline_figures.compute(ids, semester.first, last, today=today):
        if f.key == MET:
            status.deadlines_met = f.value
        elif f.key == MISSED:
            status.deadlines_missed = f.value
    return status


def level_labels() -> list[str]:
    return [str(level.label) for level in Level]
