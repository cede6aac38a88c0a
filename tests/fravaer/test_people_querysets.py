"""The named filters on people and classes: an enrollment or a teaching assignment in
force on a day (first and last day included, an open end runs on), a class of the
current school year, and the schools where a user holds a role."""

from __future__ import annotations

import datetime as dt

import pytest

from fravaer.models import (
    Enrollment,
    Group,
    Pupil,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from tests.conftest import make_group, make_pupil, make_user

START = dt.date(2026, 9, 1)
END = dt.date(2026, 10, 15)
DAY = dt.timedelta(days=1)

# (day, in force for a period START–END, in force for an open period from START)
BOUNDARIES = [
    (START - DAY, False, False),
    (START, True, True),
    (END, True, True),
    (END + DAY, False, True),
    (dt.date(2030, 1, 1), False, True),
]


@pytest.fixture
def ended(group) -> Enrollment:
    enrollment = make_pupil(group, start=START).enrollments.get()
    enrollment.end = END
    enrollment.save(update_fields=["end"])
    return enrollment


@pytest.fixture
def running(group) -> Enrollment:
    return make_pupil(group, start=START).enrollments.get()


@pytest.mark.parametrize(("day", "in_ended", "in_open"), BOUNDARIES)
def test_enrollment_active_on_includes_first_and_last_day_and_an_open_end(
    ended, running, day, in_ended, in_open
):
    active = set(Enrollment.objects.active_on(day))
    assert (ended in active) is in_ended
    assert (running in active) is in_open


@pytest.mark.parametrize(("day", "in_ended", "in_open"), BOUNDARIES)
def test_enrollment_active_q_across_a_relation_agrees_with_active_on(
    ended, running, day, in_ended, in_open
):
    pupils = set(Pupil.objects.filter(Enrollment.active_q(day, prefix="enrollments__")))
    assert pupils == {e.pupil for e in Enrollment.objects.active_on(day)}
    assert (ended.pupil in pupils) is in_ended
    assert (running.pupil in pupils) is in_open


@pytest.mark.parametrize(
    ("day", "expected"),
    [(START - DAY, True), (START, True), (END, True), (END + DAY, False)],
)
def test_enrollment_not_ended_by_keeps_one_that_has_not_started_yet(ended, day, expected):
    assert Enrollment.objects.not_ended_by(day).filter(pk=ended.pk).exists() is expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (START - 10 * DAY, START - DAY, False),
        (START - 10 * DAY, START, True),
        (START + DAY, END - DAY, True),
        (END, END + 10 * DAY, True),
        (END + DAY, END + 10 * DAY, False),
        (START - DAY, END + DAY, True),
    ],
)
def test_enrollment_overlapping_a_period_shares_at_least_one_day(ended, first, last, expected):
    assert Enrollment.objects.overlapping(first, last).filter(pk=ended.pk).exists() is expected


def _assignment(group, valid_to=None) -> TeachingAssignment:
    return TeachingAssignment.objects.create(
        user=make_user(), group=group, kind="contact", valid_from=START, valid_to=valid_to
    )


@pytest.mark.parametrize(("day", "in_ended", "in_open"), BOUNDARIES)
def test_assignment_active_on_includes_first_and_last_day_and_an_open_end(
    group, day, in_ended, in_open
):
    ended, running = _assignment(group, valid_to=END), _assignment(group)
    active = set(TeachingAssignment.objects.active_on(day))
    assert (ended in active) is in_ended
    assert (running in active) is in_open


@pytest.mark.parametrize(("day", "in_ended", "in_open"), BOUNDARIES)
def test_assignment_active_q_across_a_relation_agrees_with_active_on(group, day, in_ended, in_open):
    ended, running = _assignment(group, valid_to=END), _assignment(group)
    teachers = set(User.objects.filter(TeachingAssignment.active_q(day, "teaching_assignments__")))
    assert teachers == {a.user for a in TeachingAssignment.objects.active_on(day)}
    assert (ended.user in teachers) is in_ended
    assert (running.user in teachers) is in_open


@pytest.mark.parametrize(
    ("day", "expected"),
    [(START - DAY, True), (START, True), (END, True), (END + DAY, False)],
)
def test_assignment_not_ended_by_keeps_one_that_has_not_started_yet(group, day, expected):
    ended = _assignment(group, valid_to=END)
    assert TeachingAssignment.objects.not_ended_by(day).filter(pk=ended.pk).exists() is expected


@pytest.mark.parametrize(
    ("day", "this_year", "next_year"),
    [
        (dt.date(2026, 7, 31), False, False),
        (dt.date(2026, 8, 1), True, False),
        (dt.date(2027, 7, 31), True, False),
        (dt.date(2027, 8, 1), False, True),
    ],
)
def test_group_current_on_is_the_school_year_the_day_falls_in(
    school, school_year, day, this_year, next_year
):
    now = make_group(school, school_year, name="5A")
    later = make_group(
        school,
        SchoolYear.objects.create(start=dt.date(2027, 8, 1), end=dt.date(2028, 7, 31)),
        name="6A",
    )
    current = set(Group.objects.current_on(day))
    assert (now in current) is this_year
    assert (later in current) is next_year
    assert set(Group.objects.filter(Group.current_q(day))) == current
    pupils = Pupil.objects.filter(Group.current_q(day, prefix="enrollments__group__"))
    assert set(pupils) == set(Pupil.objects.filter(enrollments__group__in=current))


def test_staff_role_school_ids_are_the_schools_of_the_given_roles(school, other_school):
    user = make_user()
    StaffRole.objects.create(user=user, role="school_nurse", school=school)
    StaffRole.objects.create(user=user, role="school_leader", school=other_school)

    assert set(StaffRole.objects.school_ids(user).values_list("school_id", flat=True)) == {
        school.pk,
        other_school.pk,
    }
    leading = StaffRole.objects.school_ids(user, [StaffRole.Role.SCHOOL_LEADER])
    assert set(leading.values_list("school_id", flat=True)) == {other_school.pk}


def test_staff_role_school_ids_leave_out_municipal_roles_by_default(ppt_advisor):
    assert not StaffRole.objects.school_ids(ppt_advisor).exists()
