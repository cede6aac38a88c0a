"""The complete floor: the threshold rules evaluated set-based in SQL, read-only.

`complete_floor` finds every (pupil, rule, period) that the rules fire for on the scan
date, for every pupil enrolled on it, in one statement: the year, month, window and
undocumented rules exactly, and the four patterns as far as SQL reaches them (a
subject is compared as `LOWER(TRIM(subject))` where the rules use Python's
`strip().casefold()`, the same for the benchmark's subjects). It is written from the
rule definitions in `fravaer.thresholds`, not from `fravaer.scan`, and reads the
thresholds of the one municipality the benchmark makes. Nothing passes through Python
but the keys it returns, so it is what a scan that only had to *find* the flags,
with no episodes, no existing flags to compare with and nothing to write, would cost
at the least. The benchmark checks that it finds exactly the flags run 1 raised.

`plain_copy` times a plain COPY of as many flag rows into a table without indexes or
keys: the least that writing run 1's new flags can cost.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from fravaer.actions.flags import rule_configs
from fravaer.actions.scan_writes import COLUMNS
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Flag,
    Group,
    NonSchoolDay,
    SchoolYear,
)
from fravaer.thresholds import (
    FIFTEEN_WEEKS_DAYS,
    FORTNIGHT_DAYS,
    PATTERN_LONG_DAYS,
    PATTERN_SHORT_DAYS,
    RULES,
    RuleConfig,
    window,
)

Key = tuple[int, str, str]  # pupil, rule, period


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _day(day: dt.date) -> str:
    """A date literal that both databases compare with a date column."""
    if connection.vendor == "postgresql":
        return f"DATE '{day.isoformat()}'"
    return f"'{day.isoformat()}'"


def _day_before(expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"({expression} - 1)"
    return f"date({expression}, '-1 day')"


def _in(expression: str, days: list[dt.date]) -> str:
    return f"{expression} IN ({', '.join(map(_day, days))})" if days else "1 = 0"


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _config(as_of: dt.date) -> dict[str, RuleConfig]:
    year_start, _ = SchoolYear.bounds_for(as_of)
    municipalities = set(
        Enrollment.objects.filter(group__school_year__start=year_start).values_list(
            "group__school__municipality_id", flat=True
        )
    )
    configs = list(rule_configs(municipalities).values())
    if any(c != configs[0] for c in configs):
        raise ValueError("the complete floor reads the rules of one municipality")
    return configs[0] if configs else {}


def complete_floor_sql(as_of: dt.date) -> tuple[str, list]:
    """The statement of `complete_floor` and its parameters."""
    config = _config(as_of)
    year_start, year_end = SchoolYear.bounds_for(as_of)
    fortnight_start, _ = window(as_of, FORTNIGHT_DAYS)
    weeks15_start, _ = window(as_of, FIFTEEN_WEEKS_DAYS)
    six_weeks, _ = window(as_of, PATTERN_SHORT_DAYS)
    eight_weeks, _ = window(as_of, PATTERN_LONG_DAYS)
    earliest = min(year_start, weeks15_start, eight_weeks)
    records, groups = _q(AbsenceRecord._meta.db_table), _q(Group._meta.db_table)
    enrollments, years = _q(Enrollment._meta.db_table), _q(SchoolYear._meta.db_table)
    closed, reasons = _q(NonSchoolDay._meta.db_table), _q(AbsenceReason._meta.db_table)
    year_key = f"'{year_start.year}-{year_end.year}'"
    episode = f"'episode:{as_of.isoformat()}'"

    def on(code: str) -> RuleConfig | None:
        rule_config = config.get(code)
        return rule_config if rule_config is not None and rule_config.enabled else None

    def fires(code: str, value: str, threshold: Decimal | None = None) -> str:
        t = config[code].threshold if threshold is None else threshold
        return f"{value} {'>' if RULES[code].strict else '>='} {t}"

    # Each pupil's place on the scan date: the latest enrollment of the school year.
    place = (
        "SELECT x.pupil_id, x.school_id, x.lpd FROM ("  # noqa: S608
        "SELECT e.pupil_id, g.school_id, g.lessons_per_day AS lpd, ROW_NUMBER() OVER ("
        "PARTITION BY e.pupil_id ORDER BY e.start DESC, e.id DESC) AS n "
        f"FROM {enrollments} e JOIN {groups} g ON g.id = e.group_id "
        f"JOIN {years} y ON y.id = g.school_year_id "
        f"WHERE e.start <= {_day(as_of)} AND (e.{_q('end')} IS NULL OR e.{_q('end')} >= "
        f"{_day(as_of)}) AND y.start = {_day(year_start)}) x WHERE x.n = 1"
    )
    # The pupils enrolled on the scan date, written out where used rather than a
    # common table: PostgreSQL then estimates their number from the table's statistics
    # (it takes a common table for 200 rows, and the place's window function for 348)
    # and reads the records by date, not pupil by pupil.
    pupils = (
        f"SELECT e.pupil_id FROM {enrollments} e JOIN {groups} g ON g.id = e.group_id "  # noqa: S608
        f"JOIN {years} y ON y.id = g.school_year_id WHERE e.start <= {_day(as_of)} AND "
        f"(e.{_q('end')} IS NULL OR e.{_q('end')} >= {_day(as_of)}) "
        f"AND y.start = {_day(year_start)}"
    )
    in_scope = f"r.pupil_id IN ({pupils})"
    current = f"r.deleted_at IS NULL AND r.date <= {_day(as_of)} AND {in_scope}"

    # Per pupil and month (NULL before the school year): one pass over the records.
    months, first = [], year_start.replace(day=1)
    while first <= as_of:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        months.append((first, following))
        first = following
    month = (
        "CASE "
        + " ".join(
            f"WHEN r.date >= {_day(a)} AND r.date < {_day(b)} THEN '{a.year}-{a.month:02d}'"
            for a, b in months
        )
        + " END"
    )
    day, lesson, late = "r.kind = 'day'", "r.kind = 'lesson'", "r.kind = 'late'"

    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    def lessons(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN r.lessons ELSE 0 END)"

    illness = (
        f"r.documented AND r.reason_id IN (SELECT a.id FROM {reasons} a "  # noqa: S608
        "WHERE a.code = 'illness')"
    )
    fortnight, weeks15 = f"r.date >= {_day(fortnight_start)}", f"r.date >= {_day(weeks15_start)}"
    per_month = (
        f"SELECT r.pupil_id, {month} AS month, {count(day)} AS days, "  # noqa: S608
        f"{lessons(lesson)} AS hours, {count(late)} AS late, "
        f"{count(f'{day} AND {illness}')} AS illness, "
        f"{count(f'{day} AND {fortnight}')} AS f_days, "
        f"{lessons(f'{lesson} AND {fortnight}')} AS f_hours, "
        f"{count(f'{day} AND {weeks15}')} AS w_days, "
        f"{lessons(f'{lesson} AND {weeks15}')} AS w_hours "
        f"FROM {records} r WHERE {current} AND r.date >= {_day(earliest)} "
        f"GROUP BY r.pupil_id, {month}"
    )
    # Whole numbers (PostgreSQL sums bigints as numeric), so that the divisions below
    # are whole-number divisions on both databases.
    in_year = "CASE WHEN m.month IS NOT NULL THEN m.{} ELSE 0 END"
    per_pupil = (
        "SELECT m.pupil_id, "  # noqa: S608
        f"CAST(SUM({in_year.format('days')}) AS INTEGER) AS year_days, "
        f"CAST(SUM({in_year.format('illness')}) AS INTEGER) AS illness, "
        + ", ".join(
            f"CAST(SUM(m.{c}) AS INTEGER) AS {c}"
            for c in ("f_days", "f_hours", "w_days", "w_hours")
        )
        + " FROM per_month m GROUP BY m.pupil_id"
    )
    # The school days of the fortnight, per school: weekdays without a non-school day.
    fortnight_weekdays = [d for d in _days(fortnight_start, as_of) if d.weekday() < 5]
    schedule = (
        f"SELECT s.school_id, {len(fortnight_weekdays)} - COUNT(n.date) AS days "  # noqa: S608
        f"FROM (SELECT DISTINCT school_id FROM place) s LEFT JOIN {closed} n "
        f"ON n.school_id = s.school_id AND {_in('n.date', fortnight_weekdays)} "
        "GROUP BY s.school_id"
    )
    found: list[str] = []
    for code, column in (
        ("year_days_notice", "year_days"),
        ("year_days_leadership", "year_days"),
        ("illness_share", "illness"),
    ):
        if on(code):
            found.append(
                f"SELECT pupil_id, '{code}', {year_key} FROM per_pupil "  # noqa: S608
                f"WHERE {fires(code, column)}"
            )
    for code, column in (("month_days", "days"), ("month_hours", "hours"), ("month_late", "late")):
        if on(code):
            found.append(
                f"SELECT pupil_id, '{code}', month FROM per_month "  # noqa: S608
                f"WHERE month IS NOT NULL AND {fires(code, column)}"
            )
    if on("fortnight_share"):
        # The share in hundredths of a per cent, rounded half up, in whole numbers.
        absent, scheduled = "(t.f_days * p.lpd + t.f_hours)", "(s.days * p.lpd)"
        share = f"((20000 * {absent} + {scheduled}) / (2 * {scheduled}))"
        found.append(
            f"SELECT t.pupil_id, 'fortnight_share', {episode} FROM per_pupil t "  # noqa: S608
            "JOIN place p ON p.pupil_id = t.pupil_id JOIN schedule s ON s.school_id = p.school_id "
            "WHERE s.days > 0 AND "
            + fires("fortnight_share", share, config["fortnight_share"].threshold * 100)
        )
    if on("fifteen_weeks_days"):
        absent = "(t.w_days * p.lpd + t.w_hours)"
        value = f"((200 * {absent} + p.lpd) / (2 * p.lpd))"
        found.append(
            f"SELECT t.pupil_id, 'fifteen_weeks_days', {episode} FROM per_pupil t "  # noqa: S608
            "JOIN place p ON p.pupil_id = t.pupil_id WHERE "
            + fires("fifteen_weeks_days", value, config["fifteen_weeks_days"].threshold * 100)
        )
    # The patterns: the days with absence in the last eight weeks.
    recent = f"{current} AND r.date >= {_day(eight_weeks)}"
    if on("pattern_weekday"):
        six = _days(six_weeks, as_of)
        weekday = (
            "CASE "
            + " ".join(
                f"WHEN {_in('d.date', [x for x in six if x.weekday() == n])} THEN {n}"
                for n in range(7)
            )
            + " END"
        )
        days_ = (
            f"SELECT DISTINCT r.pupil_id, r.date FROM {records} r "  # noqa: S608
            f"WHERE {current} AND r.date >= {_day(six_weeks)}"
        )
        per_weekday = (
            f"SELECT d.pupil_id, {weekday} AS weekday, COUNT(*) AS n FROM ({days_}) d "  # noqa: S608
            f"GROUP BY d.pupil_id, {weekday}"
        )
        found.append(
            f"SELECT w.pupil_id, 'pattern_weekday', {episode} FROM ("  # noqa: S608
            f"SELECT pupil_id, MAX(n) AS best, SUM(n) AS total FROM ({per_weekday}) x "
            "GROUP BY pupil_id) w WHERE "
            + fires("pattern_weekday", "w.best")
            + " AND 2 * w.best >= w.total"
        )
    if on("pattern_subject"):
        lesson_rows = f"{current} AND r.date >= {_day(six_weeks)} AND {lesson}"
        per_subject = (
            "SELECT r.pupil_id, LOWER(TRIM(r.subject)) AS subject, SUM(r.lessons) AS n "  # noqa: S608
            f"FROM {records} r WHERE {lesson_rows} AND TRIM(r.subject) <> '' "
            "GROUP BY r.pupil_id, LOWER(TRIM(r.subject))"
        )
        totals = (
            f"SELECT r.pupil_id, SUM(r.lessons) AS total FROM {records} r "  # noqa: S608
            f"WHERE {lesson_rows} GROUP BY r.pupil_id"
        )
        found.append(
            f"SELECT b.pupil_id, 'pattern_subject', {episode} FROM ("  # noqa: S608
            f"SELECT pupil_id, MAX(n) AS best FROM ({per_subject}) x GROUP BY pupil_id) b "
            f"JOIN ({totals}) t ON t.pupil_id = b.pupil_id WHERE "
            + fires("pattern_subject", "b.best")
            + " AND 2 * b.best >= t.total"
        )
    if on("pattern_after_break"):
        window_days = _days(eight_weeks, as_of)
        weekdays = [d for d in window_days if d.weekday() < 5]
        mondays = [d for d in window_days if d.weekday() == 0]
        # A school day whose day before was not one: a Monday, or the day after a
        # non-school day of the pupil's school.
        first_after_break = (
            f"{_in('r.date', weekdays)} AND NOT EXISTS (SELECT 1 FROM {closed} n "  # noqa: S608
            "WHERE n.school_id = p.school_id AND n.date = r.date) AND ("
            f"{_in('r.date', mondays)} OR EXISTS (SELECT 1 FROM {closed} n "
            f"WHERE n.school_id = p.school_id AND n.date = {_day_before('r.date')}))"
        )
        found.append(
            f"SELECT a.pupil_id, 'pattern_after_break', {episode} FROM ("  # noqa: S608
            "SELECT r.pupil_id, COUNT(DISTINCT r.date) AS n "
            f"FROM {records} r JOIN place p ON p.pupil_id = r.pupil_id "
            f"WHERE {recent} AND {first_after_break} GROUP BY r.pupil_id) a WHERE "
            + fires("pattern_after_break", "a.n")
        )
    if on("pattern_alternate_week") and int(config["pattern_alternate_week"].threshold) >= 1:
        weeks = int(config["pattern_alternate_week"].threshold) * 2
        start, _ = window(as_of, weeks * 7)
        columns = []
        for w in range(weeks):
            last = as_of - dt.timedelta(days=7 * w)
            in_week = f"r.date >= {_day(last - dt.timedelta(days=6))} AND r.date <= {_day(last)}"
            columns.append(f"MAX(CASE WHEN {in_week} THEN 1 ELSE 0 END) AS w{w}")

        def only(offset: int) -> str:
            return " AND ".join(f"a.w{w} = {1 if w % 2 == offset else 0}" for w in range(weeks))

        found.append(
            f"SELECT a.pupil_id, 'pattern_alternate_week', {episode} FROM ("  # noqa: S608
            f"SELECT r.pupil_id, {', '.join(columns)} FROM {records} r "
            f"WHERE {current} AND r.date >= {_day(start)} GROUP BY r.pupil_id) a "
            f"WHERE ({only(0)}) OR ({only(1)})"
        )
    params: list = []
    if on("undocumented"):
        # Undocumented absence with no contact with the home logged on or after its
        # date (`ContactLog.answering`, compiled: the local date of a contact).
        undocumented = (
            AbsenceRecord.objects.current()
            .filter(
                date__gte=year_start,
                date__lte=as_of,
                documented=False,
                pupil_id__in=Enrollment.objects.active_on(as_of)
                .filter(group__school_year__start=year_start)
                .values("pupil_id"),
            )
            .filter(~Exists(ContactLog.answering(pupil=OuterRef("pupil_id"), day=OuterRef("date"))))
            .order_by()
            .annotate(floor_record=F("pk"), floor_pupil=F("pupil_id"))
            .values("floor_record", "floor_pupil")
        )
        sql, params = undocumented.query.get_compiler(undocumented.db).as_sql()
        found.append(
            f"SELECT u.floor_pupil, 'undocumented', 'record:' || u.floor_record FROM ({sql}) u"  # noqa: S608
        )
    statement = (
        f"WITH place AS ({place}), per_month AS ({per_month}), "
        f"per_pupil AS ({per_pupil}), schedule AS ({schedule}) " + " UNION ALL ".join(found)
    )
    return statement, list(params)


def complete_floor(as_of: dt.date) -> set[Key]:
    """The (pupil, rule, period) the rules fire for on `as_of`: one statement."""
    sql, params = complete_floor_sql(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(pupil_id, rule, period) for pupil_id, rule, period in cursor.fetchall()}


# The plain COPY writes the very columns the scan writes.
COPIED_COLUMNS = COLUMNS


def plain_copy(as_of: dt.date) -> tuple[float, int]:
    """Seconds to COPY the flags raised as of `as_of` into a table of the flags'
    columns without indexes or keys, and the rows copied; rolled back. On SQLite an
    `executemany` INSERT stands in for COPY."""
    columns = ", ".join(COPIED_COLUMNS)
    flags = _q(Flag._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data = bytearray()
            with cursor.cursor.copy(
                f"COPY (SELECT {columns} FROM {flags} WHERE as_of = %s) TO STDOUT",  # noqa: S608
                [as_of],
            ) as out:
                for block in out:
                    data += block
            rows = data.count(b"\n")
            cursor.execute(
                f"CREATE TEMPORARY TABLE bench_plain_copy ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {flags} WITH NO DATA"
            )
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY bench_plain_copy ({columns}) FROM STDIN") as copy:
                copy.write(bytes(data))
            seconds = time.perf_counter() - started
        else:
            cursor.execute(
                f"SELECT {columns} FROM {flags} WHERE as_of = %s",  # noqa: S608
                [as_of.isoformat()],
            )
            data = cursor.fetchall()
            rows = len(data)
            cursor.execute(
                f"CREATE TEMPORARY TABLE bench_plain_copy AS "  # noqa: S608
                f"SELECT {columns} FROM {flags} WHERE 0"
            )
            started = time.perf_counter()
            cursor.executemany(
                f"INSERT INTO bench_plain_copy ({columns}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(COPIED_COLUMNS))})",
                data,
            )
            seconds = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_plain_copy")
        transaction.set_rollback(True)
    return seconds, rows
