"""Seeding: `seed_demo` writes the demo municipality, its staff, classes, pupils,
guardians, calendar and a school year of absence so far. The structure is plain
ORM; absence, the calendar, reasons and contact logs go through `fravaer.actions`,
so the demo obeys the same rules as a teacher does."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from fravaer.actions import (
    AbsenceInput,
    add_non_school_days,
    apply_absence_changes,
    check_absence_date,
    check_absence_input,
    ensure_default_reasons,
    log_contact,
)
from fravaer.demo.calendar import closed_days, closures_for
from fravaer.demo.data import (
    BOY_NAMES,
    CONTACT_SUMMARIES,
    GIRL_NAMES,
    GROUPS,
    LAST_NAMES,
    MATH,
    MEN_NAMES,
    MUNICIPALITY_NAME,
    PE,
    SCHOOLS,
    SUBJECT_TEACHER,
    SUBJECT_TEACHER_GROUPS,
    WOMEN_NAMES,
    contact_summary,
)
from fravaer.demo.logins import DEMO_LOGINS, DEMO_PASSWORD, SUPERUSER, all_usernames
from fravaer.demo.patterns import PlannedAbsence, PupilProfile, plan_absence
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    Enrollment,
    Group,
    Guardian,
    Municipality,
    NonSchoolDay,
    Pupil,
    RegisterTaken,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.schooldays import SchoolCalendar

SEED = 2026


def demo_exists() -> bool:
    return (
        Municipality.objects.filter(name=MUNICIPALITY_NAME).exists()
        or User.objects.filter(username__in=all_usernames()).exists()
    )


def _ascii(text: str) -> str:
    text = text.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "aa"}))
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@dataclass
class SeedSummary:
    school_year: str = ""
    schools: int = 0
    groups: int = 0
    pupils: int = 0
    guardians: int = 0
    users: int = 0
    non_school_days: int = 0
    records: Counter = field(default_factory=Counter)
    undocumented: int = 0
    contact_logs: int = 0
    days_per_pupil: list[int] = field(default_factory=list)

    @property
    def median_days(self) -> float:
        return statistics.median(self.days_per_pupil) if self.days_per_pupil else 0

    def pupils_with_at_least(self, days: int) -> int:
        return sum(1 for n in self.days_per_pupil if n >= days)


def seed_demo(today: dt.date | None = None) -> SeedSummary:
    """Create Fjordvik kommune for the school year containing `today` (default: the
    local date). The caller has checked that it does not exist yet."""
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    summary = SeedSummary()
    with transaction.atomic():
        start, end = SchoolYear.bounds_for(today)
        year, _ = SchoolYear.objects.get_or_create(start=start, defaults={"end": end})
        summary.school_year = year.label
        municipality = Municipality.objects.create(name=MUNICIPALITY_NAME)
        ensure_default_reasons(municipality)
        reasons = {r.code: r for r in municipality.absence_reasons.all()}

        schools = {
            name: School.objects.create(municipality=municipality, name=name) for name in SCHOOLS
        }
        closures = closures_for(start.year)
        for school in schools.values():
            for closure in closures:
                add_non_school_days(
                    school,
                    start=closure.start,
                    end=closure.end,
                    kind=closure.kind,
                    name=closure.name,
                )
        calendar = SchoolCalendar.from_days(
            (day, name) for day, (_kind, name) in closed_days(closures).items()
        )
        summary.schools = len(schools)
        summary.non_school_days = NonSchoolDay.objects.filter(school__in=schools.values()).count()

        users = _create_staff(municipality, schools)
        summary.users = len(users)
        groups = _create_groups(year, schools, users)
        summary.groups = len(groups)
        pupils, profiles = _create_pupils(rng, municipality, year, groups)
        summary.pupils = len(pupils)
        summary.guardians = _create_guardians(rng, municipality, pupils)

        yesterday = today - dt.timedelta(days=1)
        days = list(calendar.school_days(start, min(yesterday, end)))
        planned = plan_absence(rng, profiles, days)
        _register(planned, pupils, profiles, users, reasons, calendar, today)
        # Every class's register taken on the school days so far but the last one of
        # the first class, which the contact teacher's week shows as not taken.
        taken_at = timezone.now()
        RegisterTaken.objects.bulk_create(
            RegisterTaken(group=g, date=d, taken_at=taken_at)
            for g in groups
            for d in days
            if not (g is groups[0] and d == days[-1])
        )
        summary.contact_logs = _log_contacts(rng, planned, pupils, profiles, users, reasons, days)
        records = AbsenceRecord.objects.filter(pupil__municipality=municipality)
        summary.records = Counter(records.values_list("kind", flat=True))
        summary.undocumented = records.filter(documented=False).count()
        per_pupil = Counter(p.pupil for p in planned if p.kind == "day")
        summary.days_per_pupil = [per_pupil.get(i, 0) for i in range(len(pupils))]
    return summary


def _create_staff(municipality: Municipality, schools: dict[str, School]) -> dict[str, User]:
    # One hash for every demo login: hashing is deliberately slow.
    password = make_password(DEMO_PASSWORD)
    users = User.objects.bulk_create(
        User(
            username=login.username,
            email=login.username,
            first_name=login.first_name,
            last_name=login.last_name,
            password=password,
            is_staff=login.username == SUPERUSER,
            is_superuser=login.username == SUPERUSER,
        )
        for login in DEMO_LOGINS
    )
    by_name = {u.username: u for u in users}
    roles = []
    for login in DEMO_LOGINS:
        if login.role in StaffRole.MUNICIPAL_ROLES:
            roles.append(
                StaffRole(user=by_name[login.username], role=login.role, municipality=municipality)
            )
        for school in login.schools:
            roles.append(
                StaffRole(user=by_name[login.username], role=login.role, school=schools[school])
            )
    StaffRole.objects.bulk_create(roles)
    return by_name


def _create_groups(
    year: SchoolYear, schools: dict[str, School], users: dict[str, User]
) -> list[Group]:
    groups = Group.objects.bulk_create(
        Group(
            school=schools[spec.school],
            school_year=year,
            name=spec.name,
            grade=spec.grade,
            lessons_per_day=Group.default_lessons_per_day(spec.grade),
        )
        for spec in GROUPS
    )
    assignments = [
        TeachingAssignment(
            user=users[spec.contact], group=group, kind="contact", valid_from=year.start
        )
        for spec, group in zip(GROUPS, groups, strict=True)
    ]
    assignments += [
        TeachingAssignment(
            user=users[SUBJECT_TEACHER],
            group=group,
            kind="subject",
            subject=MATH,
            valid_from=year.start,
        )
        for group in groups
        if group.name in SUBJECT_TEACHER_GROUPS
    ]
    TeachingAssignment.objects.bulk_create(assignments)
    return groups


def _create_pupils(
    rng: random.Random, municipality: Municipality, year: SchoolYear, groups: list[Group]
) -> tuple[list[Pupil], list[PupilProfile]]:
    pupils, profiles, seen = [], [], set()
    for spec in GROUPS:
        # Each class has its timetable: the weekdays mathematics and PE are taught.
        subject_days = {MATH: tuple(rng.sample(range(5), 3)), PE: tuple(rng.sample(range(5), 2))}
        born = dt.date(year.start.year - 5 - spec.grade, 1, 1)
        for _ in range(spec.size):
            while True:
                first = rng.choice(GIRL_NAMES if rng.random() < 0.5 else BOY_NAMES)
                last = rng.choice(LAST_NAMES)
                if (first, last) not in seen:
                    seen.add((first, last))
                    break
            pupils.append(
                Pupil(
                    municipality=municipality,
                    pupil_id=f"FJ{101 + len(pupils):05d}",
                    first_name=first,
                    last_name=last,
                    birth_date=born + dt.timedelta(days=rng.randrange(365)),
                )
            )
            profiles.append(
                PupilProfile(spec, Group.default_lessons_per_day(spec.grade), subject_days)
            )
    pupils = Pupil.objects.bulk_create(pupils)
    Enrollment.objects.bulk_create(
        Enrollment(pupil=pupil, group=groups[GROUPS.index(profile.group)], start=year.start)
        for pupil, profile in zip(pupils, profiles, strict=True)
    )
    return pupils, profiles


def _create_guardians(rng: random.Random, municipality: Municipality, pupils: list[Pupil]) -> int:
    guardians, links, phones, emails = [], [], set(), Counter()
    for index, pupil in enumerate(pupils):
        women_first = rng.random() < 0.6
        for n in range(2 if rng.random() < 0.78 else 1):
            woman = women_first if n == 0 else not women_first
            first = rng.choice(WOMEN_NAMES if woman else MEN_NAMES)
            last = pupil.last_name if rng.random() < 0.8 else rng.choice(LAST_NAMES)
            phone = ""
            while not phone or phone in phones:
                phone = rng.choice("49") + "".join(rng.choices("0123456789", k=7))
            phones.add(phone)
            local = f"{_ascii(first)}.{_ascii(last)}"
            emails[local] += 1
            suffix = emails[local] if emails[local] > 1 else ""
            guardians.append(
                Guardian(
                    municipality=municipality,
                    name=f"{first} {last}",
                    phone=phone,
                    email=f"{local}{suffix}@example.no",
                )
            )
            links.append(index)
    guardians = Guardian.objects.bulk_create(guardians)
    Guardian.pupils.through.objects.bulk_create(
        Guardian.pupils.through(guardian_id=g.pk, pupil_id=pupils[i].pk)
        for g, i in zip(guardians, links, strict=True)
    )
    return len(guardians)


def _register(
    planned: list[PlannedAbsence],
    pupils: list[Pupil],
    profiles: list[PupilProfile],
    users: dict[str, User],
    reasons: dict[str, AbsenceReason],
    calendar: SchoolCalendar,
    today: dt.date,
) -> None:
    """Register the plan as the teachers would have: the same day, one call per
    teacher and register, through the same rules as a person."""
    batches: dict[tuple[dt.date, dt.time, str], list] = defaultdict(list)
    for item in planned:
        profile = profiles[item.pupil]
        data = AbsenceInput(
            kind=item.kind,
            documented=item.documented,
            reason=reasons[item.reason],
            lessons=item.lessons,
            minutes_late=item.minutes_late,
            subject=item.subject,
            note=item.note,
        )
        check_absence_date(item.date, calendar=calendar, today=today)
        check_absence_input(data, lessons_per_day=profile.lessons_per_day)
        by = SUBJECT_TEACHER if item.by_subject_teacher else profile.group.contact
        # The morning register for whole days and late arrivals; lessons at midday.
        at = dt.time(12, 15) if item.kind == "lesson" else dt.time(8, 40)
        batches[(item.date, at, by)].append((pupils[item.pupil], item.date, data))
    tz = timezone.get_current_timezone()
    for (day, at, by), creates in sorted(batches.items()):
        now = dt.datetime.combine(day, at, tzinfo=tz)
        # The demo scans once at the end instead of after every teacher's save.
        apply_absence_changes(creates=creates, by=users[by], now=now, rescan=False)


def _log_contacts(
    rng: random.Random,
    planned: list[PlannedAbsence],
    pupils: list[Pupil],
    profiles: list[PupilProfile],
    users: dict[str, User],
    reasons: dict[str, AbsenceReason],
    days: list[dt.date],
) -> int:
    """Contact teachers called home the same day about undocumented absence (as the
    routine says) and corrected the record when the home explained; the last three
    school days' calls are still to be made, so the demo has some to follow up."""
    first_undocumented: dict[tuple[int, dt.date], PlannedAbsence] = {}
    cutoff = days[-3] if len(days) >= 3 else dt.date.min
    for item in sorted(planned, key=lambda p: (p.date, p.kind != "day")):
        if not item.documented and item.date < cutoff:
            first_undocumented.setdefault((item.pupil, item.date), item)
    chosen = sorted(first_undocumented)
    guardians = defaultdict(list)
    for link in Guardian.pupils.through.objects.filter(
        pupil_id__in=[pupils[i].pk for i, _day in chosen]
    ).select_related("guardian"):
        guardians[link.pupil_id].append(link.guardian)
    tz = timezone.get_current_timezone()
    for key in chosen:
        index = key[0]
        item, pupil = first_undocumented[key], pupils[index]
        teacher = users[profiles[index].group.contact]
        outcome = rng.choices(("clarified", "no_answer", "follow_up"), weights=(6, 2, 2))[0]
        said, reason, note = rng.choice(CONTACT_SUMMARIES[outcome])
        contacted_at = dt.datetime.combine(item.date, dt.time(9, rng.randint(5, 55)), tz)
        guardian = guardians[pupil.pk][0]
        log_contact(
            pupil,
            contacted_at=contacted_at,
            channel="phone",
            counterpart="guardian",
            guardian=guardian,
            summary=contact_summary(said, guardian.name),
            outcome=outcome,
            by=teacher,
            now=contacted_at,
        )
        if reason and item.kind == "day":
            # The home explained: the teacher corrects the record (kept in its history).
            record = AbsenceRecord.objects.get(pupil=pupil, date=item.date, kind="day")
            data = AbsenceInput(kind="day", documented=True, reason=reasons[reason], note=note)
            apply_absence_changes(
                updates=[(record, data)],
                by=teacher,
                now=contacted_at + dt.timedelta(minutes=5),
                rescan=False,
            )
    return len(chosen)
