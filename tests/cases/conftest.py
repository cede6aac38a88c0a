"""Factories for the cases tests; the personas come from tests/conftest.py."""

from __future__ import annotations

import pytest

from cases.actions.core import open_case
from cases.models import Case


def make_case(pupil, *, by, concern="Mye fravær på mandager.", **extra) -> Case:
    enrollment = pupil.enrollments.select_related("group__school").first()
    return open_case(pupil, school=enrollment.group.school, concern=concern, by=by, **extra)


@pytest.fixture
def case(pupil, contact_teacher) -> Case:
    """An open nivå 0 case owned by the pupil's contact teacher."""
    return make_case(pupil, by=contact_teacher)
