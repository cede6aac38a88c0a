"""School days of one school: Monday–Friday minus the configured non-school days.

Pure Python over a set of dates, so the register, the pupil page and the threshold
engine share one definition and each loads a school's calendar in one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext

ONE_DAY = dt.timedelta(days=1)
# How far to look for the previous/next school day (summer holiday is ~8 weeks).
SEARCH_LIMIT_DAYS = 120


@dataclass(frozen=True)
class SchoolCalendar:
    closed: dict[dt.date, str] = field(default_factory=dict)

    @classmethod
    def for_school(cls, school_id: int, start: dt.date, end: dt.date) -> SchoolCalendar:
        from fravaer.models import NonSchoolDay

        rows = NonSchoolDay.objects.filter(
            school_id=school_id, date__gte=start, date__lte=end
        ).values_list("date", "name")
        return cls(dict(rows))

    @classmethod
    def from_days(cls, days: Iterable[tuple[dt.date, str]]) -> SchoolCalendar:
        return cls(dict(days))

    @staticmethod
    def closed_name_on(day: dt.date):
        """A subquery for annotating groups or schools: the name of the non-school
        day at their school on `day` ('' if unnamed, None if it is not closed)."""
        from django.db.models import OuterRef, Subquery

        from fravaer.models import NonSchoolDay

        return Subquery(
            NonSchoolDay.objects.filter(school=OuterRef("school_id"), date=day).values("name")[:1]
        )

    @classmethod
    def from_group_annotation(cls, day: dt.date, closed_name: str | None) -> SchoolCalendar:
        """The calendar as far as one day goes, from `closed_name_on`."""
        return cls({} if closed_name is None else {day: closed_name})

    def is_school_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.closed

    def closed_reason(self, day: dt.date) -> str:
        """Why a day is not a school day ('' for a school day)."""
        if day in self.closed:
            return self.closed[day] or "closed"
        if day.weekday() >= 5:
            return "weekend"
        return ""

    def previous_school_day(self, day: dt.date) -> dt.date | None:
        candidate = day - ONE_DAY
        for _ in range(SEARCH_LIMIT_DAYS):
            if self.is_school_day(candidate):
                return candidate
            candidate -= ONE_DAY
        return None

    def school_day_on_or_after(self, day: dt.date) -> dt.date | None:
        """`day` if it is a school day, else the next one."""
        return day if self.is_school_day(day) else self.next_school_day(day)

    def next_school_day(self, day: dt.date) -> dt.date | None:
        candidate = day + ONE_DAY
        for _ in range(SEARCH_LIMIT_DAYS):
            if self.is_school_day(candidate):
                return candidate
            candidate += ONE_DAY
        return None

    def school_days(self, start: dt.date, end: dt.date) -> Iterator[dt.date]:
        """School days from start to end, both included."""
        day = start
        while day <= end:
            if self.is_school_day(day):
                yield day
            day += ONE_DAY

    def count_school_days(self, start: dt.date, end: dt.date) -> int:
        return sum(1 for _ in self.school_days(start, end))


def closed_reason_label(reason: str) -> str:
    """`SchoolCalendar.closed_reason` in words: a holiday's own name, or what kind of
    day it is."""
    if reason == "weekend":
        return gettext("helg")
    if reason == "closed":
        return gettext("skolefri")
    return reason


def weekdays(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += ONE_DAY
