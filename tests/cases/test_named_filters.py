"""The cases app's named filters and its who-may answers: a consent in force on a day
(given by then, not withdrawn, its last day `expires_on` included), the same
condition across a referral's relation, and who may open a case on a pupil."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import access
from cases.models import Consent, Referral
from tests.conftest import TODAY
from tests.factories import consent

DAY = dt.timedelta(days=1)
GIVEN = TODAY - 30 * DAY
EXPIRES = TODAY + 30 * DAY


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (GIVEN - DAY, False),
        (GIVEN, True),
        (EXPIRES, True),
        (EXPIRES + DAY, False),
    ],
)
def test_consent_in_force_from_the_day_given_through_its_last_day(
    case, contact_teacher, day, expected
):
    c = consent(case, contact_teacher, given_on=GIVEN, expires_on=EXPIRES)
    assert Consent.objects.in_force(day).filter(pk=c.pk).exists() is expected
    assert c.is_active(day) is expected


@pytest.mark.parametrize("day", [GIVEN, TODAY, dt.date(2040, 1, 1)])
def test_consent_without_expiry_stays_in_force(case, contact_teacher, day):
    c = consent(case, contact_teacher, given_on=GIVEN)
    assert Consent.objects.in_force(day).filter(pk=c.pk).exists()


@pytest.mark.parametrize("day", [GIVEN, TODAY - 10 * DAY, TODAY])
def test_withdrawn_consent_is_not_in_force(case, contact_teacher, day):
    """A recorded withdrawal ends the consent at once, as `Consent.is_active` says."""
    c = consent(case, contact_teacher, given_on=GIVEN, withdrawn_on=TODAY - 10 * DAY)
    assert not Consent.objects.in_force(day).filter(pk=c.pk).exists()
    assert not c.is_active(day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(GIVEN - DAY, False), (GIVEN, True), (EXPIRES, True), (EXPIRES + DAY, False)],
)
def test_consent_in_force_q_across_a_referral_agrees_with_in_force(
    case, contact_teacher, day, expected
):
    c = consent(case, contact_teacher, given_on=GIVEN, expires_on=EXPIRES)
    referral = Referral.objects.create(
        case=case, consent=c, reason="Utredning", made_by=contact_teacher, made_at=case.opened_at
    )
    resting = Referral.objects.filter(Consent.in_force_q(day, prefix="consent__"))
    assert (referral in resting) is expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("leader", True),
        ("team_member", True),
        ("nurse", False),
        ("subject_teacher", False),
        ("outsider", False),
        ("ppt_advisor", False),
    ],
)
def test_may_open_case_is_for_leaders_and_the_team_of_the_school(
    request, school, persona, expected
):
    user = request.getfixturevalue(persona)
    assert access.may_open_case(user, school_id=school.pk, is_contact_teacher=False) is expected


def test_may_open_case_for_the_pupils_contact_teacher(school, contact_teacher, other_school):
    assert access.may_open_case(contact_teacher, school_id=school.pk, is_contact_teacher=True)
    assert not access.may_open_case(contact_teacher, school_id=school.pk, is_contact_teacher=False)


def test_may_open_case_is_not_for_leaders_of_another_school(leader, other_school):
    assert not access.may_open_case(leader, school_id=other_school.pk, is_contact_teacher=False)
