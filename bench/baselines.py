"""What the scan is measured against.

`naive_scan` is the loop a first version would write: for each pupil, query their
class, calendar, rule settings, records, contact logs and flags through the ORM,
compute the figures in Python, call `thresholds.evaluate` and count the findings
that are not flags yet. It is written from the rule definitions (issue #3, §1), not
from `fravaer.scan`, so agreeing findings check the set-based SQL as well as time
it. By itself it writes nothing, which flatters it: compare it with a scan that has
nothing new to write. With `raise_flags` it also raises what it finds, the way that
first version would: a `Flag.objects.create` per new finding, the people it reaches
(`access.flag_recipients`) looked up per flag, and an inbox message per person and
flag (what the product did itself before `Notification.flag_ids`); compare that with
a scan that raises every flag. The benchmark runs it in a transaction it rolls back.

`sql_floor` is one hand-written aggregate pass over the same absence rows: every
count and sum the year, month and window rules need, per pupil, in a single
GROUP BY. No scan can read the rows faster than that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from fravaer.access import flag_recipients
from fravaer.actions.scan_writes import new_flag
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Flag,
    Notification,
    RuleSetting,
    SchoolYear,
)
from fravaer.schooldays import SchoolCalendar
from fravaer.thresholds import (
    FIFTEEN_WEEKS_DAYS,
    FORTNIGHT_DAYS,
    PATTERN_LONG_DAYS,
    Finding,
    MonthFigures,
    PupilFigures,
    RecentRecord,
    RuleConfig,
    default_config,
    evaluate,
    window,
)

Key = tuple[int, str, str, Decimal]  # pupil, rule, period, value


@dataclass
class NaiveResult:
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    new: int = 0  # findings not yet raised as flags
    notified: int = 0  # inbox messages written (`raise_flags`)

    def keys(self) -> set[Key]:
        return {(p, f.rule, f.period_key, f.value) for p, fs in self.findings.items() for f in fs}


def naive_scan(
    pupil_ids: list[int],
    as_of: dt.date,
    *,
    raise_flags: bool = False,
    now: dt.datetime | None = None,
) -> NaiveResult:
    year_start, year_end = SchoolYear.bounds_for(as_of)
    fortnight_start, _ = window(as_of, FORTNIGHT_DAYS)
    weeks15_start, _ = window(as_of, FIFTEEN_WEEKS_DAYS)
    recent_start, _ = window(as_of, PATTERN_LONG_DAYS)
    earliest = min(year_start, weeks15_start)
    result = NaiveResult()
    for pupil_id in pupil_ids:
        enrollment = (
            Enrollment.objects.active_on(as_of)
            .filter(pupil_id=pupil_id, group__school_year__start=year_start)
            .select_related("group__school")
            .order_by("start")
            .last()
        )
        if enrollment is None:
            continue
        group = enrollment.group
        calendar = SchoolCalendar.for_school(group.school_id, earliest, as_of)
        config: dict[str, RuleConfig] = default_config()
        for setting in RuleSetting.objects.filter(
            municipality_id=group.school.municipality_id, rule__in=config
        ):
            config[setting.rule] = RuleConfig(setting.enabled, setting.threshold)
        records = list(
            AbsenceRecord.objects.filter(
                pupil_id=pupil_id, deleted_at__isnull=True, date__gte=earliest, date__lte=as_of
            ).select_related("reason")
        )
        contact_days = [
            timezone.localdate(at)
            for at in ContactLog.objects.filter(
                ContactLog.reaching_home(), pupil_id=pupil_id
            ).values_list("contacted_at", flat=True)
        ]
        last_contact = max(contact_days, default=None)

        figures = PupilFigures(
            pupil_id=pupil_id,
            as_of=as_of,
            year_start=year_start,
            year_end=year_end,
            lessons_per_day=group.lessons_per_day,
            fortnight_school_days=sum(
                1
                for n in range((as_of - fortnight_start).days + 1)
                if calendar.is_school_day(fortnight_start + dt.timedelta(days=n))
            ),
            first_days_after_break=frozenset(
                day
                for n in range((as_of - recent_start).days + 1)
                if calendar.is_school_day(day := recent_start + dt.timedelta(days=n))
                and not calendar.is_school_day(day - dt.timedelta(days=1))
            ),
        )
        for r in records:
            whole_day = r.kind == AbsenceRecord.Kind.DAY
            lessons = (r.lessons or 0) if r.kind == AbsenceRecord.Kind.LESSON else 0
            if r.date >= year_start:
                figures.year_days += whole_day
                figures.illness_days += (
                    whole_day and r.documented and r.reason.code == AbsenceReason.ILLNESS
                )
                month = figures.months.setdefault((r.date.year, r.date.month), MonthFigures())
                month.days += whole_day
                month.hours += lessons
                month.late += r.kind == AbsenceRecord.Kind.LATE
                if not r.documented and (last_contact is None or last_contact < r.date):
                    figures.undocumented.append((r.pk, r.date))
            if r.date >= fortnight_start:
                figures.fortnight_days += whole_day
                figures.fortnight_hours += lessons
            if r.date >= weeks15_start:
                figures.weeks15_days += whole_day
                figures.weeks15_hours += lessons
            if r.date >= recent_start:
                figures.recent.append(
                    RecentRecord(r.pk, r.date, r.kind, r.lessons or 0, r.subject or "")
                )
        findings = result.findings[pupil_id] = evaluate(figures, config)
        raised = set(Flag.objects.filter(pupil_id=pupil_id).values_list("rule", "period_key"))
        new = [f for f in findings if (f.rule, f.period_key) not in raised]
        result.new += len(new)
        if raise_flags:
            for finding in new:
                result.notified += _raise(finding, pupil_id, group, as_of, now or timezone.now())
    return result


def _raise(finding: Finding, pupil_id: int, group, as_of: dt.date, now: dt.datetime) -> int:
    """One flag and its inbox messages, written one by one."""
    flag = new_flag(
        finding,
        pupil_id=pupil_id,
        school_id=group.school_id,
        group_id=group.pk,
        as_of=as_of,
        now=now,
    )
    flag.save()
    users = set(
        flag_recipients(
            finding.rule,
            group_id=group.pk,
            school_id=group.school_id,
            day=as_of,
            handed_over="no_answer_on" in (finding.details or {}),
        ).values_list("pk", flat=True)
    )
    for user_id in users:
        Notification.objects.create(
            user_id=user_id, kind=Notification.Kind.FLAG, flag_ids=[flag.pk], created_at=now
        )
    return len(users)


def sql_floor(as_of: dt.date) -> int:
    """One statement; returns the number of pupil rows it produced."""
    year_start, _ = SchoolYear.bounds_for(as_of)
    fortnight_start, _ = window(as_of, FORTNIGHT_DAYS)
    weeks15_start, _ = window(as_of, FIFTEEN_WEEKS_DAYS)
    earliest = min(year_start, weeks15_start)
    months = []
    first = year_start
    while first <= as_of:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        months.append((first, following))
        first = following

    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    def lessons(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN r.lessons ELSE 0 END)"

    day, lesson, late = "r.kind = 'day'", "r.kind = 'lesson'", "r.kind = 'late'"
    in_year = "r.date >= %(year_start)s"
    columns = [
        count(f"{day} AND {in_year}"),
        count(f"{day} AND {in_year} AND r.documented AND a.code = 'illness'"),
        count(f"{day} AND r.date >= %(fortnight)s"),
        lessons(f"{lesson} AND r.date >= %(fortnight)s"),
        count(f"{day} AND r.date >= %(weeks15)s"),
        lessons(f"{lesson} AND r.date >= %(weeks15)s"),
        count(f"NOT r.documented AND {in_year}"),
    ]
    params: dict[str, object] = {
        "year_start": year_start,
        "fortnight": fortnight_start,
        "weeks15": weeks15_start,
        "earliest": earliest,
        "as_of": as_of,
    }
    for n, (start, end) in enumerate(months):
        params[f"m{n}"], params[f"n{n}"] = start, end
        in_month = f"r.date >= %(m{n})s AND r.date < %(n{n})s"
        columns += [
            count(f"{day} AND {in_month}"),
            lessons(f"{lesson} AND {in_month}"),
            count(f"{late} AND {in_month}"),
        ]
    # Table names come from the models; every value is a parameter.
    sql = (
        f"SELECT r.pupil_id, {', '.join(columns)} "  # noqa: S608
        f"FROM {AbsenceRecord._meta.db_table} r "
        f"JOIN {AbsenceReason._meta.db_table} a ON a.id = r.reason_id "
        "WHERE r.deleted_at IS NULL AND r.date >= %(earliest)s AND r.date <= %(as_of)s "
        "GROUP BY r.pupil_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())
