"""Who was absent when, so far this school year: most pupils little, some with a
pattern (Mondays, one subject, around the holidays, late arrivals, illness,
unexplained days), a few very much. Pure Python on a seeded `random.Random`: the
plan is made before anything is written, and `generator` registers it."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from fravaer.demo.data import (
    ILLNESS_NOTES,
    LEAVE_NOTES,
    MATH,
    OTHER_NOTES,
    OTHER_SUBJECTS,
    PE,
    SUBJECT_TEACHER_GROUPS,
    DemoGroup,
)
from fravaer.models import AbsenceReason

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
        # The first school day of the year and the days on either side of a holiday.
        holidays = [(a, b) for a, b in pairwise(self.days) if (b - a).days > 3]
        self.around_holidays = sorted({*self.days[:1], *(d for pair in holidays for d in pair)})

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
