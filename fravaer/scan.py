"""Absence figures for the threshold engine, computed set-based.

`load_figures` answers for a whole scope (one school, many schools or a few pupils)
with a fixed number of statements, whatever the number of pupils: one per kind of
figure, never one per pupil. The rules in `fravaer.thresholds` then run in Python,
on the pupils within their reach (`fravaer.reach.reach`): the SQL returns the
figures of only those pupils, so a municipality where most pupils have little
absence costs little more than the one aggregate pass over its records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Exists, Max, OuterRef, QuerySet
from django.db.models.functions import TruncDate

from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    NonSchoolDay,
    SchoolYear,
)
from fravaer.reach import FIGURE_BITS, Reach, reach, rules_on
from fravaer.schooldays import SchoolCalendar
from fravaer.thresholds import (
    FIFTEEN_WEEKS_DAYS,
    FORTNIGHT_DAYS,
    PATTERN_LONG_DAYS,
    PATTERN_SHORT_DAYS,
    MonthFigures,
    PupilFigures,
    RecentRecord,
    RuleConfig,
    window,
)


@dataclass(frozen=True)
class Scope:
    """Which pupils a scan covers: those enrolled on the scan date in groups of the
    given schools, or the given pupils (after a save of their absence)."""

    school_ids: tuple[int, ...] | None = None
    pupil_ids: tuple[int, ...] | None = None
    # A slice of a larger scope (`slices`) leaves out the pupils enrolled in two of
    # its schools on the scan date whose latest enrollment is in another slice: each
    # pupil is scanned once, in the class the whole scope would place them in.
    exclude_pupil_ids: tuple[int, ...] = ()

    def enrollments(self, as_of: dt.date) -> QuerySet[Enrollment]:
        qs = _enrolled_on(as_of)
        if self.school_ids is not None:
            qs = qs.filter(group__school_id__in=self.school_ids)
        if self.pupil_ids is not None:
            qs = qs.filter(pupil_id__in=self.pupil_ids)
        if self.exclude_pupil_ids:
            qs = qs.exclude(pupil_id__in=self.exclude_pupil_ids)
        return qs

    def slices(self, as_of: dt.date) -> list[Scope]:
        """The scope cut into slices of whole schools, in school order, of about
        `SLICE_PUPILS` enrolled pupils each, so that a scan holds one
        slice's figures at a time whatever the size of the municipality: its memory
        is bounded by the slice, its statements grow with the slices. A school larger
        than a slice is a slice of its own. A scope of pupils (a rescan after a save)
        is one slice, without the counts; a scope of schools costs two statements
        (the pupils per school, and the few pupils enrolled in two schools), so that a
        scan's statements are a function of its slices alone."""
        if self.pupil_ids is not None or self.school_ids is None:
            return [self]
        sizes = dict(
            self.enrollments(as_of)
            .values("group__school_id")
            .annotate(n=Count("pupil_id", distinct=True))
            .values_list("group__school_id", "n")
        )
        parts: list[list[int]] = [[]]
        size = 0
        for school_id in sorted(sizes):
            if parts[-1] and size + sizes[school_id] > SLICE_PUPILS:
                parts.append([])
                size = 0
            parts[-1].append(school_id)
            size += sizes[school_id]
        # The school of each pupil enrolled in two schools: the latest enrollment's.
        in_two = (
            self.enrollments(as_of)
            .values("pupil_id")
            .annotate(schools=Count("group__school_id", distinct=True))
            .filter(schools__gt=1)
            .values("pupil_id")
        )
        latest_school = dict(
            self.enrollments(as_of)
            .filter(pupil_id__in=in_two)
            .order_by("start", "pk")
            .values_list("pupil_id", "group__school_id")
        )
        if len(parts) == 1:
            return [self]
        return [
            Scope(
                school_ids=tuple(part),
                exclude_pupil_ids=tuple(
                    sorted(p for p, school in latest_school.items() if school not in part)
                ),
            )
            for part in parts
        ]


def _enrolled_on(as_of: dt.date) -> QuerySet[Enrollment]:
    year_start, _ = SchoolYear.bounds_for(as_of)
    return Enrollment.objects.active_on(as_of).filter(group__school_year__start=year_start)


# Pupils per slice of a scan over many schools (`Scope.slices`). A slice's figures,
# records and flag keys took about 1.7 MB per 1 000 pupils at the peak (docs/bench.md),
# so 40 000 keep a scan of any municipality some 70 MB above the process's own, well
# under 256 MB; each slice reads the absence records again, so fewer are faster.
SLICE_PUPILS = 40_000


class PupilPlace(NamedTuple):
    pupil_id: int
    group_id: int
    school_id: int
    municipality_id: int
    lessons_per_day: int


@dataclass
class ScanInput:
    """`places`: every pupil in scope. `figures`: only the pupils within reach of
    some rule (`fravaer.reach.reach`) or with undocumented absence, and of their
    figures only those that some rule within reach reads; the rest are left at zero.
    `rules`: per pupil, the rules to evaluate; the others cannot fire."""

    as_of: dt.date
    places: dict[int, PupilPlace]
    figures: dict[int, PupilFigures]
    calendars: dict[int, SchoolCalendar] = field(default_factory=dict)
    configs: dict[int, dict[str, RuleConfig]] = field(default_factory=dict)
    reach: Reach = field(default_factory=lambda: Reach(everyone=True))
    # pupil → the rules within reach of their figures (None: evaluate every rule).
    rules: dict[int, frozenset[str]] | None = field(default_factory=dict)


UNDOCUMENTED = frozenset({"undocumented"})


ConfigsFor = Callable[[Iterable[int]], dict[int, dict[str, RuleConfig]]]


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


def raw_rows(queryset: QuerySet) -> Iterator[tuple]:
    """The rows of a query whose columns are integers or strings, as the database
    returns them, one at a time: Django's per-value converters would cost more than
    the query itself here (a row per pupil, a column per figure and month), and a
    list of every row would double the scan's memory."""
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. a scope of no schools
        return
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        yield from _batches(cursor)


def _batches(cursor) -> Iterator[tuple]:
    while rows := cursor.fetchmany(5000):
        yield from rows


def _default_configs(municipality_ids: Iterable[int]) -> dict[int, dict[str, RuleConfig]]:
    from fravaer.thresholds import default_config

    return {m: default_config() for m in municipality_ids}


def load_figures(scope: Scope, as_of: dt.date, configs_for: ConfigsFor | None = None) -> ScanInput:
    """Six statements for the whole scope, plus the rule settings (`configs_for`,
    by municipality; the defaults without it). With a rule that fires on no absence
    at all (a threshold of 0 on an "at least" rule), every pupil is evaluated for
    every rule."""
    year_start, year_end = SchoolYear.bounds_for(as_of)
    fortnight_start, _ = window(as_of, FORTNIGHT_DAYS)
    weeks15_start, _ = window(as_of, FIFTEEN_WEEKS_DAYS)
    recent_start, _ = window(as_of, PATTERN_LONG_DAYS)
    earliest = min(year_start, weeks15_start)

    # 1. Who is in scope, and where (the latest enrollment wins).
    enrollments = scope.enrollments(as_of)
    places: dict[int, PupilPlace] = {}
    for row in raw_rows(
        enrollments.order_by("start", "pk").values_list(
            "pupil_id",
            "group_id",
            "group__school_id",
            "group__school__municipality_id",
            "group__lessons_per_day",
        )
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

    # 3. The rules in force, and the least absence that can make them fire.
    configs = (configs_for or _default_configs)({p.municipality_id for p in places.values()})
    bounds = reach(
        configs.values(),
        fortnight_school_days=min(fortnight_school_days.values()),
        lessons_per_day=min(p.lessons_per_day for p in places.values()),
    )
    data = ScanInput(as_of, places, {}, calendars, configs, bounds)

    def figures_of(pupil_id: int) -> PupilFigures:
        f = data.figures.get(pupil_id)
        if f is None:
            place = places[pupil_id]
            f = data.figures[pupil_id] = PupilFigures(
                pupil_id=pupil_id,
                as_of=as_of,
                year_start=year_start,
                year_end=year_end,
                lessons_per_day=place.lessons_per_day,
                fortnight_school_days=fortnight_school_days[place.school_id],
                first_days_after_break=after_break[place.school_id],
            )
            if data.rules is not None:
                data.rules[pupil_id] = frozenset()
        return f

    if bounds.everyone:
        data.rules = None
        for pupil_id in places:
            figures_of(pupil_id)

    sql = _Sql(in_scope, as_of)
    records = AbsenceRecord.objects.current().filter(pupil_id__in=in_scope, date__lte=as_of)

    # 4. Year, window and month totals: one pass over the records, one row per pupil
    # within reach of a rule on them.
    months = _months(year_start, as_of)
    month_keys = [(first.year, first.month) for first, _following in months]
    for row in sql.totals(year_start, fortnight_start, weeks15_start, months, bounds):
        f = figures_of(row[0])
        (
            f.year_days,
            f.illness_days,
            f.fortnight_days,
            f.fortnight_hours,
            f.weeks15_days,
            f.weeks15_hours,
        ) = row[1:7]
        for key, days, hours, late in zip(
            month_keys, row[7:-1:3], row[8:-1:3], row[9:-1:3], strict=True
        ):
            # A month with any record has a non-zero figure (lessons are positive).
            if days or hours or late:
                f.months[key] = MonthFigures(days, hours, late)
        if data.rules is not None:
            data.rules[row[0]] |= rules_on(row[-1])

    # 5. Undocumented absence with no contact with the home logged on or after its date.
    contact_after = ContactLog.answering(pupil=OuterRef("pupil_id"), day=OuterRef("date"))
    # The latest try at the home that nobody answered, per pupil (one grouped read of
    # the few unanswered calls; a subquery per record cost a third of a repeat scan):
    # a record on or before it was tried after (a call logged before the absence came
    # in), so its flag is raised already handed over to the leaders and the team.
    latest_try = dict(
        ContactLog.objects.filter(
            ContactLog.tried_home_unanswered_q(),
            pupil_id__in=in_scope,
            contacted_at__date__gte=year_start,
        )
        .values("pupil_id")
        .annotate(latest=Max(TruncDate("contacted_at")))
        .values_list("pupil_id", "latest")
    )
    for record_id, pupil_id, day_ in (
        records.filter(date__gte=year_start, documented=False)
        .filter(~Exists(contact_after))
        .values_list("pk", "pupil_id", "date")
    ):
        figures = figures_of(pupil_id)
        figures.undocumented.append((record_id, day_))
        tried = latest_try.get(pupil_id)
        if tried is not None and tried >= day_:
            figures.no_answer[record_id] = tried
        if data.rules is not None:
            data.rules[pupil_id] |= UNDOCUMENTED

    # 6. The last eight weeks, record by record, for the patterns: only the records of
    # pupils within reach of a pattern rule.
    if bounds.patterns:
        all_after_break = sorted(set().union(*after_break.values()))
        known = data.figures.get
        seen: set[int] = set()
        for record_id, pupil_id, day_, kind, lessons, subject, reached in sql.recent(
            recent_start, all_after_break, bounds
        ):
            if type(day_) is str:  # SQLite returns dates as text
                day_ = dt.date.fromisoformat(day_)
            f = known(pupil_id) or figures_of(pupil_id)
            f.recent.append(RecentRecord(record_id, day_, kind, lessons or 0, subject or ""))
            if pupil_id not in seen:
                seen.add(pupil_id)
                if data.rules is not None:
                    data.rules[pupil_id] |= rules_on(reached)
    return data


def _date(day: dt.date) -> str:
    return f"'{day.isoformat()}'"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _lessons(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN r.lessons ELSE 0 END)"


def _reached(conditions: dict[str, list[str]]) -> str:
    """The bits (`fravaer.reach.FIGURE_BITS`) of the bounds reached, as SQL."""
    terms = [
        f"CASE WHEN {' OR '.join(f'({c})' for c in any_of)} THEN {FIGURE_BITS[name]} ELSE 0 END"
        for name, any_of in conditions.items()
        if any_of
    ]
    return " + ".join(terms) or "0"


class _Sql:
    """The two passes over the absence records, in SQL that PostgreSQL and SQLite
    both run. Dates and kinds are the code's own values, written as literals; the
    scope's values stay parameters. Each pass computes per pupil which bounds of
    `fravaer.reach.reach` the pupil's sums reach, as bits in one integer, and
    returns only pupils who reach one."""

    DAY, LESSON, LATE = "r.kind = 'day'", "r.kind = 'lesson'", "r.kind = 'late'"

    def __init__(self, in_scope: QuerySet, as_of: dt.date) -> None:
        self.db = in_scope.db
        self.scope_sql, self.scope_params = in_scope.query.get_compiler(self.db).as_sql()
        self.as_of = as_of
        quote = connections[self.db].ops.quote_name
        self.records = quote(AbsenceRecord._meta.db_table)
        self.reasons = quote(AbsenceReason._meta.db_table)

    def _rows(self, sql: str) -> Iterator[tuple]:
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, self.scope_params)
            yield from _batches(cursor)

    def _from(self, start: dt.date) -> str:
        return (
            f"FROM {self.records} r WHERE r.deleted_at IS NULL AND r.date >= {_date(start)} "
            f"AND r.date <= {_date(self.as_of)} AND r.pupil_id IN ({self.scope_sql})"
        )

    def totals(
        self,
        year_start: dt.date,
        fortnight_start: dt.date,
        weeks15_start: dt.date,
        months: list[tuple[dt.date, dt.date]],
        bounds: Reach,
    ) -> Iterator[tuple]:
        """pupil_id, the six year and window figures, days, hours and late arrivals
        per month, and the bits of the bounds reached."""
        day, lesson, late = self.DAY, self.LESSON, self.LATE
        year = f"r.date >= {_date(year_start)}"
        illness_reasons = f"SELECT a.id FROM {self.reasons} a WHERE a.code = 'illness'"  # noqa: S608
        illness = f"r.documented AND r.reason_id IN ({illness_reasons})"
        fortnight = f"r.date >= {_date(fortnight_start)}"
        weeks15 = f"r.date >= {_date(weeks15_start)}"
        columns = [
            f"{_count(f'{day} AND {year}')} AS year_days",
            f"{_count(f'{day} AND {year} AND {illness}')} AS illness_days",
            f"{_count(f'{day} AND {fortnight}')} AS fortnight_days",
            f"{_lessons(f'{lesson} AND {fortnight}')} AS fortnight_hours",
            f"{_count(f'{day} AND {weeks15}')} AS weeks15_days",
            f"{_lessons(f'{lesson} AND {weeks15}')} AS weeks15_hours",
        ]
        for n, (first, following) in enumerate(months):
            month = f"r.date >= {_date(first)} AND r.date < {_date(following)}"
            columns += [
                f"{_count(f'{day} AND {month}')} AS m{n}_days",
                f"{_lessons(f'{lesson} AND {month}')} AS m{n}_hours",
                f"{_count(f'{late} AND {month}')} AS m{n}_late",
            ]
        b, lpd = bounds.bounds, bounds.lessons_per_day
        sums = {
            "year_days": "s.year_days",
            "illness_days": "s.illness_days",
            "fortnight_lessons": f"s.fortnight_days * {lpd} + s.fortnight_hours",
            "weeks15_lessons": f"s.weeks15_days * {lpd} + s.weeks15_hours",
        }
        conditions = {name: [f"{sums[name]} >= {b[name]}"] for name in sums if name in b}
        for name, column in (
            ("month_days", "days"),
            ("month_hours", "hours"),
            ("month_late", "late"),
        ):
            if name in b:
                conditions[name] = [f"s.m{n}_{column} >= {b[name]}" for n in range(len(months))]
        sql = (
            f"SELECT s.*, {_reached(conditions)} AS reached FROM ("  # noqa: S608
            f"SELECT r.pupil_id, {', '.join(columns)} "
            f"{self._from(min(year_start, weeks15_start))} GROUP BY r.pupil_id) s"
        )
        if not bounds.everyone:
            sql = f"SELECT * FROM ({sql}) t WHERE t.reached > 0"  # noqa: S608
        return self._rows(sql)

    def recent(
        self, recent_start: dt.date, after_break: list[dt.date], bounds: Reach
    ) -> Iterator[tuple]:
        """The records of the last eight weeks (id, pupil_id, date, kind, lessons,
        subject) of pupils within reach of a pattern rule, each with the bits of the
        bounds its pupil reaches. The sums: records per weekday over the last six
        weeks, lesson hours over the last six weeks, records on first days after a
        break (at any school in scope), and weeks of the last eight with a record."""
        six_weeks, _end = window(self.as_of, PATTERN_SHORT_DAYS)
        days = [six_weeks + dt.timedelta(days=n) for n in range((self.as_of - six_weeks).days + 1)]

        def on(dates: list[dt.date]) -> str:
            return f"r.date IN ({', '.join(map(_date, dates))})" if dates else "1 = 0"

        columns = [
            f"{_count(on([d for d in days if d.weekday() == weekday]))} AS wd{weekday}"
            for weekday in range(7)
        ]
        columns += [
            f"{_lessons(f'{self.LESSON} AND r.date >= {_date(six_weeks)}')} AS subject_hours",
            f"{_count(on(after_break))} AS after_break_records",
        ]
        weeks = range(PATTERN_LONG_DAYS // 7)
        for week in weeks:
            last = self.as_of - dt.timedelta(days=7 * week)
            first = last - dt.timedelta(days=6)
            in_week = f"r.date >= {_date(first)} AND r.date <= {_date(last)}"
            columns.append(f"MAX(CASE WHEN {in_week} THEN 1 ELSE 0 END) AS w{week}")
        b = bounds.bounds
        conditions: dict[str, list[str]] = {}
        if "weekday_records" in b:
            conditions["weekday_records"] = [f"s.wd{n} >= {b['weekday_records']}" for n in range(7)]
        for name in ("subject_hours", "after_break_records"):
            if name in b:
                conditions[name] = [f"s.{name} >= {b[name]}"]
        if "absent_weeks" in b:
            absent_weeks = " + ".join(f"s.w{n}" for n in weeks)
            conditions["absent_weeks"] = [f"{absent_weeks} >= {b['absent_weeks']}"]
        per_pupil = (
            f"SELECT s.pupil_id, {_reached(conditions)} AS reached FROM ("  # noqa: S608
            f"SELECT r.pupil_id, {', '.join(columns)} {self._from(recent_start)} "
            "GROUP BY r.pupil_id) s"
        )
        sql = (
            "SELECT r.id, r.pupil_id, r.date, r.kind, r.lessons, r.subject, p.reached "  # noqa: S608
            f"FROM {self.records} r JOIN ({per_pupil}) p ON p.pupil_id = r.pupil_id "
            f"WHERE r.deleted_at IS NULL AND r.date >= {_date(recent_start)} "
            f"AND r.date <= {_date(self.as_of)}"
        )
        if not bounds.everyone:
            sql += " AND p.reached > 0"
        return self._rows(sql)
