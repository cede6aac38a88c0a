"""When a case's owner or coordinator no longer holds a role at the case's school (an
assignment ended, a role removed, a move to another school), the case shows on the
team's board as needing a new owner, and the school's leaders are told once: by the
action that ended the role, in its transaction, or by the nightly task when the end
came by date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.actions.core import assign_owner
from cases.actions.departures import follow_people_changes
from cases.models import Case, CaseEvent
from cases.tasks import follow_people_changes_daily
from fravaer.actions.people import end_staff_role, end_teaching_assignment
from fravaer.models import Notification, StaffRole, TeachingAssignment
from tests.cases.conftest import make_case
from tests.conftest import TODAY, make_pupil, make_user

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - dt.timedelta(days=1)


def told(case, kind=CaseEvent.Kind.OWNER_LEFT):
    """Who was told, per event of `kind`."""
    return sorted(
        Notification.objects.filter(key__startswith=f"case:{case.pk}:{kind}:").values_list(
            "user_id", flat=True
        )
    )


@pytest.fixture
def team_case(pupil, team_member, contact_teacher):
    case = make_case(pupil, by=contact_teacher)
    return assign_owner(case, owner=team_member, by=contact_teacher, version=case.version)


def board(client, school):
    return client.get(reverse("cases:board", args=[school.pk]))


# --- told in the action that ended the role ---------------------------------------------


def test_ending_the_owners_assignment_tells_the_leaders_once(case, contact_teacher, leader):
    assignment = TeachingAssignment.objects.get(user=contact_teacher)
    end_teaching_assignment(assignment, last_day=YESTERDAY)
    event = case.events.get(kind=CaseEvent.Kind.OWNER_LEFT)
    assert (event.by, event.data["user"]) == (None, contact_teacher.pk)
    assert told(case) == [leader.pk]
    follow_people_changes_daily()
    follow_people_changes(user_ids=[contact_teacher.pk])
    assert case.events.filter(kind=CaseEvent.Kind.OWNER_LEFT).count() == 1
    assert told(case) == [leader.pk]


def test_assignment_ending_later_changes_nothing_yet(case, contact_teacher, leader):
    assignment = TeachingAssignment.objects.get(user=contact_teacher)
    end_teaching_assignment(assignment, last_day=TODAY + dt.timedelta(days=5))
    assert not case.events.filter(kind=CaseEvent.Kind.OWNER_LEFT).exists()
    assert told(case) == []


def test_removing_the_owners_team_role_tells_the_leaders(team_case, team_member, leader):
    end_staff_role(StaffRole.objects.get(user=team_member))
    assert team_case.events.filter(kind=CaseEvent.Kind.OWNER_LEFT).count() == 1
    assert told(team_case) == [leader.pk]


def test_coordinator_who_left_is_told_as_coordinator(
    team_case, team_member, leader, attendance_contact
):
    Case.objects.filter(pk=team_case.pk).update(coordinator=attendance_contact)
    end_staff_role(StaffRole.objects.get(user=attendance_contact))
    assert team_case.events.filter(kind=CaseEvent.Kind.COORDINATOR_LEFT).count() == 1
    assert not team_case.events.filter(kind=CaseEvent.Kind.OWNER_LEFT).exists()
    assert told(team_case, CaseEvent.Kind.COORDINATOR_LEFT) == [leader.pk]


@pytest.fixture
def attendance_contact(school):
    user = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user


def test_admin_removing_a_role_tells_the_leaders(client_for, team_case, team_member, leader):
    admin = make_user("drift@testvik.no", is_staff=True, is_superuser=True)
    role = StaffRole.objects.get(user=team_member)
    response = client_for(admin).post(
        reverse("admin:fravaer_staffrole_delete", args=[role.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert told(team_case) == [leader.pk]


# --- ends by date: the nightly task -----------------------------------------------------


def test_assignment_ended_by_date_is_told_by_the_nightly_task(case, contact_teacher, leader):
    TeachingAssignment.objects.filter(user=contact_teacher).update(valid_to=YESTERDAY)
    assert told(case) == []
    assert follow_people_changes_daily()["owners_left"] == 1
    assert follow_people_changes_daily()["owners_left"] == 0
    assert told(case) == [leader.pk]


def test_a_new_owner_who_leaves_too_is_told_again(
    case, contact_teacher, team_member, leader, other_school
):
    TeachingAssignment.objects.filter(user=contact_teacher).update(valid_to=YESTERDAY)
    follow_people_changes_daily()
    case.refresh_from_db()
    assign_owner(case, owner=team_member, by=leader, version=case.version)
    role = StaffRole.objects.get(user=team_member)
    StaffRole.objects.filter(pk=role.pk).update(school=other_school)
    assert follow_people_changes_daily()["owners_left"] == 1
    left = case.events.filter(kind=CaseEvent.Kind.OWNER_LEFT)
    assert sorted(e.data["user"] for e in left) == sorted([contact_teacher.pk, team_member.pk])


# --- the board --------------------------------------------------------------------------


def test_board_shows_a_case_whose_owner_left_as_needing_a_new_owner(
    client_for, case, contact_teacher, school, leader
):
    TeachingAssignment.objects.filter(user=contact_teacher).update(valid_to=YESTERDAY)
    response = board(client_for(leader), school)
    html = response.content.decode()
    assert "Trenger ny saksansvarlig" in html
    assert "1 trenger ny saksansvarlig." in html


def test_board_needs_no_new_owner_while_the_owner_holds_a_role(
    client_for, case, contact_teacher, school, leader
):
    html = board(client_for(leader), school).content.decode()
    assert "Trenger ny saksansvarlig" not in html


def test_assigning_a_new_owner_on_the_board_clears_the_mark(
    client_for, case, contact_teacher, team_member, school, leader
):
    TeachingAssignment.objects.filter(user=contact_teacher).update(valid_to=YESTERDAY)
    client = client_for(leader)
    response = client.post(
        reverse("cases:board_owner", args=[school.pk, case.uuid]),
        {"owner": team_member.pk, "version": case.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Trenger ny saksansvarlig" not in response.content.decode()
    assert "Trenger ny saksansvarlig" not in board(client, school).content.decode()


def test_board_queries_do_not_grow_with_cases_whose_owners_left(
    client_for, school, school_year, group, contact_teacher, leader, django_assert_num_queries
):
    client = client_for(leader)
    for _ in range(2):
        make_case(make_pupil(group), by=contact_teacher)
    board(client, school)
    with CaptureQueriesContext(connection) as few:
        board(client, school)
    for _ in range(3):
        make_case(make_pupil(group), by=contact_teacher)
    TeachingAssignment.objects.filter(user=contact_teacher).update(valid_to=YESTERDAY)
    with django_assert_num_queries(len(few)):
        board(client, school)
