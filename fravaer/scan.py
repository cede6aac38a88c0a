"""Absence figures for the threshold engine, computed set-based.

`load_figures` answers for a whole scope (one school, many schools or a few pupils)
with a fixed number of statements, whatever the number of pupils: one per kind of
figure, never one per pupil. The rules in `fravaer.thresholds` then run in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    NonSchoolDay,
    SchoolYear,
)
from fravaer.schooldays import SchoolCalendar
from fravaer.thresholds import (
    FIFTEEN_WEEKS_DAYS,
    FORTNIGHT_DAYS,
    PATTERN_LONG_DAYS,
    MonthFigures,
    PupilFigures,
    RecentRecord,
    window,
)


@dataclass(frozen=True)
class Scope:
    """Which pupils a scan covers: those enrolled on the scan date in groups of the
    given schools, or the given pupils (after a save of their absence)."""

    school_ids: tuple[int, ...] | None = None
    pupil_ids: tuple[int, ...] | None = None

    def enrollments(self, as_of: dt.date) -> QuerySet[Enrollment]:
        year_start, _ = SchoolYear.bounds_for(as_of)
        qs = Enrollment.objects.filter(
            Q(end__isnull=True) | Q(end__gte=as_of),
            start__lte=as_of,
            group__school_year__start=year_start,
        )
        if self.school_ids is not None:
            qs = qs.filter(group__school_id__in=self.school_ids)
        if self.pupil_ids is not None:
            qs = qs.filter(pupil_id__in=self.pupil_ids)
        return qs


@dataclass
class PupilPlace:
    pupil_id: int
    group_id: int
    school_id: int
    municipality_id: int
    lessons_per_day: int


@dataclass
class ScanInput:
    as_of: dt.date
    places: dict[int, PupilPlace]
    figures: dict[int, PupilFigures]
    calendars: dict[int, SchoolCalendar] = field(default_factory=dict)


def first_days_after_break(calendar: SchoolCalendar, start: dt.date, end: dt.date) -> frozenset:
    """School days whose previous calendar day was not a school day (Mondays after a
    weekend, the first day after a holiday)."""
    return frozenset(
        day
        for day in calendar.school_days(start, end)
        if not calendar.is_school_day(day - dt.timedelta(days=1))
    )


def _months(year_start: dt.date, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The calendar months from the school year's start to the scan date, as
    (first day, first day of the next month)."""
    months = []
    first = year_start.replace(day=1)
    while first <= as_of:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        months.append((first, following))
        first = following
    return months


def _integer_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a query whose columns are all integers, as the database returns
    them: Django's per-value converters would cost more than the query itself here
    (a row per pupil, a column per figure and month)."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_figures(scope: Scope, as_of: dt.date) -> ScanInput:
    """Six statements for the whole scope."""
    year_start, year_end = SchoolYear.bounds_for(as_of)
    fortnight_start, _ = window(as_of, FORTNIGHT_DAYS)
    weeks15_start, _ = window(as_of, FIFTEEN_WEEKS_DAYS)
    recent_start, _ = window(as_of, PATTERN_LONG_DAYS)
    earliest = min(year_start, weeks15_start)

    # 1. Who is in scope, and where.
    enrollments = scope.enrollments(as_of)
    places: dict[int, PupilPlace] = {}
    for row in enrollments.order_by("start").values_list(
        "pupil_id",
        "group_id",
        "group__school_id",
        "group__school__municipality_id",
        "group__lessons_per_day",
    ):
        places[row[0]] = PupilPlace(*row)
    if not places:
        return ScanInput(as_of, {}, {})
    in_scope = enrollments.values("pupil_id")

    # 2. The schools' calendars.
    school_ids = {p.school_id for p in places.values()}
    closed: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for school_id, day, name in NonSchoolDay.objects.filter(
        school_id__in=school_ids, date__gte=earliest, date__lte=as_of
    ).values_list("school_id", "date", "name"):
        closed[school_id][day] = name
    calendars = {sid: SchoolCalendar(closed[sid]) for sid in school_ids}
    fortnight_school_days = {
        sid: cal.count_school_days(fortnight_start, as_of) for sid, cal in calendars.items()
    }
    after_break = {
        sid: first_days_after_break(cal, recent_start, as_of) for sid, cal in calendars.items()
    }

    figures = {
        pupil_id: PupilFigures(
            pupil_id=pupil_id,
            as_of=as_of,
            year_start=year_start,
            year_end=year_end,
            lessons_per_day=place.lessons_per_day,
            fortnight_school_days=fortnight_school_days[place.school_id],
            first_days_after_break=after_break[place.school_id],
        )
        for pupil_id, place in places.items()
    }

    # 3. Illness reasons (documented illness suggests the school nurse).
    illness = list(
        AbsenceReason.objects.filter(code=AbsenceReason.ILLNESS).values_list("pk", flat=True)
    )
    records = AbsenceRecord.objects.current().filter(pupil_id__in=in_scope, date__lte=as_of)
    day, lesson, late = Q(kind="day"), Q(kind="lesson"), Q(kind="late")

    # 4. Year, window and month totals: one pass, one row per pupil.
    totals = {
        "year_days": Count("pk", filter=day & Q(date__gte=year_start)),
        "illness_days": Count(
            "pk", filter=day & Q(date__gte=year_start, documented=True, reason_id__in=illness)
        ),
        "fortnight_days": Count("pk", filter=day & Q(date__gte=fortnight_start)),
        "fortnight_hours": Sum("lessons", filter=lesson & Q(date__gte=fortnight_start), default=0),
        "weeks15_days": Count("pk", filter=day & Q(date__gte=weeks15_start)),
        "weeks15_hours": Sum("lessons", filter=lesson & Q(date__gte=weeks15_start), default=0),
    }
    months = _months(year_start, as_of)
    for n, (first, following) in enumerate(months):
        in_month = Q(date__gte=first, date__lt=following)
        totals[f"m{n}_days"] = Count("pk", filter=day & in_month)
        totals[f"m{n}_hours"] = Sum("lessons", filter=lesson & in_month, default=0)
        totals[f"m{n}_late"] = Count("pk", filter=late & in_month)
    month_keys = [(first.year, first.month) for first, _following in months]
    for row in _integer_rows(
        records.filter(date__gte=earliest)
        .values("pupil_id")
        .annotate(**totals)
        .values_list("pupil_id", *totals)
    ):
        f = figures[row[0]]
        (
            f.year_days,
            f.illness_days,
            f.fortnight_days,
            f.fortnight_hours,
            f.weeks15_days,
            f.weeks15_hours,
        ) = row[1:7]
        for key, days, hours, late_ in zip(
            month_keys, row[7::3], row[8::3], row[9::3], strict=True
        ):
            # A month with any record has a non-zero figure (lessons are positive).
            if days or hours or late_:
                f.months[key] = MonthFigures(days, hours, late_)

    # 5. Undocumented absence with no contact with the home logged on or after its date.
    contact_after = ContactLog.objects.filter(
        pupil_id=OuterRef("pupil_id"),
        counterpart__in=[ContactLog.Counterpart.GUARDIAN, ContactLog.Counterpart.BOTH],
        contacted_at__date__gte=OuterRef("date"),
    )
    for record_id, pupil_id, day_ in (
        records.filter(date__gte=year_start, documented=False)
        .filter(~Exists(contact_after))
        .values_list("pk", "pupil_id", "date")
    ):
        figures[pupil_id].undocumented.append((record_id, day_))

    # 6. The last eight weeks, record by record, for the patterns.
    for record_id, pupil_id, day_, kind, lessons, subject in records.filter(
        date__gte=recent_start
    ).values_list("pk", "pupil_id", "date", "kind", "lessons", "subject"):
        figures[pupil_id].recent.append(
            RecentRecord(record_id, day_, kind, lessons or 0, subject or "")
        )
    return ScanInput(as_of, places, figures, calendars)
