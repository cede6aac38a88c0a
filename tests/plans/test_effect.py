"""The attendance effect (`plans.effect`): the absence share in an equal number of
school days before the plan against the share since it was agreed, on hand-computed
data with a holiday in each period."""

from __future__ import annotations

import datetime as dt

import pytest

from fravaer.models import NonSchoolDay
from plans.effect import Effect, attendance_effect
from tests.factories import absence

pytestmark = pytest.mark.django_db

AGREED = dt.date(2026, 11, 2)  # a Monday
UNTIL = dt.date(2026, 11, 13)  # the Friday a fortnight later


@pytest.fixture
def six_lessons(group):
    group.lessons_per_day = 6
    group.save(update_fields=["lessons_per_day"])
    return group


@pytest.fixture
def holidays(school):
    """A day off in each period: Thursday 22.10 (before), Wednesday 11.11 (since)."""
    for day in (dt.date(2026, 10, 22), dt.date(2026, 11, 11)):
        NonSchoolDay.objects.create(school=school, date=day, kind="holiday", name="Fri")


@pytest.fixture
def records(pupil, contact_teacher):
    def add(day, kind="day", **extra):
        absence(pupil, day, contact_teacher, kind=kind, **extra)

    add(dt.date(2026, 10, 16))  # before the period before: not counted
    add(dt.date(2026, 10, 20))
    add(dt.date(2026, 10, 27))
    add(dt.date(2026, 10, 29), kind="lesson", lessons=3)
    add(dt.date(2026, 10, 30), kind="late", minutes_late=10)
    add(dt.date(2026, 11, 4))
    add(dt.date(2026, 11, 10), kind="lesson", lessons=2)
    add(dt.date(2026, 11, 5), kind="late", minutes_late=5)
    add(dt.date(2026, 11, 12), kind="late", minutes_late=5)
    add(dt.date(2026, 11, 16))  # after the evaluation date: not counted


def test_the_period_since_counts_school_days_from_agreed_to_until_without_the_holiday(
    pupil, school, six_lessons, holidays, records
):
    effect = attendance_effect(pupil, school_id=school.pk, agreed_on=AGREED, until=UNTIL)
    since = effect.since
    # 2.–13.11: ten weekdays, 11.11 off.
    assert (since.start, since.end, since.school_days) == (AGREED, UNTIL, 9)
    assert (since.days, since.hours, since.late) == (1, 2, 2)
    assert (since.absent_lessons, since.scheduled_lessons) == (1 * 6 + 2, 9 * 6)
    assert since.percent == 14.8  # 8 / 54


def test_the_period_before_is_as_many_school_days_right_before_agreed(
    pupil, school, six_lessons, holidays, records
):
    effect = attendance_effect(pupil, school_id=school.pk, agreed_on=AGREED, until=UNTIL)
    before = effect.before
    # Nine school days back from 30.10, skipping the weekend and 22.10: from 19.10.
    assert (before.start, before.end, before.school_days) == (
        dt.date(2026, 10, 19),
        dt.date(2026, 11, 1),
        9,
    )
    assert (before.days, before.hours, before.late) == (2, 3, 1)
    assert (before.absent_lessons, before.scheduled_lessons) == (2 * 6 + 3, 54)
    assert before.percent == 27.8  # 15 / 54
    assert effect.change == -13.0
    assert effect.improved and not effect.before_is_shorter


def test_the_effect_survives_its_snapshot(pupil, school, six_lessons, holidays, records):
    effect = attendance_effect(pupil, school_id=school.pk, agreed_on=AGREED, until=UNTIL)
    data = effect.as_json()
    assert data["before"]["percent"] == 27.8 and data["since"]["percent"] == 14.8
    assert data["change"] == -13.0
    assert Effect.from_json(data) == effect
    assert Effect.from_json({}) is None


def test_the_period_before_stops_at_the_start_of_the_school_year(pupil, school, six_lessons):
    # Agreed on Wednesday 19.08.2026; the school year began 01.08 (a Saturday).
    effect = attendance_effect(
        pupil, school_id=school.pk, agreed_on=dt.date(2026, 8, 19), until=dt.date(2026, 9, 30)
    )
    assert effect.before.start == dt.date(2026, 8, 3)
    assert effect.before.school_days == 12  # 3.–18.08
    assert effect.since.school_days == 31
    assert effect.before_is_shorter


def test_nothing_to_compare_on_the_day_before_the_plan(pupil, school, six_lessons):
    effect = attendance_effect(
        pupil, school_id=school.pk, agreed_on=AGREED, until=AGREED - dt.timedelta(days=1)
    )
    assert not effect.has_days
    assert effect.before.school_days == 0 and effect.since.percent == 0.0


def test_a_pupil_in_no_class_at_the_school_has_no_effect(pupil, other_school):
    assert attendance_effect(pupil, school_id=other_school.pk, agreed_on=AGREED) is None


@pytest.mark.parametrize("extra_records", [0, 12])
def test_the_effect_costs_four_queries_whatever_the_absence(
    pupil, school, contact_teacher, six_lessons, holidays, django_assert_num_queries, extra_records
):
    day = dt.date(2026, 10, 5)
    added = 0
    while added < extra_records:
        if day.weekday() < 5:
            absence(pupil, day, contact_teacher)
            added += 1
        day += dt.timedelta(days=1)
    with django_assert_num_queries(4):
        attendance_effect(pupil, school_id=school.pk, agreed_on=AGREED, until=UNTIL)
