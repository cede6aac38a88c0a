"""The red/yellow/green timetable (seed 002, "Timeplan (rødt/gult/grønt)") beside the
pupil's absence by weekday and lesson: the evidence for the plan.

The newest `TimetableSurvey` says, for each lesson of an ordinary week, how the pupil
finds it and who and what makes it so. Beside it, how often the pupil was absent in
that lesson slot this school year. An absence record names its date and, for lesson
absence, its subject and how many lessons, but not which lesson of the day: so a
whole day counts in every lesson of its weekday, and lesson absence counts in the
slots of its weekday whose subject the pupil named the same (a double lesson counts
in both slots). Lesson absence in a subject the timetable does not have that weekday
is shown in the weekday's summary, never lost. Late arrivals are per weekday.

Five queries, whatever the data: the survey and its ratings, the class, the calendar
and the absence (`fravaer.queries.day_figures`, counted as the pupil page counts).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from cases.models import Case
from fravaer.queries import day_figures
from fravaer.schooldays import SchoolCalendar
from plans.chart import case_group
from plans.models import AttendanceDay, LessonRating, TimetableSurvey

WEEKDAYS = list(AttendanceDay.Weekday)  # Monday to Friday

# Not colour alone: each rating has a symbol and its words beside its colour.
SYMBOLS = {
    LessonRating.Rating.EASY: "●",
    LessonRating.Rating.MIXED: "▲",
    LessonRating.Rating.HARD: "■",
}


def subject_key(subject: str) -> str:
    return " ".join(subject.split()).casefold()


@dataclass
class Slot:
    weekday: int
    lesson: int
    rating: LessonRating | None = None
    absent: int = 0  # school days the pupil was absent in this slot

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.rating.rating, "") if self.rating else ""


@dataclass
class WeekdaySummary:
    weekday: int
    label: str
    school_days: int = 0
    whole_days: int = 0
    late: int = 0
    # Lesson absence in a subject the timetable does not name that weekday.
    other_lessons: int = 0
    other_subjects: set[str] = field(default_factory=set)


@dataclass
class TimetableGrid:
    case: Case
    survey: TimetableSurvey | None
    lessons_per_day: int
    start: dt.date
    until: dt.date
    rows: list[list[Slot]]  # one row per lesson, one slot per weekday
    weekdays: list[WeekdaySummary]

    @property
    def lessons(self) -> range:
        return range(1, self.lessons_per_day + 1)

    @property
    def counts(self) -> dict[str, int]:
        """How many lessons the pupil rated green, yellow and red."""
        found: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for slot in row:
                if slot.rating:
                    found[slot.rating.rating] += 1
        return dict(found)


def newest_survey(case: Case) -> TimetableSurvey | None:
    """The case's newest timetable with its ratings. Two queries."""
    return (
        TimetableSurvey.objects.filter(case=case)
        .select_related("recorded_by")
        .prefetch_related(Prefetch("ratings", queryset=LessonRating.objects.all()))
        .order_by("-filled_on", "-recorded_at", "-pk")
        .first()
    )


def timetable_grid(case: Case, *, today: dt.date) -> TimetableGrid | None:
    """The newest timetable beside the absence by weekday and lesson over the school
    year of the pupil's class at the case's school, up to today. None when the pupil
    has no class there. Five queries."""
    group = case_group(case, today)
    if group is None:
        return None
    survey = newest_survey(case)
    year = group.school_year
    start, until = year.start, min(today, year.end)
    n = group.lessons_per_day
    rows = [[Slot(day.value, lesson) for day in WEEKDAYS] for lesson in range(1, n + 1)]
    subjects: dict[tuple[int, str], list[Slot]] = defaultdict(list)
    if survey is not None:
        for rating in survey.ratings.all():
            if 1 <= rating.lesson <= n and 0 <= rating.weekday <= 4:
                slot = rows[rating.lesson - 1][rating.weekday]
                slot.rating = rating
                if rating.subject.strip():
                    subjects[(rating.weekday, subject_key(rating.subject))].append(slot)
    summaries = [WeekdaySummary(day.value, day.label) for day in WEEKDAYS]
    calendar = SchoolCalendar.for_school(case.school_id, start, until)
    for day in calendar.school_days(start, until):
        summaries[day.weekday()].school_days += 1
    # A slot counts each date once, whatever the records that date say.
    slot_dates: dict[tuple[int, int], set[dt.date]] = defaultdict(set)
    for figure in day_figures(case.pupil, start=start, until=until):
        weekday = figure.date.weekday()
        if weekday > 4:
            continue
        summary = summaries[weekday]
        summary.late += figure.late
        if figure.days:
            summary.whole_days += figure.days
            for lesson in range(n):
                slot_dates[(lesson, weekday)].add(figure.date)
        if figure.hours:
            matched = subjects.get((weekday, subject_key(figure.subject)), [])
            for slot in matched:
                slot_dates[(slot.lesson - 1, weekday)].add(figure.date)
            if not matched:
                summary.other_lessons += figure.hours
                if figure.subject.strip():
                    summary.other_subjects.add(figure.subject.strip())
    for (lesson, weekday), dates in slot_dates.items():
        rows[lesson][weekday].absent = len(dates)
    return TimetableGrid(
        case=case,
        survey=survey,
        lessons_per_day=n,
        start=start,
        until=until,
        rows=rows,
        weekdays=summaries,
    )
