"""A synthetic municipality for the benchmark: schools with a real calendar, groups
of about 25 over grades 1–10, contact teachers, leaders and a team, pupils, and one
school year of absence up to the scan date, skewed like real absence.

Rows are written school by school with COPY on PostgreSQL (batched inserts
elsewhere), so memory stays flat and 70 000 pupils take well under a minute.
Primary keys are assigned here, after the highest existing one, and the sequences
reset at the end.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model

from fravaer.demo.calendar import closed_days, closures_for
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Group,
    Municipality,
    NonSchoolDay,
    Pupil,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.models.absence import SUBJECTS as ALL_SUBJECTS
from fravaer.schooldays import weekdays

EVENTS_PER_YEAR = 18.0
# Lognormal spread of each pupil's yearly rate: median ≈ 11, mean 18, 1 in 10 above
# 40 and 1 in 100 above 110 (most pupils a few, some very many).
RATE_SIGMA = 1.0
SUBJECTS = ALL_SUBJECTS[:10]  # the ten taught in most grades
KINDS, KIND_WEIGHTS = ("day", "lesson", "late"), (50, 85, 100)  # 50 %, 35 %, 15 %
# Most absence is reported by the home; late arrivals seldom are.
DOCUMENTED = {"day": 0.75, "lesson": 0.6, "late": 0.3}
DAY_REASONS = (AbsenceReason.ILLNESS, AbsenceReason.LEAVE, AbsenceReason.OTHER)
FIRST = ("Ola", "Kari", "Nora", "Jakob", "Emma", "Filip", "Sara", "Aksel", "Ingrid", "Noah")
LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg")


@dataclass(frozen=True)
class Spec:
    pupils: int
    schools: int
    as_of: dt.date
    seed: int = 20261120
    group_size: int = 25
    events_per_year: float = EVENTS_PER_YEAR


@dataclass
class Generated:
    municipality_id: int
    school_ids: tuple[int, ...]
    groups: int = 0
    pupils: int = 0
    staff: int = 0
    records: int = 0
    undocumented: int = 0
    contacts: int = 0
    non_school_days: int = 0
    school_days_so_far: int = 0
    school_days_in_year: int = 0
    seconds: float = 0.0

    @property
    def records_per_pupil_year(self) -> float:
        if not self.pupils or not self.school_days_so_far:
            return 0.0
        share = self.school_days_so_far / self.school_days_in_year
        return self.records / self.pupils / share


class RowWriter:
    """COPY on PostgreSQL, executemany elsewhere; ids assigned by the caller."""

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self.models: list[type[Model]] = []

    def first_id(self, model: type[Model]) -> int:
        return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def write(self, model: type[Model], fields: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        if model not in self.models:
            self.models.append(model)
        meta = model._meta
        model_fields = [meta.get_field(name) for name in fields]
        table = connection.ops.quote_name(meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in model_fields)
        with connection.cursor() as cursor:
            if self.copy:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                prepared = [
                    tuple(
                        f.get_db_prep_save(value, connection)
                        for f, value in zip(model_fields, row, strict=True)
                    )
                    for row in rows
                ]
                placeholders = ", ".join(["%s"] * len(fields))
                insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
                cursor.executemany(insert, prepared)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
            if self.copy:
                # Fresh rows have no statistics yet; the nightly scan meets analysed tables.
                cursor.execute("VACUUM ANALYZE")


def generate(spec: Spec) -> Generated:
    started = time.perf_counter()
    rng = random.Random(spec.seed)
    tz = ZoneInfo(settings.TIME_ZONE)
    year_start, year_end = SchoolYear.bounds_for(spec.as_of)
    writer = RowWriter()

    municipality = Municipality.objects.create(name=f"Benchby {spec.seed}")
    year, _created = SchoolYear.objects.get_or_create(start=year_start, defaults={"end": year_end})
    reasons = {
        r.code: r.pk
        for r in AbsenceReason.objects.bulk_create(
            AbsenceReason(municipality=municipality, code=code, name=name, order=order)
            for code, name, _nn, _en, order in AbsenceReason.DEFAULTS
        )
    }
    if None in reasons.values():  # backends that do not return ids from bulk_create
        reasons = dict(
            AbsenceReason.objects.filter(municipality=municipality).values_list("code", "pk")
        )

    closed = closed_days(closures_for(year_start.year))
    all_days = [d for d in weekdays(year_start, year_end) if d not in closed]
    days = [d for d in all_days if d <= spec.as_of]
    position = {d: i for i, d in enumerate(days)}
    by_weekday = [[d for d in days if d.weekday() == w] for w in range(5)]
    share_of_year = len(days) / len(all_days)

    ids = {
        model: writer.first_id(model)
        for model in (
            School,
            NonSchoolDay,
            Group,
            User,
            StaffRole,
            TeachingAssignment,
            Pupil,
            Enrollment,
            AbsenceRecord,
            ContactLog,
        )
    }

    def take(model: type[Model]) -> int:
        ids[model] += 1
        return ids[model] - 1

    schools = max(1, min(spec.schools, spec.pupils))
    school_ids = tuple(ids[School] + i for i in range(schools))
    writer.write(
        School,
        ("id", "municipality", "name"),
        [(sid, municipality.pk, f"Benchby skole {i + 1:03d}") for i, sid in enumerate(school_ids)],
    )
    ids[School] += schools
    summary = Generated(
        municipality.pk,
        school_ids,
        school_days_so_far=len(days),
        school_days_in_year=len(all_days),
    )
    mu = math.log(spec.events_per_year) - RATE_SIGMA**2 / 2
    joined = dt.datetime.combine(year_start, dt.time(8), tzinfo=tz)
    pupil_number = 0

    for index, school_id in enumerate(school_ids):
        # Spread the remainder so the total is exactly spec.pupils.
        school_pupils = spec.pupils * (index + 1) // schools - spec.pupils * index // schools
        rows_nsd = [
            (take(NonSchoolDay), school_id, day, kind, name)
            for day, (kind, name) in sorted(closed.items())
        ]
        writer.write(NonSchoolDay, ("id", "school", "date", "kind", "name"), rows_nsd)
        summary.non_school_days += len(rows_nsd)

        users: list[tuple] = []
        roles: list[tuple] = []

        def user(role: str, n: int, school: int = index, users: list = users) -> int:
            uid = take(User)
            username = f"bench{spec.seed}-s{school + 1:03d}-{role}{n}@example.no"
            users.append(
                (uid, "!", False, username, role.title(), f"S{school + 1}", username, False)
                + (True, joined, False)
            )
            return uid

        for role, count in (
            (StaffRole.Role.SCHOOL_LEADER, 2),
            (StaffRole.Role.ENVIRONMENT_TEAM, 3),
            (StaffRole.Role.SCHOOL_NURSE, 1),
        ):
            for n in range(count):
                roles.append((take(StaffRole), user(str(role), n), str(role), school_id, None))

        group_count = max(1, round(school_pupils / spec.group_size))
        groups: list[tuple] = []
        assignments: list[tuple] = []
        teacher_of: dict[int, int] = {}
        grade_of: dict[int, int] = {}
        for g in range(group_count):
            grade = g % 10 + 1
            gid = take(Group)
            name = f"{grade}{chr(65 + g // 10 % 26)}{'' if g < 260 else g // 260}"
            groups.append(
                (gid, school_id, year.pk, name, grade, Group.default_lessons_per_day(grade))
            )
            teacher_of[gid] = user("contact", g)
            grade_of[gid] = grade
            assignments.append(
                (take(TeachingAssignment), teacher_of[gid], gid, "contact", "", year_start, None)
            )
            if rng.random() < 0.1:  # some groups share the contact teacher role
                assignments.append(
                    (take(TeachingAssignment), user("cocontact", g), gid, "contact", "")
                    + (year_start, None)
                )
        group_ids = [row[0] for row in groups]

        pupils: list[tuple] = []
        enrollments: list[tuple] = []
        records: list[tuple] = []
        contacts: list[tuple] = []
        for p in range(school_pupils):
            pupil_number += 1
            pid = take(Pupil)
            gid = group_ids[p * group_count // school_pupils]
            grade = grade_of[gid]
            pupils.append(
                (
                    pid,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    municipality.pk,
                    f"B{spec.seed % 1000:03d}{pupil_number:06d}",
                    FIRST[pupil_number % len(FIRST)],
                    f"{LAST[pupil_number % len(LAST)]}{pupil_number}",
                    dt.date(year_start.year - 5 - grade, 1 + pupil_number % 12, 1),
                )
            )
            draw = rng.random()
            if draw < 0.01 and len(days) > 40 and group_count > 1:
                # Moved class during the autumn: the old enrollment ends the day before.
                moved = days[rng.randrange(20, len(days) - 10)]
                other = group_ids[(group_ids.index(gid) + 1) % group_count]
                enrollments.append(
                    (take(Enrollment), pid, gid, year_start, moved - dt.timedelta(days=1))
                )
                enrollments.append((take(Enrollment), pid, other, moved, None))
            elif draw < 0.015 and len(days) > 20:
                # Left the municipality: out of the scan's scope, records kept.
                left = days[rng.randrange(10, len(days) - 5)]
                enrollments.append((take(Enrollment), pid, gid, year_start, left))
            else:
                enrollments.append((take(Enrollment), pid, gid, year_start, None))

            rate = rng.lognormvariate(mu, RATE_SIGMA)
            planned = _poisson(rng, rate * share_of_year)
            teacher = teacher_of[gid]
            for day, kind, lessons, subject, minutes in _plan(
                rng, planned, days, position, by_weekday
            ):
                documented, reason = _documentation(rng, kind)
                registered = dt.datetime.combine(day, dt.time(15), tzinfo=tz)
                rid = take(AbsenceRecord)
                deleted = rng.random() < 0.01
                records.append(
                    (
                        rid,
                        pid,
                        day,
                        kind,
                        lessons,
                        minutes,
                        subject,
                        documented,
                        reasons[reason],
                        "",
                        teacher,
                        registered,
                        teacher if deleted else None,
                        registered + dt.timedelta(hours=1) if deleted else None,
                    )
                )
                if documented or deleted:
                    continue
                summary.undocumented += 1
                if rng.random() < 0.8:  # most undocumented absence gets a call home
                    when = min(day + dt.timedelta(days=rng.choice((0, 0, 1, 2, 3))), spec.as_of)
                    # A few late-evening calls: the local date, not UTC's, must count.
                    hour = dt.time(23, 30) if rng.random() < 0.05 else dt.time(14)
                    at = dt.datetime.combine(when, hour, tzinfo=tz)
                    counterpart = rng.choices(("guardian", "both", "pupil"), (7, 2, 1))[0]
                    contacts.append(
                        (take(ContactLog), pid, at, "phone", counterpart, None, "Ringte hjem.")
                        + ("clarified", teacher, at)
                    )

        writer.write(User, USER_FIELDS, users)
        writer.write(StaffRole, ("id", "user", "role", "school", "municipality"), roles)
        writer.write(
            Group, ("id", "school", "school_year", "name", "grade", "lessons_per_day"), groups
        )
        writer.write(
            TeachingAssignment,
            ("id", "user", "group", "kind", "subject", "valid_from", "valid_to"),
            assignments,
        )
        writer.write(
            Pupil,
            ("id", "uuid", "municipality", "pupil_id", "first_name", "last_name", "birth_date"),
            pupils,
        )
        writer.write(Enrollment, ("id", "pupil", "group", "start", "end"), enrollments)
        writer.write(AbsenceRecord, RECORD_FIELDS, records)
        writer.write(ContactLog, CONTACT_FIELDS, contacts)
        summary.groups += len(groups)
        summary.pupils += len(pupils)
        summary.staff += len(users)
        summary.records += len(records)
        summary.contacts += len(contacts)

    writer.finish()
    summary.seconds = time.perf_counter() - started
    return summary


USER_FIELDS = (
    "id",
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "week_email",
)
RECORD_FIELDS = (
    "id",
    "pupil",
    "date",
    "kind",
    "lessons",
    "minutes_late",
    "subject",
    "documented",
    "reason",
    "note",
    "registered_by",
    "registered_at",
    "deleted_by",
    "deleted_at",
)
CONTACT_FIELDS = (
    "id",
    "pupil",
    "contacted_at",
    "channel",
    "counterpart",
    "guardian",
    "summary",
    "outcome",
    "logged_by",
    "logged_at",
)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:  # normal approximation; exactness does not matter here
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _plan(
    rng: random.Random,
    count: int,
    days: list[dt.date],
    position: dict[dt.date, int],
    by_weekday: list[list[dt.date]],
) -> list[tuple[dt.date, str, int | None, str, int | None]]:
    """`count` records on distinct school days: whole days (some in illness streaks of
    two or three), single lessons and late arrivals. One pupil in twenty favours a
    weekday, one in twenty a subject, so the pattern rules have something to find."""
    if not days:
        return []
    count = min(count, len(days) * 3 // 4)
    weekday = rng.randrange(5) if rng.random() < 0.05 else None
    favourite = rng.choice(SUBJECTS) if rng.random() < 0.05 else None
    used: set[dt.date] = set()
    planned: list[tuple[dt.date, str, int | None, str, int | None]] = []
    attempts = 0
    while len(planned) < count and attempts < count * 5:
        attempts += 1
        pool = by_weekday[weekday] if weekday is not None and rng.random() < 0.6 else days
        if not pool:
            pool = days
        day = rng.choice(pool)
        if day in used:
            continue
        kind = rng.choices(KINDS, cum_weights=KIND_WEIGHTS)[0]
        if kind == "day":
            streak = rng.choices((1, 2, 3), cum_weights=(60, 85, 100))[0]
            start = position[day]
            for d in days[start : start + streak]:
                if d in used or len(planned) >= count:
                    break
                used.add(d)
                planned.append((d, "day", None, "", None))
        elif kind == "lesson":
            used.add(day)
            lessons = rng.choices((1, 2, 3), cum_weights=(60, 90, 100))[0]
            subject = favourite if favourite and rng.random() < 0.7 else rng.choice(SUBJECTS)
            planned.append((day, "lesson", lessons, subject, None))
        else:
            used.add(day)
            planned.append((day, "late", None, "", rng.randint(5, 40)))
    return planned


def _documentation(rng: random.Random, kind: str) -> tuple[bool, str]:
    if rng.random() >= DOCUMENTED[kind]:
        return False, AbsenceReason.UNKNOWN
    if kind == "day":
        return True, rng.choices(DAY_REASONS, cum_weights=(80, 95, 100))[0]
    return True, rng.choice((AbsenceReason.ILLNESS, AbsenceReason.OTHER))
