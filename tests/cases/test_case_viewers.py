"""Who can open a case, seen from the case (`cases.access.case_viewers`), and the
invitations and mapping tasks that may go only to them: a link that answers 404 or a
task its holder cannot mark done is no use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.access import case_viewers, visible_cases
from cases.actions.consent import refer_to_ppt
from cases.actions.meetings import assign_task, schedule_meeting, staff_candidates
from cases.errors import CaseRuleError
from cases.models import Case, Meeting, Participant
from fravaer.models import Notification, StaffRole
from tests.conftest import TODAY, make_user
from tests.factories import give

pytestmark = pytest.mark.django_db

OSLO = timezone.get_default_timezone()


def _at_2a(case) -> Case:
    Case.objects.filter(pk=case.pk).update(level="2A")
    case.level = "2A"
    return case


def _participant(case, by, **extra) -> Participant:
    values = {
        "service": "school_nurse",
        "name": "Hanne",
        "added_by": by,
        "added_at": timezone.now(),
    }
    return Participant.objects.create(case=case, **{**values, **extra})


def _schedule(case, by, staff):
    return schedule_meeting(
        case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=OSLO),
        place="Møterom 2",
        staff=staff,
        by=by,
    )


@pytest.fixture
def attendance_contact(school):
    user = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user


def test_case_viewers_are_exactly_the_users_visible_cases_lets_in(
    case,
    contact_teacher,
    subject_teacher,
    leader,
    team_member,
    attendance_contact,
    nurse,
    ppt_advisor,
    municipal_admin,
    outsider,
):
    give(case, contact_teacher, service="school_nurse")
    _participant(case, contact_teacher, user=nurse)
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    users = [
        contact_teacher,
        subject_teacher,
        leader,
        team_member,
        attendance_contact,
        nurse,
        ppt_advisor,
        municipal_admin,
        outsider,
    ]
    seeing = {u.pk for u in users if visible_cases(u).filter(pk=case.pk).exists()}
    assert set(case_viewers(case).values_list("pk", flat=True)) == seeing
    assert seeing == {
        u.pk for u in (contact_teacher, leader, team_member, attendance_contact, nurse, ppt_advisor)
    }


def test_staff_candidates_leave_out_the_pupils_subject_teacher(case, subject_teacher):
    assert not staff_candidates(case).filter(pk=subject_teacher.pk).exists()


def test_staff_candidates_leave_out_a_nurse_without_consent_in_force(case, contact_teacher, nurse):
    _participant(case, contact_teacher, user=nurse)
    assert not staff_candidates(case).filter(pk=nurse.pk).exists()


def test_staff_candidates_keep_everyone_who_sees_the_case(
    case, contact_teacher, leader, team_member, attendance_contact, nurse
):
    give(case, contact_teacher, service="school_nurse")
    _participant(case, contact_teacher, user=nurse)
    expected = {contact_teacher, leader, team_member, attendance_contact, nurse}
    assert set(staff_candidates(case)) == expected


def test_staff_candidates_include_ppt_on_an_active_referral(case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    assert staff_candidates(case).filter(pk=ppt_advisor.pk).exists()


def test_staff_candidates_is_one_query(
    case, contact_teacher, leader, team_member, subject_teacher, django_assert_num_queries
):
    with django_assert_num_queries(1):
        list(staff_candidates(case))


def test_schedule_meeting_refuses_and_does_not_invite_the_subject_teacher(
    case, contact_teacher, subject_teacher
):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, staff=[subject_teacher])
    assert exc.value.code == "meeting_staff_not_eligible"
    assert not Notification.objects.filter(user=subject_teacher).exists()


def test_assign_task_refuses_the_subject_teacher(case, contact_teacher, subject_teacher):
    _at_2a(case)
    with pytest.raises(CaseRuleError) as exc:
        assign_task(
            case, description="x", due=TODAY, assignee_user=subject_teacher, by=contact_teacher
        )
    assert exc.value.code == "task_assignee_not_eligible"


def test_assign_task_refuses_a_participant_whose_user_cannot_open_the_case(
    case, contact_teacher, nurse
):
    _at_2a(case)
    participant = _participant(case, contact_teacher, user=nurse)  # no consent in force
    with pytest.raises(CaseRuleError) as exc:
        assign_task(case, description="x", due=TODAY, participant=participant, by=contact_teacher)
    assert exc.value.code == "task_assignee_not_eligible"


def test_task_form_offers_only_people_who_can_open_the_case(
    client_for, case, contact_teacher, subject_teacher, nurse
):
    _at_2a(case)
    blocked = _participant(case, contact_teacher, user=nurse)
    external = _participant(case, contact_teacher, name="Ekstern", service="other")
    form = client_for(contact_teacher).get(f"/saker/{case.uuid}/oppgaver/ny/").context["form"]
    assert set(form.participants) == {external.pk}
    assert blocked.pk not in form.participants
    assert subject_teacher.pk not in form.staff
    assert contact_teacher.pk in form.staff


def test_meeting_form_does_not_offer_the_subject_teacher(
    client_for, case, contact_teacher, subject_teacher
):
    form = client_for(contact_teacher).get(f"/saker/{case.uuid}/moter/nytt/").context["form"]
    offered = set(form.fields["staff"].queryset.values_list("pk", flat=True))
    assert subject_teacher.pk not in offered
    assert contact_teacher.pk in offered
