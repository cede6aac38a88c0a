"""Demo data: "Fjordvik kommune" with two schools, ten classes, about 250 pupils, one
login per role and a school year of absence so far (`manage.py seed_demo`).

The tables (names, holidays, logins) live here so that `seed_demo` and
`demo_banner` agree. Everything is drawn from `random.Random(2026)`, so two seeds on
the same day give the same municipality. The structure is plain ORM; absence, the
calendar, reasons and contact logs go through `fravaer.actions`, so the demo obeys
the same rules as a teacher does.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
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
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    Enrollment,
    Group,
    Guardian,
    Municipality,
    NonSchoolDay,
    Pupil,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.schooldays import SchoolCalendar

MUNICIPALITY_NAME = "Fjordvik kommune"
# Printed by `demo_banner`. Demo only: `seed_demo` refuses to run with DEBUG off.
DEMO_PASSWORD = "fravaer-demo-2026"  # noqa: S105
RUN_URL = "http://127.0.0.1:8000/"
SEED = 2026

# --- schools, classes and logins ---------------------------------------------------

BARNESKOLE = "Fjordvik barneskole"
UNGDOMSSKOLE = "Fjordvik ungdomsskole"
SCHOOLS = (BARNESKOLE, UNGDOMSSKOLE)

MATH = "Matematikk"
PE = "Kroppsøving"


@dataclass(frozen=True)
class DemoGroup:
    school: str
    name: str
    grade: int
    size: int
    contact: str  # the contact teacher's username


GROUPS = (
    DemoGroup(BARNESKOLE, "1A", 1, 22, "kontaktlaerer.1a@demo.no"),
    DemoGroup(BARNESKOLE, "2A", 2, 24, "kontaktlaerer.2a@demo.no"),
    DemoGroup(BARNESKOLE, "3A", 3, 23, "kontaktlaerer.3a@demo.no"),
    DemoGroup(BARNESKOLE, "4A", 4, 25, "kontaktlaerer.4a@demo.no"),
    DemoGroup(BARNESKOLE, "5A", 5, 26, "kontaktlaerer@demo.no"),
    DemoGroup(BARNESKOLE, "6A", 6, 24, "kontaktlaerer@demo.no"),
    DemoGroup(BARNESKOLE, "7A", 7, 25, "kontaktlaerer.7a@demo.no"),
    DemoGroup(UNGDOMSSKOLE, "8A", 8, 27, "kontaktlaerer.8a@demo.no"),
    DemoGroup(UNGDOMSSKOLE, "9A", 9, 28, "kontaktlaerer.9a@demo.no"),
    DemoGroup(UNGDOMSSKOLE, "10A", 10, 26, "kontaktlaerer.10a@demo.no"),
)
# The subject teacher teaches mathematics in every class of the lower secondary school.
SUBJECT_TEACHER = "faglaerer@demo.no"
SUBJECT_TEACHER_GROUPS = ("8A", "9A", "10A")

CONTACT_TEACHER = "contact_teacher"
SUBJECT_TEACHER_ROLE = "subject_teacher"
ROLE_LABELS = {
    # role: (Norwegian, English)
    CONTACT_TEACHER: ("kontaktlærer", "contact teacher"),
    SUBJECT_TEACHER_ROLE: ("faglærer", "subject teacher"),
    StaffRole.Role.SCHOOL_LEADER: ("rektor", "principal"),
    StaffRole.Role.ENVIRONMENT_TEAM: ("skolemiljøteam", "school-environment team"),
    StaffRole.Role.ATTENDANCE_CONTACT: ("nærværskontakt", "attendance contact"),
    StaffRole.Role.SCHOOL_NURSE: ("helsesykepleier", "school nurse"),
    StaffRole.Role.PPT_ADVISOR: ("PPT-rådgiver", "PPT advisor"),
    StaffRole.Role.MUNICIPAL_ADMIN: ("kommunal administrator", "municipal administrator"),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: str  # a StaffRole.Role, CONTACT_TEACHER or SUBJECT_TEACHER_ROLE
    schools: tuple[str, ...] = ()  # for school roles
    featured: bool = True  # the banner's main list; the other contact teachers follow

    @property
    def role_label(self) -> str:
        nb, en = ROLE_LABELS[self.role]
        return f"{nb} / {en}"


DEMO_LOGINS = (
    DemoLogin("kontaktlaerer@demo.no", "Ingrid", "Solberg", CONTACT_TEACHER),
    DemoLogin("faglaerer@demo.no", "Trond", "Aasen", SUBJECT_TEACHER_ROLE),
    DemoLogin("rektor@demo.no", "Bjørn", "Kristiansen", "school_leader", (BARNESKOLE,)),
    DemoLogin("rektor.us@demo.no", "Hege", "Dahl", "school_leader", (UNGDOMSSKOLE,)),
    DemoLogin("miljoteam@demo.no", "Linn", "Halvorsen", "environment_team", (BARNESKOLE,)),
    DemoLogin("miljoteam.us@demo.no", "Kjetil", "Nygård", "environment_team", (UNGDOMSSKOLE,)),
    DemoLogin("naervaer@demo.no", "Mona", "Berge", "attendance_contact", (BARNESKOLE,)),
    DemoLogin("naervaer.us@demo.no", "Stian", "Holm", "attendance_contact", (UNGDOMSSKOLE,)),
    # One school nurse covers both schools, as is common in a small municipality.
    DemoLogin("helsesykepleier@demo.no", "Ragnhild", "Sæther", "school_nurse", SCHOOLS),
    DemoLogin("ppt@demo.no", "Øyvind", "Lie", "ppt_advisor"),
    DemoLogin("kommune@demo.no", "Elisabeth", "Fjeld", "municipal_admin"),
    DemoLogin("kontaktlaerer.1a@demo.no", "Marit", "Haugen", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.2a@demo.no", "Tone", "Bakken", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.3a@demo.no", "Jon", "Eide", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.4a@demo.no", "Hilde", "Strand", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.7a@demo.no", "Espen", "Lunde", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.8a@demo.no", "Silje", "Moen", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.9a@demo.no", "Anders", "Vik", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.10a@demo.no", "Camilla", "Brekke", CONTACT_TEACHER, featured=False),
)
SUPERUSER = "kommune@demo.no"

# --- names -----------------------------------------------------------------------
# Given names common among Norwegian children born 2011–2020, including those of
# families that came from elsewhere, and surnames common in Norway.


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIRL_NAMES = _names(
    "Emma Nora Sara Sofie Olivia Ella Ingrid Leah Maja Emilie Frida Ada Astrid Hedda "
    "Thea Selma Vilde Tiril Amalie Aurora Hanna Linnea Mathilde Sofia Julie Ida Iben "
    "Eva Signe Tuva Sigrid Mia Alma Oline Live Marie Lea Jenny Mille Ylva Sunniva "
    "Hermine Agnes Mathea Eline Andrea Helene Martine Amina Zofia Julia Maryam Hiba"
)
BOY_NAMES = _names(
    "Jakob Emil Noah Oliver Filip William Lucas Liam Henrik Oskar Aksel Theodor Elias "
    "Kasper Magnus Johannes Isak Mathias Tobias Ludvig Olav Sander Jonas Markus Adrian "
    "Even Sebastian Mikkel Leon Birk Håkon Sverre Aleksander Ulrik Vetle Sindre Brage "
    "Eirik Iver Torstein Edvard Syver Peder Storm Mohammed Yusuf Ali Kacper Nikola Adam"
)
WOMEN_NAMES = _names(
    "Kari Anne Ingrid Marit Hilde Silje Ida Marte Camilla Kristin Linn Tone Heidi Mona "
    "Ragnhild Trine Line Hege Lene Elisabeth Ingvild Guro Siri Randi Therese Nina Maria "
    "Karoline Stine Anette Tonje Kristine Aisha Fatima Agnieszka"
)
MEN_NAMES = _names(
    "Lars Ole Per Jan Bjørn Kjetil Espen Thomas Anders Martin Morten Geir Trond Stian "
    "Eirik Erik Tor Rune Hans Knut Øyvind Jon Vegard Andreas Jørgen Frode Pål Steinar "
    "Henning Kristian Magne Ahmed Omar Tomasz"
)
LAST_NAMES = _names(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl "
    "Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand "
    "Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie "
    "Amundsen Nguyen Rasmussen Lunde Solheim Berge Moe Nygård Bakke Kristensen "
    "Fredriksen Holm Lien Hauge Christensen Andresen Nilssen Knudsen Evensen Sæther Aas "
    "Myhre Haugland Thomassen Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning "
    "Arnesen Næss Vik Haug Ellingsen Thorsen Birkeland Isaksen Ruud Strøm Myklebust "
    "Tangen Ødegård Eliassen Helland Bøe Aune Mikkelsen Tveit Brekke Madsen Fjeld Hoel "
    "Ahmed Ali Hussain Kowalski Nowak Tran Hassan Yilmaz"
)

# --- the calendar ----------------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    """Weekdays from `start` to `end` without teaching at every demo school."""

    start: dt.date
    end: dt.date
    name: str
    kind: str = NonSchoolDay.Kind.HOLIDAY


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


PLANNING = NonSchoolDay.Kind.PLANNING
# Single public holidays come first: the first closure naming a date wins, so
# "Langfredag" keeps its name inside "Påskeferie".
KNOWN_CLOSURES: dict[int, tuple[Closure, ...]] = {
    2026: (
        Closure(_d("2026-12-25"), _d("2026-12-25"), "1. juledag"),
        Closure(_d("2027-01-01"), _d("2027-01-01"), "1. nyttårsdag"),
        Closure(_d("2027-03-25"), _d("2027-03-25"), "Skjærtorsdag"),
        Closure(_d("2027-03-26"), _d("2027-03-26"), "Langfredag"),
        Closure(_d("2027-03-29"), _d("2027-03-29"), "2. påskedag"),
        # 1. mai 2027 is a Saturday: no weekday to close.
        Closure(_d("2027-05-06"), _d("2027-05-06"), "Kristi himmelfartsdag"),
        Closure(_d("2027-05-17"), _d("2027-05-17"), "Grunnlovsdag og 2. pinsedag"),
        Closure(_d("2026-08-01"), _d("2026-08-12"), "Sommerferie"),
        Closure(_d("2026-08-13"), _d("2026-08-14"), "Planleggingsdag", PLANNING),
        Closure(_d("2026-09-28"), _d("2026-10-02"), "Høstferie"),
        Closure(_d("2026-12-21"), _d("2027-01-01"), "Juleferie"),
        Closure(_d("2027-01-04"), _d("2027-01-04"), "Planleggingsdag", PLANNING),
        Closure(_d("2027-02-22"), _d("2027-02-26"), "Vinterferie"),
        Closure(_d("2027-03-22"), _d("2027-03-29"), "Påskeferie"),
        Closure(_d("2027-05-07"), _d("2027-05-07"), "Planleggingsdag", PLANNING),
        Closure(_d("2027-06-21"), _d("2027-07-31"), "Sommerferie"),
    ),
}


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def _iso_monday(year: int, week: int) -> dt.date:
    return dt.date.fromisocalendar(year, week, 1)


def _first_monday(day: dt.date) -> dt.date:
    """The first Monday on or after `day`."""
    return day + dt.timedelta(days=-day.weekday() % 7)


def derive_closures(first_year: int) -> tuple[Closure, ...]:
    """The usual pattern of an eastern Norwegian school year starting in `first_year`:
    school starts on the third Monday of August after two planning days, autumn
    holiday in week 40, Christmas 21 December to New Year's Day, winter holiday in
    week 8, Easter from Monday of Holy Week to Easter Monday, the spring public
    holidays with the Friday after Ascension as a planning day, and summer from the
    first Monday on or after 18 June."""
    year, spring = first_year, first_year + 1
    easter = easter_sunday(spring)
    one = dt.timedelta(days=1)
    school_start = _first_monday(dt.date(year, 8, 15))
    summer = _first_monday(dt.date(spring, 6, 18))
    after_new_year = dt.date(spring, 1, 2)
    while after_new_year.weekday() >= 5:
        after_new_year += one
    public = defaultdict(list)
    for day, name in (
        (dt.date(year, 12, 25), "1. juledag"),
        (dt.date(year, 12, 26), "2. juledag"),
        (dt.date(spring, 1, 1), "1. nyttårsdag"),
        (easter - 3 * one, "Skjærtorsdag"),
        (easter - 2 * one, "Langfredag"),
        (easter + one, "2. påskedag"),
        (dt.date(spring, 5, 1), "Arbeidernes dag"),
        (easter + 39 * one, "Kristi himmelfartsdag"),
        (dt.date(spring, 5, 17), "Grunnlovsdag"),
        (easter + 50 * one, "2. pinsedag"),
    ):
        if day.weekday() < 5:
            public[day].append(name)
    singles = tuple(Closure(day, day, " og ".join(names)) for day, names in public.items())
    return (
        *singles,
        Closure(dt.date(year, 8, 1), school_start - 5 * one, "Sommerferie"),
        Closure(school_start - 4 * one, school_start - 3 * one, "Planleggingsdag", PLANNING),
        Closure(_iso_monday(year, 40), _iso_monday(year, 40) + 4 * one, "Høstferie"),
        Closure(dt.date(year, 12, 21), dt.date(spring, 1, 1), "Juleferie"),
        Closure(after_new_year, after_new_year, "Planleggingsdag", PLANNING),
        Closure(_iso_monday(spring, 8), _iso_monday(spring, 8) + 4 * one, "Vinterferie"),
        Closure(easter - 6 * one, easter + one, "Påskeferie"),
        Closure(easter + 40 * one, easter + 40 * one, "Planleggingsdag", PLANNING),
        Closure(summer, dt.date(spring, 7, 31), "Sommerferie"),
    )


def closures_for(first_year: int) -> tuple[Closure, ...]:
    """Exact dates where we have them, the usual pattern otherwise."""
    return KNOWN_CLOSURES.get(first_year) or derive_closures(first_year)


def closed_days(closures: tuple[Closure, ...]) -> dict[dt.date, tuple[str, str]]:
    """date → (kind, name) for every weekday closed, the first closure naming a date
    winning (what `add_non_school_days` leaves in the database, called in order)."""
    days: dict[dt.date, tuple[str, str]] = {}
    for closure in closures:
        day = closure.start
        while day <= closure.end:
            if day.weekday() < 5:
                days.setdefault(day, (str(closure.kind), closure.name))
            day += dt.timedelta(days=1)
    return days


# --- absence patterns ------------------------------------------------------------

# School days from school start to mid-November: the figures below are "so far" at
# that point and scale with the number of school days actually behind us.
REFERENCE_SCHOOL_DAYS = 63
# Share of pupils with each pattern; the rest have little absence (0–3 events).
PATTERN_SHARES = {
    "high": 0.032,  # 20–40 days: worrying, some of it undocumented
    "illness": 0.024,  # much documented illness: the school nurse's list
    "monday": 0.04,  # absent on Mondays
    "subject": 0.048,  # skips one subject (mathematics or PE)
    "holiday": 0.032,  # around the holidays
    "late": 0.048,  # late arrivals
    "undocumented": 0.048,  # a few days nobody has explained
}
OTHER_SUBJECTS = ("Norsk", "Engelsk", "Naturfag", "Samfunnsfag", "KRLE", "Musikk")
ILLNESS_NOTES = ("", "", "", "Syk, meldt av foresatte", "Feber", "Omgangssyke", "Forkjølet")
OTHER_NOTES = ("Tannlege", "Legetime", "Fysioterapi", "Tannregulering", "Time på BUP")
LEAVE_NOTES = ("Familiereise, søknad innvilget", "Begravelse i familien", "Idrettsstevne")


@dataclass(frozen=True)
class PlannedAbsence:
    pupil: int  # index into the list of pupils
    date: dt.date
    kind: str
    reason: str  # AbsenceReason code
    documented: bool
    lessons: int | None = None
    minutes_late: int | None = None
    subject: str = ""
    note: str = ""
    by_subject_teacher: bool = False


@dataclass(frozen=True)
class PupilProfile:
    group: DemoGroup
    lessons_per_day: int
    subject_days: dict[str, tuple[int, ...]]  # subject → weekdays it is taught


@dataclass
class _Planner:
    rng: random.Random
    days: list[dt.date]  # school days so far, ascending
    scale: float = field(init=False)

    def __post_init__(self) -> None:
        self.scale = len(self.days) / REFERENCE_SCHOOL_DAYS
        gaps = [b for a, b in zip(self.days, self.days[1:], strict=False) if (b - a).days > 3]
        before = [a for a, b in zip(self.days, self.days[1:], strict=False) if (b - a).days > 3]
        # The first school day of the year and the days on either side of a holiday.
        self.around_holidays = sorted({*self.days[:1], *gaps, *before})

    def count(self, low: int, high: int) -> int:
        return round(self.rng.randint(low, high) * self.scale)

    def take(self, candidates, n: int, used: set[dt.date]) -> list[dt.date]:
        free = [d for d in candidates if d not in used]
        chosen = self.rng.sample(free, min(max(n, 0), len(free)))
        used.update(chosen)
        return sorted(chosen)

    def streaks(self, n: int, used: set[dt.date], *, recent: bool) -> list[dt.date]:
        """About n school days in runs of 1–5 days, more of them lately if `recent`."""
        chosen: list[dt.date] = []
        for _ in range(n * 4):
            if len(chosen) >= n or not self.days:
                break
            if recent:
                start = int(len(self.days) * self.rng.random() ** 0.6)
            else:
                start = self.rng.randrange(len(self.days))
            for day in self.days[start : start + self.rng.randint(1, 5)]:
                if day not in used and len(chosen) < n:
                    used.add(day)
                    chosen.append(day)
        return sorted(chosen)


def _day_reason(rng: random.Random) -> tuple[str, bool, str]:
    """Reason, documented, note for an ordinary day of absence."""
    roll = rng.random()
    if roll < 0.78:
        return AbsenceReason.ILLNESS, rng.random() < 0.95, rng.choice(ILLNESS_NOTES)
    if roll < 0.86:
        return AbsenceReason.LEAVE, True, rng.choice(LEAVE_NOTES)
    if roll < 0.93:
        return AbsenceReason.OTHER, True, rng.choice(OTHER_NOTES)
    return AbsenceReason.UNKNOWN, False, ""


def _late(pupil: int, day: dt.date, rng: random.Random, *, excused: float) -> PlannedAbsence:
    if rng.random() < excused:
        reason, documented, note = AbsenceReason.OTHER, True, "Bussen var forsinket"
    else:
        reason, documented, note = AbsenceReason.UNKNOWN, False, ""
    return PlannedAbsence(
        pupil,
        day,
        "late",
        reason,
        documented,
        minutes_late=rng.choice((5, 10, 10, 15, 20, 30)),
        note=note,
    )


def _lesson(
    pupil: int,
    day: dt.date,
    profile: PupilProfile,
    rng: random.Random,
    subject: str,
    *,
    skipping: bool = False,
) -> PlannedAbsence:
    if skipping and rng.random() < 0.45:
        reason, documented, note = AbsenceReason.UNKNOWN, False, ""
    elif skipping and rng.random() < 0.5:
        reason, documented, note = AbsenceReason.ILLNESS, True, "Vondt i magen, ringte hjem"
    else:
        reason, documented = AbsenceReason.OTHER, True
        note = rng.choice(OTHER_NOTES)
    lessons = min(rng.choice((1, 1, 2)), profile.lessons_per_day - 1)
    return PlannedAbsence(
        pupil,
        day,
        "lesson",
        reason,
        documented,
        lessons=lessons,
        subject=subject,
        note=note,
        by_subject_teacher=subject == MATH and profile.group.name in SUBJECT_TEACHER_GROUPS,
    )


ReasonPicker = Callable[[random.Random], tuple[str, bool, str]]


def _days(
    pupil: int, days: list[dt.date], rng: random.Random, reason: ReasonPicker | None = None
) -> list[PlannedAbsence]:
    out = []
    for day in days:
        code, documented, note = reason(rng) if reason else _day_reason(rng)
        out.append(PlannedAbsence(pupil, day, "day", code, documented, note=note))
    return out


def plan_absence(
    rng: random.Random, profiles: list[PupilProfile], days: list[dt.date]
) -> list[PlannedAbsence]:
    """What each pupil was absent so far: most little, some with a pattern, a few
    very much. At most one record per pupil and date, so never a lesson or late
    arrival on a day the pupil was away all day."""
    planner = _Planner(rng, days)
    order = list(range(len(profiles)))
    rng.shuffle(order)
    pattern_of: dict[int, str] = {}
    for pattern, share in PATTERN_SHARES.items():
        for _ in range(round(share * len(profiles))):
            if order:
                pattern_of[order.pop()] = pattern
    mondays = [d for d in days if d.weekday() == 0]
    planned: list[PlannedAbsence] = []
    recent_undocumented = 0
    for index, profile in enumerate(profiles):
        used: set[dt.date] = set()
        pattern = pattern_of.get(index, "low")
        out: list[PlannedAbsence] = []
        if pattern == "high":
            out += _days(
                index,
                planner.streaks(planner.count(20, 40), used, recent=True),
                rng,
                _worrying_reason,
            )
            for day in planner.take(days, planner.count(2, 6), used):
                out.append(_late(index, day, rng, excused=0.2))
        elif pattern == "illness":
            out += _days(
                index,
                planner.streaks(planner.count(9, 15), used, recent=False),
                rng,
                _illness_reason,
            )
        elif pattern == "monday":
            out += _days(
                index, planner.take(mondays, planner.count(4, 8), used), rng, _worrying_reason
            )
        elif pattern == "subject":
            subject = MATH if profile.group.name in SUBJECT_TEACHER_GROUPS else PE
            taught = [d for d in days if d.weekday() in profile.subject_days[subject]]
            for day in planner.take(taught, planner.count(5, 10), used):
                out.append(_lesson(index, day, profile, rng, subject, skipping=True))
        elif pattern == "holiday":
            out += _days(
                index, planner.take(planner.around_holidays, 4, used), rng, _holiday_reason
            )
            out += _days(index, planner.take(mondays, planner.count(1, 3), used), rng)
        elif pattern == "late":
            for day in planner.take(days, planner.count(6, 14), used):
                out.append(_late(index, day, rng, excused=0.45))
        elif pattern == "undocumented":
            # A few are from the last school day: the "contact home today" list.
            if recent_undocumented < 3 and days:
                recent_undocumented += 1
                out += _days(
                    index,
                    planner.take(days[-1:], 1, used),
                    rng,
                    _unknown_reason,
                )
            out += _days(
                index,
                planner.take(days, planner.count(1, 3), used),
                rng,
                _unknown_reason,
            )
        # Everybody, patterned or not, has the ordinary odd day, lesson or late arrival.
        events = round(rng.choices((0, 1, 2, 3), weights=(25, 35, 25, 15))[0] * planner.scale)
        for day in planner.take(days, events, used):
            roll = rng.random()
            if roll < 0.6:
                out += _days(index, [day], rng)
            elif roll < 0.85:
                subjects = (MATH, *OTHER_SUBJECTS) if profile.group.grade >= 8 else OTHER_SUBJECTS
                out.append(_lesson(index, day, profile, rng, rng.choice(subjects)))
            else:
                out.append(_late(index, day, rng, excused=0.65))
        planned += out
    return planned


def _unknown_reason(rng: random.Random) -> tuple[str, bool, str]:
    return AbsenceReason.UNKNOWN, False, ""


def _illness_reason(rng: random.Random) -> tuple[str, bool, str]:
    return AbsenceReason.ILLNESS, True, rng.choice(ILLNESS_NOTES)


def _worrying_reason(rng: random.Random) -> tuple[str, bool, str]:
    roll = rng.random()
    if roll < 0.62:
        return AbsenceReason.ILLNESS, rng.random() < 0.85, rng.choice(ILLNESS_NOTES)
    if roll < 0.85:
        return AbsenceReason.UNKNOWN, False, ""
    return AbsenceReason.OTHER, True, rng.choice(("Vondt i hodet", "Orket ikke skolen"))


def _holiday_reason(rng: random.Random) -> tuple[str, bool, str]:
    roll = rng.random()
    if roll < 0.4:
        return AbsenceReason.ILLNESS, True, ""
    if roll < 0.7:
        return AbsenceReason.LEAVE, True, "Forlenget ferie, søknad innvilget"
    return AbsenceReason.UNKNOWN, False, ""


# --- seeding -------------------------------------------------------------------


def all_usernames() -> list[str]:
    return [login.username for login in DEMO_LOGINS]


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
        apply_absence_changes(creates=creates, by=users[by], now=now)


# outcome → (what was said, the reason and note the record gets when clarified)
CONTACT_SUMMARIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "clarified": (
        ("Ringte mor. Eleven var syk; hun sender melding i ettermiddag.", "illness", ""),
        ("Snakket med far. Eleven hadde vondt i magen og ble hjemme.", "illness", ""),
        ("Foresatte svarte på melding: tannlegetime de glemte å melde.", "other", "Tannlege"),
    ),
    "no_answer": (
        ("Ringte begge foresatte uten svar. Sendte SMS og ba om tilbakemelding.", "", ""),
        ("Fikk ikke tak i foresatte. Prøver igjen i morgen.", "", ""),
    ),
    "follow_up": (
        (
            "Mor bekrefter fraværet, men vet ikke hvorfor eleven ikke ville på skolen. "
            "Avtalt samtale neste uke.",
            "",
            "",
        ),
        ("Far sier eleven gruer seg til skolen om morgenen. Følges opp med samtale.", "", ""),
    ),
}


def _log_contacts(
    rng: random.Random,
    planned: list[PlannedAbsence],
    pupils: list[Pupil],
    profiles: list[PupilProfile],
    users: dict[str, User],
    reasons: dict[str, AbsenceReason],
    days: list[dt.date],
) -> int:
    """Contact teachers called home about some undocumented absence and corrected
    the record when the home explained; the last school day's still await a call."""
    first_undocumented: dict[int, PlannedAbsence] = {}
    for item in sorted(planned, key=lambda p: p.date):
        if not item.documented and item.kind == "day" and days and item.date < days[-1]:
            first_undocumented.setdefault(item.pupil, item)
    chosen = sorted(rng.sample(sorted(first_undocumented), min(14, len(first_undocumented))))
    guardians = defaultdict(list)
    for link in Guardian.pupils.through.objects.filter(
        pupil_id__in=[pupils[i].pk for i in chosen]
    ).select_related("guardian"):
        guardians[link.pupil_id].append(link.guardian)
    tz = timezone.get_current_timezone()
    for index in chosen:
        item, pupil = first_undocumented[index], pupils[index]
        teacher = users[profiles[index].group.contact]
        outcome = rng.choices(("clarified", "no_answer", "follow_up"), weights=(6, 2, 2))[0]
        said, reason, note = rng.choice(CONTACT_SUMMARIES[outcome])
        contacted_at = dt.datetime.combine(item.date, dt.time(9, rng.randint(5, 55)), tz)
        log_contact(
            pupil,
            contacted_at=contacted_at,
            channel="phone",
            counterpart="guardian",
            guardian=guardians[pupil.pk][0],
            summary=said,
            outcome=outcome,
            by=teacher,
            now=contacted_at,
        )
        if reason:
            # The home explained: the teacher corrects the record (kept in its history).
            record = AbsenceRecord.objects.get(pupil=pupil, date=item.date, kind="day")
            data = AbsenceInput(kind="day", documented=True, reason=reasons[reason], note=note)
            apply_absence_changes(
                updates=[(record, data)], by=teacher, now=contacted_at + dt.timedelta(minutes=5)
            )
    return len(chosen)
