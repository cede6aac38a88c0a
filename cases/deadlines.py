"""Reads about deadlines: which are pending or passed, how many days a kind runs in a
municipality, and on which school day a deadline or a date field's window falls. No
writes: the actions that start, meet and remind (`cases.actions.deadlines`) and the
pages and panels that show deadlines all read through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet

from cases.models import DEFAULT_DEADLINE_DAYS, Case, Deadline, DeadlineSetting
from fravaer.schooldays import SEARCH_LIMIT_DAYS, SchoolCalendar

# Seed 004 (Færder): the owner is reminded this many school days before.
REMIND_SCHOOL_DAYS_BEFORE = 2


def pending_deadlines() -> QuerySet[Deadline]:
    """Deadlines still running on open cases."""
    return Deadline.objects.pending().filter(case__status=Case.Status.OPEN)


def overdue_exists(today: dt.date) -> Exists:
    """For annotating cases: a pending deadline of the case has passed."""
    return Exists(Deadline.objects.pending().filter(case=OuterRef("pk"), due__lt=today))


def overdue_counts(school_ids, today: dt.date) -> dict[int, int]:
    """Open cases with a passed deadline, per school: one query."""
    rows = (
        Case.objects.open()
        .filter(school_id__in=school_ids)
        .filter(overdue_exists(today))
        .values("school_id")
        .annotate(n=Count("pk"))
    )
    return {row["school_id"]: row["n"] for row in rows}


def reminder_day(due: dt.date, calendar: SchoolCalendar) -> dt.date:
    """Two school days before `due` (weekends and the school's non-school days skipped)."""
    day = due
    for _step in range(REMIND_SCHOOL_DAYS_BEFORE):
        previous = calendar.previous_school_day(day)
        if previous is None:  # no school day for months: fall back to calendar days
            return due - dt.timedelta(days=REMIND_SCHOOL_DAYS_BEFORE)
        day = previous
    return day


def overdue_day(due: dt.date, calendar: SchoolCalendar) -> dt.date:
    """The first school day after `due`: a deadline on a Friday is reported passed on
    Monday, not on Saturday when nobody is at school to act on it."""
    return calendar.next_school_day(due) or due + dt.timedelta(days=1)


def municipality_deadline_days(municipality_id: int) -> dict[str, int]:
    """Every deadline kind's days for one municipality (settings over defaults)."""
    days = {kind: DEFAULT_DEADLINE_DAYS[kind] for kind in Deadline.Kind.values}
    days.update(
        DeadlineSetting.objects.filter(municipality_id=municipality_id).values_list("kind", "days")
    )
    return days


def deadline_days(municipality_id: int, kind: str) -> int:
    """How many days one kind of deadline runs in a municipality."""
    return municipality_deadline_days(municipality_id)[kind]


@dataclass(frozen=True)
class Due:
    """A deadline's date. When the days counted land on a day without school, the
    deadline moves forward to the next school day, never back (a 21-day evaluation
    must not shrink to 11 days over Christmas): `moved_from` is the day they landed on
    and `because` why it had no school (`SchoolCalendar.closed_reason`)."""

    date: dt.date
    moved_from: dt.date | None = None
    because: str = ""


def due_on_school_day(calendar: SchoolCalendar, day: dt.date) -> Due:
    """`day`, or the first school day after it when the school is closed that day."""
    if calendar.is_school_day(day):
        return Due(day)
    later = calendar.next_school_day(day)
    if later is None:  # no school day for months: keep the counted day
        return Due(day)
    return Due(later, moved_from=day, because=calendar.closed_reason(day))


def deadline_due(school_id: int, today: dt.date, days: int) -> Due:
    """`days` after today, on a school day of the school (`due_on_school_day`)."""
    day = today + dt.timedelta(days=days)
    calendar = SchoolCalendar.for_school(school_id, day, day + dt.timedelta(days=SEARCH_LIMIT_DAYS))
    return due_on_school_day(calendar, day)


@dataclass(frozen=True)
class Window:
    """The days a date field allows (`earliest`..`latest`) and the date it suggests (the
    last school day in it). A window without a school day widens its end to the first
    school day after it: `widened_from` is the end it had, `because` why that day
    had no school."""

    earliest: dt.date
    latest: dt.date
    suggested: dt.date
    widened_from: dt.date | None = None
    because: str = ""


def school_day_window(calendar: SchoolCalendar, earliest: dt.date, latest: dt.date) -> Window:
    school_days = list(calendar.school_days(earliest, latest))
    if school_days:
        return Window(earliest, latest, school_days[-1])
    first = calendar.next_school_day(latest)
    if first is None:
        return Window(earliest, latest, latest)
    return Window(
        earliest, first, first, widened_from=latest, because=calendar.closed_reason(latest)
    )


def deadline_window(school_id: int, earliest: dt.date, latest: dt.date) -> Window:
    calendar = SchoolCalendar.for_school(
        school_id, earliest, latest + dt.timedelta(days=SEARCH_LIMIT_DAYS)
    )
    return school_day_window(calendar, earliest, latest)
