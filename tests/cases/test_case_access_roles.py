"""A case's owner and coordinator see it only while they hold a current role at the
case's school (`fravaer.access.holds_role_at`): a contact teacher whose assignment
ended, or a team member moved to another school, get 404 on the page, its fragments
and its forms, and nothing is logged as their read. Access is computed from the
current date, so an assignment that ends by date needs no job to take effect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.access import Basis, case_access_or_404, case_viewers, visible_cases
from cases.actions.core import assign_owner
from cases.models import Case, CaseAccessLog, CaseNote
from fravaer.models import StaffRole, TeachingAssignment
from tests.cases.conftest import make_case
from tests.conftest import TODAY, make_group
from tests.factories import give

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - dt.timedelta(days=1)


def url(name, case, *rest):
    return reverse(f"cases:{name}", args=[case.uuid, *rest])


def end_assignments(user, last_day=YESTERDAY):
    TeachingAssignment.objects.filter(user=user).update(valid_to=last_day)


def move_staff(user, to_school):
    """A team member moved to another school: the role here goes, one there begins."""
    role = StaffRole.objects.get(user=user, school__isnull=False)
    StaffRole.objects.create(user=user, role=role.role, school=to_school)
    role.delete()


@pytest.fixture
def team_case(pupil, team_member, contact_teacher):
    case = make_case(pupil, by=contact_teacher)
    return assign_owner(case, owner=team_member, by=contact_teacher, version=case.version)


def assert_shut_out(client, case):
    """404 on the page, an htmx fragment, a form page and the POSTs; nothing logged."""
    assert client.get(url("case", case)).status_code == 404
    assert client.get(url("case", case), HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(url("conversation_new", case)).status_code == 404
    note = {"text": "Ringte mor."}
    assert client.post(url("case_note", case), note).status_code == 404
    assert client.post(url("case_note", case), note, HTTP_HX_REQUEST="true").status_code == 404
    level = {"to": "1", "niva-1-version": case.version, "niva-1-reason": "Bekymringen står."}
    assert client.post(url("case_level", case), level).status_code == 404
    close = {"reason": "other", "text": "Flyttet", "version": case.version}
    assert client.post(url("case_close", case), close).status_code == 404
    assert not CaseNote.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN
    assert not CaseAccessLog.objects.filter(case=case).exists()


def test_owner_whose_contact_assignment_ended_gets_404(client_for, case, contact_teacher):
    end_assignments(contact_teacher)
    assert_shut_out(client_for(contact_teacher), case)


def test_owner_whose_contact_assignment_ends_today_still_sees_the_case(
    client_for, case, contact_teacher
):
    end_assignments(contact_teacher, last_day=TODAY)
    assert client_for(contact_teacher).get(url("case", case)).status_code == 200


def test_owner_moved_to_another_school_gets_404(client_for, team_case, team_member, other_school):
    move_staff(team_member, other_school)
    assert_shut_out(client_for(team_member), team_case)


def test_owner_with_another_role_at_the_school_still_sees_the_case_as_owner(
    client_for, team_case, team_member, school, school_year
):
    """The rule is a current role at the case's school, not the role the case was given
    on: a team member who now teaches a class there keeps the case."""
    StaffRole.objects.filter(user=team_member).delete()
    other = make_group(school, school_year, name="7C", grade=7)
    TeachingAssignment.objects.create(
        user=team_member, group=other, kind="subject", valid_from=school_year.start
    )
    grant = case_access_or_404(team_member, team_case.uuid)
    assert grant.basis == Basis.OWNER


def test_owner_who_is_now_ppt_reads_as_ppt_not_as_owner(team_case, team_member, municipality):
    """A team member who became a PPT advisor sees a referred case on PPT's basis, not
    as its owner: their old role manages nothing any more."""
    from cases.actions.consent import refer_to_ppt

    give(team_case, team_case.opened_by)
    refer_to_ppt(team_case, reason="Pedagogisk analyse", by=team_case.opened_by)
    StaffRole.objects.filter(user=team_member).delete()
    StaffRole.objects.create(user=team_member, role="ppt_advisor", municipality=municipality)
    grant = case_access_or_404(team_member, team_case.uuid)
    assert grant.basis == Basis.PPT_REFERRAL
    assert not grant.can_manage


def test_coordinator_moved_to_another_school_no_longer_sees_the_case(
    team_case, leader, other_school
):
    Case.objects.filter(pk=team_case.pk).update(coordinator=leader)
    assert visible_cases(leader).filter(pk=team_case.pk).exists()
    move_staff(leader, other_school)
    assert not visible_cases(leader).filter(pk=team_case.pk).exists()


def test_case_viewers_leave_out_an_owner_and_coordinator_without_a_role_there(
    team_case, team_member, leader, contact_teacher, other_school
):
    Case.objects.filter(pk=team_case.pk).update(coordinator=leader)
    team_case.refresh_from_db()
    move_staff(team_member, other_school)
    move_staff(leader, other_school)
    viewers = set(case_viewers(team_case))
    assert team_member not in viewers and leader not in viewers
    for user in (team_member, leader, contact_teacher):
        assert (user in viewers) == visible_cases(user).filter(pk=team_case.pk).exists()
