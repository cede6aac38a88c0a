"""`visible_cases(user, roles=)` and `followed_cases`: the smaller queries the start page
asks (issue #15, §7) let in exactly the cases, on exactly the bases, that the whole
`visible_cases` does, for every persona."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.access import case_basis, followed_cases, visible_cases
from cases.actions.consent import refer_to_ppt
from cases.models import Case, CaseGroupObjectPermission, Participant
from fravaer.access import roles_of
from fravaer.models import StaffRole
from tests.cases.conftest import make_case
from tests.conftest import make_user
from tests.factories import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def attendance_contact(school):
    user = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user


@pytest.fixture
def scene(case, other_pupil, contact_teacher, team_member, nurse, outsider):
    """The contact teacher's case with the nurse taking part (consent in force), a
    referral to PPT, and the team member as coordinator; and a case at another school
    owned by its contact teacher."""
    give(case, contact_teacher, service="school_nurse")
    Participant.objects.create(
        case=case,
        service="school_nurse",
        name="Hanne",
        user=nurse,
        added_by=contact_teacher,
        added_at=timezone.now(),
    )
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    Case.objects.filter(pk=case.pk).update(coordinator=team_member)
    return [case, make_case(other_pupil, by=outsider)]


def _seen(cases) -> dict[int, str]:
    return {c.pk: case_basis(c, None) for c in cases}


PERSONAS = [
    "contact_teacher",
    "subject_teacher",
    "leader",
    "team_member",
    "attendance_contact",
    "nurse",
    "ppt_advisor",
    "municipal_admin",
    "outsider",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_cases_with_the_users_roles_lets_in_the_same_cases_on_the_same_basis(
    request, scene, persona
):
    user = request.getfixturevalue(persona)
    whole = _seen(visible_cases(user))
    assert _seen(visible_cases(user, roles=roles_of(user))) == whole


def test_each_persona_sees_what_the_policy_says(
    request, scene, contact_teacher, nurse, ppt_advisor, outsider, subject_teacher
):
    """The scene exercises every basis the roles may rule out (or not)."""
    mine, theirs = scene
    expected = {
        "contact_teacher": {mine.pk: "owner"},
        "subject_teacher": {},
        "leader": {mine.pk: "leader"},
        "team_member": {mine.pk: "team"},
        "attendance_contact": {mine.pk: "attendance_contact"},
        "nurse": {mine.pk: "participant"},
        "ppt_advisor": {mine.pk: "ppt_referral"},
        "municipal_admin": {},
        "outsider": {theirs.pk: "owner"},
    }
    for persona, seen in expected.items():
        user = request.getfixturevalue(persona)
        assert _seen(visible_cases(user, roles=roles_of(user))) == seen, persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_followed_cases_are_the_visible_ones_the_user_owns_coordinates_or_teaches(
    request, scene, persona
):
    user = request.getfixturevalue(persona)
    expected = {c.pk for c in visible_cases(user) if c.is_owner or c.is_coordinator or c.is_contact}
    assert {c.pk for c in followed_cases(user)} == expected
    assert {c.pk for c in followed_cases(user, roles=roles_of(user))} == expected


def test_the_team_member_follows_the_case_they_coordinate(scene, team_member):
    assert [c.pk for c in followed_cases(team_member, roles=roles_of(team_member))] == [scene[0].pk]


def test_a_contact_teachers_query_leaves_out_what_their_roles_rule_out(scene, contact_teacher):
    grants = CaseGroupObjectPermission._meta.db_table
    roles = roles_of(contact_teacher)
    assert grants in str(visible_cases(contact_teacher).query)
    pruned = str(visible_cases(contact_teacher, roles=roles).query)
    assert grants not in pruned
    assert len(pruned) < len(str(visible_cases(contact_teacher).query))


def test_a_contact_teacher_who_holds_no_role_at_the_cases_school_is_not_let_in(
    scene, outsider, contact_teacher
):
    """Owner and coordinator still ask `holds_role_at` at the case's school."""
    mine, _ = scene
    Case.objects.filter(pk=mine.pk).update(coordinator=outsider)
    assert mine.pk not in _seen(visible_cases(outsider, roles=roles_of(outsider)))
