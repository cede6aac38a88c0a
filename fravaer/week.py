"""The contact teacher's week (issue #15, §2): per class they are contact teacher of,
who was absent (days, lessons, late arrivals), undocumented absence still waiting for
contact with the home, the week's new flags and patterns, and the school days whose
register nobody took. A read module: a fixed number of queries whatever the number of
classes and pupils (`week_summary`: six).

A week runs Monday to Sunday in `Europe/Oslo`, named by its ISO week ("2026-W47").
The cases app adds the deadlines of the user's cases through the page panel "week"
(`fravaer.panels`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from fravaer.models import (
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Flag,
    Group,
    NonSchoolDay,
    Pupil,
    RegisterTaken,
)
from fravaer.queries import is_pattern
from fravaer.schooldays import SchoolCalendar

ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    monday: dt.date

    @classmethod
    def of(cls, day: dt.date) -> Week:
        return cls(day - dt.timedelta(days=day.weekday()))

    @classmethod
    def parse(cls, value: str) -> Week | None:
        """ "2026-W47" → that week; None for anything else (or a week that does not
        exist, such as W53 of most years)."""
        match = ISO_WEEK.match(value.strip())
        if not match:
            return None
        try:
            return cls(dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
        except ValueError:
            return None

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def friday(self) -> dt.date:
        return self.monday + dt.timedelta(days=4)

    @property
    def number(self) -> int:
        return self.monday.isocalendar().week

    @property
    def key(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    def shifted(self, weeks: int) -> Week:
        return Week(self.monday + dt.timedelta(weeks=weeks))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Monday 00:00 to the next Monday 00:00 in the site's time zone."""
        tz = timezone.get_default_timezone()
        start = dt.datetime.combine(self.monday, dt.time(), tzinfo=tz)
        end = dt.datetime.combine(self.monday + dt.timedelta(days=7), dt.time(), tzinfo=tz)
        return start, end


@dataclass
class AbsentPupil:
    pupil: Pupil
    days: int = 0
    lessons: int = 0
    late: int = 0
    undocumented: int = 0


@dataclass
class PupilRules:
    """One pupil's new flags of the week, one line: each rule's name once, with how
    many periods it fired for (`month_hours` for three months: 3)."""

    pupil: Pupil
    rules: dict[str, int] = field(default_factory=dict)  # rule name → flags


def _by_pupil(flags) -> list[PupilRules]:
    found: dict[int, PupilRules] = {}
    for flag in flags:
        entry = found.setdefault(flag.pupil_id, PupilRules(flag.pupil))
        name = str(flag.definition.name)
        entry.rules[name] = entry.rules.get(name, 0) + 1
    return list(found.values())


@dataclass
class ClassWeek:
    group: Group
    absent: list[AbsentPupil] = field(default_factory=list)
    # Undocumented records (any date this school year up to the week's end) that no
    # contact with the home answers yet: (pupil, record), the newest first.
    awaiting: list[tuple[Pupil, AbsenceRecord]] = field(default_factory=list)

    @property
    def awaiting_by_pupil(self) -> list[tuple[Pupil, list[AbsenceRecord]]]:
        """`awaiting` one line a pupil: the pupil with the newest first, their records
        newest first."""
        found: dict[int, tuple[Pupil, list[AbsenceRecord]]] = {}
        for pupil, record in self.awaiting:
            found.setdefault(pupil.pk, (pupil, []))[1].append(record)
        return list(found.values())

    flags: list[Flag] = field(default_factory=list)  # raised this week, patterns included
    missing_registers: list[dt.date] = field(default_factory=list)

    @property
    def new_flags(self) -> list[PupilRules]:
        return _by_pupil(f for f in self.flags if not is_pattern(f.rule))

    @property
    def new_patterns(self) -> list[PupilRules]:
        return _by_pupil(f for f in self.flags if is_pattern(f.rule))

    @property
    def quiet(self) -> bool:
        return not (self.absent or self.awaiting or self.flags or self.missing_registers)


def awaiting_contact_q() -> Q:
    """The filter of `queries.awaiting_contact` for many pupils at once: undocumented
    current absence that no contact reaching the home on or after its date answers,
    and whose flag nobody acknowledged."""
    contact_after = ContactLog.answering(pupil=OuterRef("pupil_id"), day=OuterRef("date"))
    acknowledged = Flag.objects.filter(
        record_id=OuterRef("pk"), rule="undocumented", status=Flag.Status.ACKNOWLEDGED
    )
    return Q(documented=False) & ~Q(Exists(contact_after)) & ~Q(Exists(acknowledged))


def week_summary(groups: list[Group], week: Week, *, today: dt.date) -> list[ClassWeek]:
    """The week of each of `groups` (with `school_year` loaded), in their order. Six
    queries, none when there is no group: the pupils, the week's absence by pupil, the
    absence waiting for contact, the week's flags, the closed days and the registers
    taken."""
    if not groups:
        return []
    by_id = {g.pk: ClassWeek(g) for g in groups}
    # A pupil counts in the class they were in during the week (the latest enrollment
    # if they moved), so a pupil who left on Wednesday is still in Monday's figures.
    enrollments = (
        Enrollment.objects.overlapping(week.monday, week.sunday)
        .filter(group_id__in=by_id)
        .select_related("pupil")
        .order_by("pupil__last_name", "pupil__first_name", "start")
    )
    group_of: dict[int, int] = {}
    pupils: dict[int, Pupil] = {}
    for enrollment in enrollments:
        group_of[enrollment.pupil_id] = enrollment.group_id
        pupils[enrollment.pupil_id] = enrollment.pupil
    if pupils:
        _absence(by_id, pupils, group_of, week)
        _awaiting(by_id, pupils, group_of, week, groups)
        _flags(by_id, pupils, group_of, week)
    _missing_registers(by_id, groups, week, today)
    return list(by_id.values())


def _absence(by_id, pupils, group_of, week: Week) -> None:
    day, lesson, late = (Q(kind=k) for k in ("day", "lesson", "late"))
    rows = (
        AbsenceRecord.objects.current()
        .filter(pupil_id__in=pupils, date__gte=week.monday, date__lte=week.sunday)
        .values("pupil_id")
        .annotate(
            days=Count("pk", filter=day),
            lessons=Sum("lessons", filter=lesson, default=0),
            late=Count("pk", filter=late),
            undocumented=Count("pk", filter=Q(documented=False)),
        )
    )
    found = {row["pupil_id"]: row for row in rows}
    for pupil_id, pupil in pupils.items():  # in name order
        row = found.get(pupil_id)
        if row is None:
            continue
        by_id[group_of[pupil_id]].absent.append(
            AbsentPupil(pupil, row["days"], row["lessons"], row["late"], row["undocumented"])
        )


def _awaiting(by_id, pupils, group_of, week: Week, groups: list[Group]) -> None:
    since = min(g.school_year.start for g in groups)
    records = (
        AbsenceRecord.objects.current()
        .filter(pupil_id__in=pupils, date__gte=since, date__lte=week.sunday)
        .filter(awaiting_contact_q())
        .order_by("-date", "pk")
    )
    for record in records:
        by_id[group_of[record.pupil_id]].awaiting.append((pupils[record.pupil_id], record))


def _flags(by_id, pupils, group_of, week: Week) -> None:
    start, end = week.bounds()
    flags = Flag.objects.filter(
        pupil_id__in=pupils, raised_at__gte=start, raised_at__lt=end
    ).order_by("-raised_at", "-pk")
    for flag in flags:
        flag.pupil = pupils[flag.pupil_id]  # already loaded: no query per flag
        by_id[group_of[flag.pupil_id]].flags.append(flag)


def _missing_registers(by_id, groups: list[Group], week: Week, today: dt.date) -> None:
    """School days of the week up to today (not later: a register is taken on the day)
    without a register saved for the class."""
    last = min(week.friday, today)
    if last < week.monday:
        return
    closed: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for school_id, date, name in NonSchoolDay.objects.filter(
        school_id__in={g.school_id for g in groups}, date__gte=week.monday, date__lte=last
    ).values_list("school_id", "date", "name"):
        closed[school_id].append((date, name))
    taken = set(
        RegisterTaken.objects.filter(
            group_id__in=by_id, date__gte=week.monday, date__lte=last
        ).values_list("group_id", "date")
    )
    for group in groups:
        calendar = SchoolCalendar.from_days(closed[group.school_id])
        year = group.school_year
        by_id[group.pk].missing_registers = [
            d
            for d in calendar.school_days(max(week.monday, year.start), min(last, year.end))
            if (group.pk, d) not in taken
        ]
