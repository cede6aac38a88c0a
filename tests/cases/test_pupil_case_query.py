"""The pupil page's case panel (`cases.queries.pupil_case`): the open case, or the
case closed most lately within the reopening window, read in one query of cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import REOPEN_DAYS, Case
from cases.queries import pupil_case
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db


def _close(case, days_ago: int) -> None:
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED,
        closed_at=timezone.now() - dt.timedelta(days=days_ago),
        close_reason=Case.CloseReason.MEASURES_WORKED,
    )


def _state(user, pupil, group):
    return pupil_case(user, pupil, school_id=group.school_id, is_contact_teacher=True)


def test_the_case_closed_most_lately_within_the_window_is_offered_to_reopen(
    pupil, group, contact_teacher, django_assert_num_queries
):
    old = make_case(pupil, by=contact_teacher)
    _close(old, REOPEN_DAYS + 5)
    later = make_case(pupil, by=contact_teacher)
    _close(later, 3)
    earlier = make_case(pupil, by=contact_teacher)
    _close(earlier, 10)
    with django_assert_num_queries(1):  # the contact teacher may open: no role query
        state = _state(contact_teacher, pupil, group)
    assert state.open_case is None
    assert state.recent_closed.pk == later.pk


def test_an_open_case_wins_and_nothing_is_offered_to_reopen(pupil, group, contact_teacher):
    closed = make_case(pupil, by=contact_teacher)
    _close(closed, 1)
    open_case = make_case(pupil, by=contact_teacher)
    state = _state(contact_teacher, pupil, group)
    assert state.open_case.pk == open_case.pk
    assert state.recent_closed is None


def test_only_a_case_closed_too_long_ago_offers_nothing(pupil, group, contact_teacher):
    _close(make_case(pupil, by=contact_teacher), REOPEN_DAYS + 1)
    state = _state(contact_teacher, pupil, group)
    assert state.open_case is None and state.recent_closed is None


def test_a_case_the_user_does_not_see_is_neither(pupil, group, contact_teacher, subject_teacher):
    make_case(pupil, by=contact_teacher)
    state = pupil_case(subject_teacher, pupil, school_id=group.school_id, is_contact_teacher=False)
    assert state.open_case is None and state.recent_closed is None
