"""The pages' benchmark (issue #15, §7): server time p50/p95 (Django's test client,
many requests) and HTML size of the pages people open all day, on the synthetic
municipality of `bench.generate` with flags (the scan), cases and a contact teacher
with exactly `FLAGS_ON_START_PAGE` active flags added.

A page is one line of `PAGES`: a name, the issue's target, and a function from the
bench data to (user, URL). To measure another page, add a line (and, if it needs data
of its own, a field of `BenchData` filled in `prepare`).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fravaer.actions.rollups import recompute_rollups
from fravaer.models import (
    AbsenceRecord,
    Enrollment,
    Flag,
    Group,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.rollups import months_from

FLAGS_ON_START_PAGE = 89  # the contact teacher
CASES_ON_BOARD = 60


@dataclass
class BenchData:
    as_of: dt.date
    teacher: User  # contact teacher of `group`, with FLAGS_ON_START_PAGE active flags
    group: Group
    team_member: User  # at `group`'s school, whose board holds the cases
    pupil_uuid: str  # the pupil of `group` with the most absence this school year
    leader: User  # a school leader at `group`'s school (monthly overview, semester status)
    municipal_admin: User  # the bench municipality's administrator
    municipality_id: int
    team_meeting_uuid: str  # a running team meeting at `group`'s school
    month: str  # the month before `as_of`'s month, YYYY-MM (the overview's default)
    school_pupils: int = 0  # pupils enrolled at `group`'s school
    schools: int = 0
    rollup_rows: int = 0
    cases: int = 0
    active_flags: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BenchPage:
    name: str
    target_ms: int | None
    request: Callable[[BenchData], tuple[User, str]]
    iterations: int | None = None  # at most this many requests (the PDFs take a second)


def _week(data: BenchData) -> str:
    year, week, _ = data.as_of.isocalendar()
    return f"{reverse('week')}?uke={year}-W{week:02d}"


PAGES: list[BenchPage] = [
    BenchPage(
        "start page, contact teacher (89 flags)", 100, lambda d: (d.teacher, reverse("home"))
    ),
    BenchPage(
        "class register (~25 pupils)",
        100,
        lambda d: (d.teacher, f"{reverse('register', args=[d.group.pk])}?dato={d.as_of}"),
    ),
    BenchPage(
        "case board (60 cases)",
        200,
        lambda d: (d.team_member, reverse("cases:board", args=[d.group.school_id])),
    ),
    BenchPage(
        "pupil page (a year of absence)",
        150,
        lambda d: (d.teacher, reverse("pupil", args=[d.pupil_uuid])),
    ),
    BenchPage("contact teacher's week", 100, lambda d: (d.teacher, _week(d))),
    BenchPage(
        "school monthly overview",
        300,
        lambda d: (
            d.leader,
            reverse("fravaer:monthly_overview_month", args=[d.group.school_id, d.month]),
        ),
    ),
    BenchPage(
        "monthly overview PDF",
        1000,
        lambda d: (
            d.leader,
            reverse("fravaer:monthly_overview_export", args=[d.group.school_id, d.month, "pdf"]),
        ),
        iterations=10,
    ),
    BenchPage(
        "municipality overview",
        500,
        lambda d: (d.municipal_admin, reverse("municipality_overview", args=[d.municipality_id])),
    ),
    BenchPage(
        "municipality overview, all figures",
        None,
        lambda d: (
            d.municipal_admin,
            f"{reverse('municipality_overview', args=[d.municipality_id])}?tall=alle",
        ),
    ),
    BenchPage(
        "semester status",
        None,
        lambda d: (d.leader, reverse("cases:semester_status", args=[d.group.school_id])),
    ),
    BenchPage(
        "semester status PDF",
        1000,
        lambda d: (d.leader, reverse("cases:semester_status_pdf", args=[d.group.school_id])),
        iterations=10,
    ),
    BenchPage(
        "team meeting agenda",
        None,
        lambda d: (
            d.team_member,
            reverse("cases:team_meeting", args=[d.group.school_id, d.team_meeting_uuid]),
        ),
    ),
]


def prepare(as_of: dt.date) -> BenchData:
    """Pick the contact teacher of the class with the most active flags, bring them to
    exactly FLAGS_ON_START_PAGE (extra month flags, or older ones cleared), open
    CASES_ON_BOARD cases at their school, start a team meeting there, give the
    municipality an administrator and fill the monthly rollup for the school year (as
    the nightly job does). Runs after the scan."""
    from cases.actions.core import open_case  # the benchmark, not the app, spans apps
    from cases.actions.team_meeting import start_team_meeting
    from cases.models import Case

    day = as_of
    contact = (
        TeachingAssignment.objects.active_on(day)
        .filter(kind=TeachingAssignment.Kind.CONTACT)
        .annotate(
            n=Count(
                "group__flags",
                filter=Q(group__flags__status=Flag.Status.ACTIVE)
                & ~Q(group__flags__rule__startswith="pattern_"),
            )
        )
        .select_related("user", "group__school")
        .order_by("-n", "pk")
        .first()
    )
    if contact is None:
        raise ValueError("no contact teacher in the bench data")
    teacher, group = contact.user, contact.group
    pupils = list(
        Enrollment.objects.active_on(day).filter(group=group).values_list("pupil_id", flat=True)
    )
    active = Flag.objects.active().filter(group=group).exclude(rule__startswith="pattern_")
    count = active.count()
    if count > FLAGS_ON_START_PAGE:
        extra = list(active.order_by("raised_at", "pk").values_list("pk", flat=True))
        Flag.objects.filter(pk__in=extra[: count - FLAGS_ON_START_PAGE]).update(
            status=Flag.Status.CLEARED, cleared_at=timezone.now()
        )
    now = timezone.now()
    new = []
    month = as_of.replace(day=1)
    rules = ("month_hours", "month_late", "month_days")
    i = 0
    while count + len(new) < FLAGS_ON_START_PAGE:
        pupil_id = pupils[i % len(pupils)]
        rule = rules[(i // len(pupils)) % len(rules)]
        start = (month - dt.timedelta(days=31 * (i // (len(pupils) * len(rules))))).replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        key = f"{start:%Y-%m}"
        i += 1
        if Flag.objects.filter(pupil_id=pupil_id, rule=rule, period_key=key).exists():
            continue
        new.append(
            Flag(
                pupil_id=pupil_id,
                school_id=group.school_id,
                group=group,
                rule=rule,
                period_key=key,
                period_start=start,
                period_end=end,
                value=Decimal(4),
                threshold=Decimal(3),
                as_of=as_of,
                raised_at=now - dt.timedelta(minutes=i),
            )
        )
    Flag.objects.bulk_create(new)

    team_member = (
        StaffRole.objects.filter(school_id=group.school_id, role=StaffRole.Role.ENVIRONMENT_TEAM)
        .select_related("user")
        .first()
        .user
    )
    school_pupils = list(
        Enrollment.objects.active_on(day)
        .filter(group__school_id=group.school_id)
        .select_related("pupil")
        .order_by("pupil_id")
    )
    open_now = Case.objects.filter(school_id=group.school_id, status=Case.Status.OPEN).count()
    for enrollment in school_pupils[: max(0, CASES_ON_BOARD - open_now)]:
        open_case(
            enrollment.pupil,
            school=group.school,
            concern="Benchmark",
            by=team_member,
        )
    busiest = (
        AbsenceRecord.objects.current()
        .filter(pupil_id__in=pupils)
        .values("pupil__uuid")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    leader = (
        StaffRole.objects.filter(school_id=group.school_id, role=StaffRole.Role.SCHOOL_LEADER)
        .select_related("user")
        .first()
        .user
    )
    municipality_id = group.school.municipality_id
    admin = User.objects.create_user(
        username=f"bench-admin-{municipality_id}@example.no",
        email=f"bench-admin-{municipality_id}@example.no",
        password=None,
    )
    StaffRole.objects.create(
        user=admin, role=StaffRole.Role.MUNICIPAL_ADMIN, municipality_id=municipality_id
    )
    meeting = start_team_meeting(
        group.school, held_on=as_of, participants=[team_member], by=team_member
    )
    start, _end = SchoolYear.bounds_for(as_of)
    rollup_rows = recompute_rollups(months_from(start, as_of))
    previous = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return BenchData(
        as_of=as_of,
        teacher=teacher,
        group=group,
        team_member=team_member,
        pupil_uuid=str(busiest["pupil__uuid"]),
        leader=leader,
        municipal_admin=admin,
        municipality_id=municipality_id,
        team_meeting_uuid=str(meeting.uuid),
        month=f"{previous:%Y-%m}",
        school_pupils=len(school_pupils),
        schools=School.objects.filter(municipality_id=municipality_id).count(),
        rollup_rows=rollup_rows,
        cases=Case.objects.filter(school_id=group.school_id, status=Case.Status.OPEN).count(),
        active_flags=Flag.objects.active()
        .filter(group=group)
        .exclude(rule__startswith="pattern_")
        .count(),
    )


@dataclass
class PageResult:
    name: str
    target_ms: int | None
    status: int
    html_bytes: int
    queries: int
    p50_ms: float
    p95_ms: float
    iterations: int


def measure_page(page: BenchPage, data: BenchData, *, iterations: int) -> PageResult:
    user, url = page.request(data)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for _ in range(2):  # warm up: templates compiled, caches filled
        response = client.get(url)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper, not the query log: the request may close and reopen the connection.
    with connection.execute_wrapper(count):
        response = client.get(url)
    times = []
    for _ in range(min(iterations, page.iterations or iterations)):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return PageResult(
        name=page.name,
        target_ms=page.target_ms,
        status=response.status_code,
        html_bytes=len(response.content),
        queries=len(queries),
        p50_ms=statistics.median(times),
        p95_ms=p95,
        iterations=len(times),
    )


def format_results(results: list[PageResult], data: BenchData, header: str) -> str:
    lines = [
        header,
        f"contact teacher: {data.active_flags} active flags; case board: {data.cases} open cases",
        f"monthly overview and semester status: a school of {data.school_pupils} pupils, "
        f"month {data.month}; municipality overview: {data.schools} schools, "
        f"{data.rollup_rows} rollup rows",
        "",
        f"{'page':<42} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'KB':>8} {'queries':>8}",
    ]
    for r in results:
        target = f"{r.target_ms}" if r.target_ms else "–"
        status = "" if r.status == 200 else f"  (HTTP {r.status})"
        lines.append(
            f"{r.name:<42} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {target:>7} "
            f"{r.html_bytes / 1024:>8.1f} {r.queries:>8}{status}"
        )
    return "\n".join(lines)
