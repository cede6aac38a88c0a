"""The attendance effect of a plan: the pupil's absence share in an equal period before
the plan against the share since it was agreed, with the figures behind each (seed 000
p. 14: the evaluation looks at whether the measures worked).

"Since" runs from the day the version was agreed (`PlanVersion.agreed_on`) to the
evaluation date (or today); "before" is the same number of school days right before
`agreed_on`. Only school days count (`fravaer.schooldays`: weekends and the school's
non-school days are left out), and the figures are counted the way the pupil page counts
them (`fravaer.queries.pupil_period_totals`, the same count as `year_totals`): whole days and
single lessons as absent lessons of the class's lessons per day; late arrivals beside.

The period before never reaches back past the start of the school year: the summer
holiday is not in the school's calendar of non-school days, and last year's class may
have had another timetable. When the plan was agreed early in the year, the period
before is shorter than the period since, and the page says so.

A read module: four queries, whatever the absence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.utils import timezone

from fravaer.models import Enrollment, Pupil
from fravaer.queries import AbsenceTotals, pupil_period_totals
from fravaer.schooldays import SchoolCalendar


@dataclass(frozen=True)
class PeriodFigures:
    """One side of the comparison: its days and what the pupil was absent."""

    start: dt.date
    end: dt.date
    school_days: int
    days: int  # whole days absent
    hours: int  # single lessons absent
    late: int  # late arrivals
    absent_lessons: int
    scheduled_lessons: int

    @property
    def percent(self) -> float:
        """Absent share of the scheduled school time, in percent (one decimal)."""
        if not self.scheduled_lessons:
            return 0.0
        return round(100 * self.absent_lessons / self.scheduled_lessons, 1)

    @classmethod
    def of(cls, start: dt.date, end: dt.date, totals: AbsenceTotals) -> PeriodFigures:
        return cls(
            start=start,
            end=end,
            school_days=totals.school_days,
            days=totals.days,
            hours=totals.hours,
            late=totals.late,
            absent_lessons=totals.absent_lessons,
            scheduled_lessons=totals.scheduled_lessons,
        )

    def as_json(self) -> dict:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        data["percent"] = self.percent
        return data

    @classmethod
    def from_json(cls, data: dict) -> PeriodFigures:
        return cls(
            start=dt.date.fromisoformat(data["start"]),
            end=dt.date.fromisoformat(data["end"]),
            **{
                k: int(data.get(k, 0))
                for k in (
                    "school_days",
                    "days",
                    "hours",
                    "late",
                    "absent_lessons",
                    "scheduled_lessons",
                )
            },
        )


@dataclass(frozen=True)
class Effect:
    agreed_on: dt.date
    until: dt.date
    lessons_per_day: int
    before: PeriodFigures
    since: PeriodFigures

    @property
    def change(self) -> float:
        """Percentage points from before to since: negative is less absence."""
        return round(self.since.percent - self.before.percent, 1)

    @property
    def improved(self) -> bool:
        return self.change < 0

    @property
    def worsened(self) -> bool:
        return self.change > 0

    @property
    def before_is_shorter(self) -> bool:
        """The school year began less than the period since before the plan."""
        return self.before.school_days < self.since.school_days

    @property
    def has_days(self) -> bool:
        """Any school days since the plan was agreed (none: nothing to compare yet)."""
        return self.since.school_days > 0

    def as_json(self) -> dict:
        """The snapshot an evaluation keeps (`Evaluation.effect`)."""
        return {
            "agreed_on": self.agreed_on.isoformat(),
            "until": self.until.isoformat(),
            "lessons_per_day": self.lessons_per_day,
            "before": self.before.as_json(),
            "since": self.since.as_json(),
            "change": self.change,
        }

    @classmethod
    def from_json(cls, data: dict) -> Effect | None:
        """The effect an evaluation saw; None for an evaluation without one (the pupil
        was in no class)."""
        if not data or "since" not in data:
            return None
        return cls(
            agreed_on=dt.date.fromisoformat(data["agreed_on"]),
            until=dt.date.fromisoformat(data["until"]),
            lessons_per_day=int(data["lessons_per_day"]),
            before=PeriodFigures.from_json(data["before"]),
            since=PeriodFigures.from_json(data["since"]),
        )


def _enrollment(pupil: Pupil, school_id: int, day: dt.date) -> Enrollment | None:
    """The pupil's class at the case's school on `day`, or the latest one there."""
    mine = Enrollment.objects.filter(pupil=pupil, group__school_id=school_id).select_related(
        "group__school_year"
    )
    return (
        mine.filter(pk__in=Enrollment.objects.active_on(day).filter(pupil=pupil).values("pk"))
        .order_by("-start", "-pk")
        .first()
        or mine.order_by("-start", "-pk").first()
    )


def school_days_before(calendar: SchoolCalendar, day: dt.date, n: int, earliest: dt.date):
    """The first of the `n` school days right before `day`, never before `earliest`
    (then fewer); None when there is no school day between them."""
    first = None
    candidate = day - dt.timedelta(days=1)
    found = 0
    while found < n and candidate >= earliest:
        if calendar.is_school_day(candidate):
            first = candidate
            found += 1
        candidate -= dt.timedelta(days=1)
    return first


def attendance_effect(
    pupil: Pupil, *, school_id: int, agreed_on: dt.date, until: dt.date | None = None
) -> Effect | None:
    """The effect of a plan agreed on `agreed_on`, up to `until` (default today; a day
    before `agreed_on` gives an empty period since). None when the pupil has never been
    in a class at the school (no lessons per day to count with)."""
    until = until or timezone.localdate()
    enrollment = _enrollment(pupil, school_id, until)
    if enrollment is None:
        return None
    group = enrollment.group
    year_start = group.school_year.start
    # From the year's start, or the agreement if it was agreed before it (a plan
    # carried over the summer), to the end of the period since.
    calendar = SchoolCalendar.for_school(school_id, min(year_start, agreed_on), until)
    lessons = group.lessons_per_day
    since = pupil_period_totals(
        pupil, lessons_per_day=lessons, calendar=calendar, start=agreed_on, end=until
    )
    first = school_days_before(calendar, agreed_on, since.school_days, year_start)
    before_start = first or agreed_on
    before_end = agreed_on - dt.timedelta(days=1)
    before = pupil_period_totals(
        pupil,
        lessons_per_day=lessons,
        calendar=calendar,
        start=before_start,
        end=before_end if first else before_start - dt.timedelta(days=1),
    )
    return Effect(
        agreed_on=agreed_on,
        until=until,
        lessons_per_day=lessons,
        before=PeriodFigures.of(before_start, before_end, before),
        since=PeriodFigures.of(agreed_on, until, since),
    )
