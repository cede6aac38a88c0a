"""Fixtures for the plans tests; personas come from tests/conftest.py. `agreed_version`
builds an agreed version directly with the models, agreed on a day in the past (the
evaluation tests need the weeks since)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.actions.core import open_case
from cases.models import Case
from plans.models import Agreement, Arena, Goal, Measure, PlanVersion
from tests.factories import at_level


def agreed_version(
    case: Case,
    *,
    by,
    agreed_on: dt.date,
    goals: int = 1,
    measures: int = 2,
    number: int = 1,
    level: str | None = None,
) -> PlanVersion:
    """An agreed version of the case's plan with `goals` short-term goals and
    `measures` measures (the first at school, the next at home, ...)."""
    now = timezone.now()
    agreement, _ = Agreement.objects.get_or_create(
        case=case, defaults={"created_by": by, "created_at": now}
    )
    PlanVersion.objects.filter(agreement=agreement, status=PlanVersion.Status.AGREED).update(
        status=PlanVersion.Status.SUPERSEDED
    )
    version = PlanVersion.objects.create(
        agreement=agreement,
        number=number,
        status=PlanVersion.Status.AGREED,
        level=level or case.level,
        long_term_goal="Eleven er på skolen hver dag.",
        evaluation_date=agreed_on + dt.timedelta(days=21),
        agreed_on=agreed_on,
        agreed_by=by,
        agreed_at=now,
        pupil_took_part=True,
        created_by=by,
        created_at=now,
    )
    Goal.objects.bulk_create(
        Goal(
            version=version,
            text=f"Delmål {i + 1}: møter til første time",
            target_date=agreed_on + dt.timedelta(days=21),
            order=i,
        )
        for i in range(goals)
    )
    arenas = list(Arena.values)
    Measure.objects.bulk_create(
        Measure(
            version=version,
            what=f"Tiltak {i + 1}: møtes i biblioteket kl. 09.30",
            responsible=Measure.Responsible.STAFF,
            responsible_staff=by,
            arena=arenas[i % len(arenas)],
            starts_on=agreed_on,
            order=i,
        )
        for i in range(measures)
    )
    return version


@pytest.fixture
def case(pupil, group, contact_teacher) -> Case:
    """An open nivå 1 case owned by the pupil's contact teacher."""
    case = open_case(
        pupil, school=group.school, concern="Mye fravær på mandager.", by=contact_teacher
    )
    return at_level(case, "1", by=contact_teacher)
