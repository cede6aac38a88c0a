"""Factories for the cases tests; the personas come from tests/conftest.py."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.actions.core import open_case
from cases.actions.meetings import log_conversation
from cases.models import Case, Conversation


def make_case(pupil, *, by, concern="Mye fravær på mandager.", **extra) -> Case:
    enrollment = pupil.enrollments.select_related("group__school").first()
    return open_case(pupil, school=enrollment.group.school, concern=concern, by=by, **extra)


def logged_conversation(case, *, by, held_on=None, summary="", answers=None) -> Conversation:
    """A nivå 0 conversation with pupil and guardians by phone, logged as the form logs
    it (with its event), today unless `held_on` says otherwise."""
    return log_conversation(
        case,
        held_on=held_on or timezone.localdate(),
        with_whom="both",
        medium="phone",
        answers=answers or {},
        summary=summary,
        by=by,
    )


@pytest.fixture
def case(pupil, contact_teacher) -> Case:
    """An open nivå 0 case owned by the pupil's contact teacher."""
    return make_case(pupil, by=contact_teacher)
