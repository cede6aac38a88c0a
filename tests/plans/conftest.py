"""Fixtures for the plans tests: a case at nivå 1 and an agreed plan version built
directly with the models (the plan editor's actions are tested on their own); the
personas come from tests/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, Level
from plans.models import Agreement, Arena, Goal, Measure, PlanVersion
from tests.cases.conftest import make_case
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
def case(pupil, contact_teacher) -> Case:
    """An open case at nivå 1 owned by the pupil's contact teacher, with a conversation
    and a consent (every move up the staircase's requirement met but the coordinator)."""
    case = make_case(pupil, by=contact_teacher)
    at_level(case, Level.NIVA_1)
    Case.objects.filter(pk=case.pk).update(coordinator=None)
    case.refresh_from_db()
    return case
