"""Fixtures for the plans tests; personas come from tests/conftest.py."""

from __future__ import annotations

import pytest

from cases.actions.core import open_case
from cases.models import Case
from tests.factories import at_level


@pytest.fixture
def case(pupil, group, contact_teacher) -> Case:
    """An open nivå 1 case owned by the pupil's contact teacher."""
    case = open_case(
        pupil, school=group.school, concern="Mye fravær på mandager.", by=contact_teacher
    )
    return at_level(case, "1", by=contact_teacher)
