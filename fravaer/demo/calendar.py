"""The demo schools' calendar: the holidays and planning days of a school year,
exact where we have them and derived from the usual pattern (Easter included)
otherwise."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from fravaer.models import NonSchoolDay


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
