"""Who may take each step on a case (`cases.access.CaseAccess.may_*`): one answer per
question, positive and negative, and for each the step's view refusing (404) what the
case page no longer offers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import access
from cases.actions.consent import refer_to_ppt
from cases.actions.meetings import assign_task, schedule_meeting
from cases.models import Case, Consent, MappingTask, Meeting, Participant, Referral
from fravaer.models import StaffRole
from tests.conftest import TODAY, make_user
from tests.factories import at_level, give

OSLO = timezone.get_default_timezone()


@pytest.fixture
def attendance_contact(school):
    """Sees every case of the school, runs none."""
    user = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user


@pytest.fixture
def referred(case, contact_teacher, ppt_advisor):
    """The case referred to PPT: the advisor reads it on the basis `ppt_referral`."""
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    return case


def _grant(user, case) -> access.CaseAccess:
    return access.case_access_or_404(user, case.uuid)


def _page(client, case) -> str:
    response = client.get(f"/saker/{case.uuid}/")
    assert response.status_code == 200
    return response.content.decode()


def _meeting(case, by) -> Meeting:
    return schedule_meeting(
        case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=dt.datetime(2026, 11, 17, 9, tzinfo=OSLO),
        place="Møterom 2",
        by=by,
    )


def _nurse_on_team(case, by, nurse) -> Participant:
    give(case, by, service="school_nurse")
    return Participant.objects.create(
        case=case,
        service="school_nurse",
        name="Hanne Helse",
        user=nurse,
        added_by=by,
        added_at=timezone.now(),
    )


# --- the questions, each with who may and who may not -----------------------------------

# Steps only those who run the case take: the owner (contact teacher) may; the
# attendance contact and PPT on referral read the case and may not.
MANAGERS_ONLY = [
    "may_log_conversation",
    "may_schedule_meeting",
    "may_change_meeting",
    "may_distribute_tasks",
    "may_record_consent",
    "may_refer_to_ppt",
    "may_change_participants",
]


@pytest.mark.parametrize("question", MANAGERS_ONLY)
def test_those_who_run_the_case_may(question, case, contact_teacher, leader, team_member):
    for user in (contact_teacher, leader, team_member):
        assert getattr(_grant(user, case), question) is True


@pytest.mark.parametrize("question", MANAGERS_ONLY)
def test_those_who_only_read_the_case_may_not(question, referred, attendance_contact, ppt_advisor):
    for user in (attendance_contact, ppt_advisor):
        assert getattr(_grant(user, referred), question) is False


def test_everyone_who_sees_the_case_may_record_a_mapping(
    referred, contact_teacher, attendance_contact, ppt_advisor
):
    for user in (contact_teacher, attendance_contact, ppt_advisor):
        assert _grant(user, referred).may_record_mapping is True


def test_who_cannot_see_the_case_gets_no_grant_to_record_a_mapping(client_for, case, outsider):
    assert client_for(outsider).get(f"/saker/{case.uuid}/kartlegging/ny/").status_code == 404


def test_a_manager_may_complete_any_task(case, contact_teacher, leader, nurse):
    task = MappingTask(case=case, assignee_user=nurse, description="x", due=TODAY)
    assert _grant(leader, case).may_complete_task(task) is True


def test_the_person_a_task_was_given_to_may_complete_it(case, contact_teacher, nurse):
    at_level(case, "2A")
    participant = _nurse_on_team(case, contact_teacher, nurse)
    by_name = MappingTask(case=case, assignee_user=nurse, description="x", due=TODAY)
    as_participant = MappingTask(case=case, participant=participant, description="y", due=TODAY)
    grant = _grant(nurse, case)
    assert grant.may_complete_task(by_name) is True
    assert grant.may_complete_task(as_participant) is True


def test_no_one_else_may_complete_a_task(case, contact_teacher, nurse, attendance_contact):
    at_level(case, "2A")
    participant = _nurse_on_team(case, contact_teacher, nurse)
    unlinked = Participant.objects.create(
        case=case, service="ppt", name="Pia PPT", added_by=contact_teacher, added_at=timezone.now()
    )
    tasks = [
        MappingTask(case=case, assignee_user=contact_teacher, description="x", due=TODAY),
        MappingTask(case=case, participant=participant, description="y", due=TODAY),
        MappingTask(case=case, participant=unlinked, description="z", due=TODAY),
    ]
    grant = _grant(attendance_contact, case)
    assert [grant.may_complete_task(t) for t in tasks] == [False, False, False]


# --- the views refuse what the page does not offer ---------------------------------------


def test_conversation_form_is_not_offered_and_answers_404_to_a_reader(
    client_for, case, attendance_contact
):
    client = client_for(attendance_contact)
    assert f"/saker/{case.uuid}/samtaler/ny/" not in _page(client, case)
    assert client.get(f"/saker/{case.uuid}/samtaler/ny/").status_code == 404
    assert client.post(f"/saker/{case.uuid}/samtaler/ny/", {}).status_code == 404
    assert not case.conversations.exists()


def test_meeting_form_is_not_offered_and_answers_404_to_a_reader(client_for, referred, ppt_advisor):
    client = client_for(ppt_advisor)
    assert f"/saker/{referred.uuid}/moter/nytt/" not in _page(client, referred)
    assert client.get(f"/saker/{referred.uuid}/moter/nytt/").status_code == 404


def test_held_and_cancel_forms_are_not_offered_and_answer_404_to_a_reader(
    client_for, case, contact_teacher, attendance_contact
):
    meeting = _meeting(case, contact_teacher)
    client = client_for(attendance_contact)
    url = f"/saker/{case.uuid}/moter/{meeting.uuid}/"
    html = client.get(url).content.decode()
    assert "holdt/" not in html and "avlys/" not in html
    assert client.post(url + "holdt/", {"pupil_view": "x", "version": "1"}).status_code == 404
    assert client.post(url + "avlys/", {"reason": "x", "version": "1"}).status_code == 404
    meeting.refresh_from_db()
    assert meeting.is_scheduled


def test_the_manager_gets_the_held_and_cancel_forms(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/moter/{meeting.uuid}/")
    assert "holdt/" in html.content.decode() and "avlys/" in html.content.decode()


def test_task_button_is_not_offered_and_task_form_answers_404_to_a_reader(
    client_for, referred, ppt_advisor
):
    at_level(referred, "2A")
    client = client_for(ppt_advisor)
    html = _page(client, referred)
    assert "Kartleggingsoppgaver" in html
    assert f"/saker/{referred.uuid}/oppgaver/ny/" not in html
    assert client.get(f"/saker/{referred.uuid}/oppgaver/ny/").status_code == 404


def test_done_button_is_offered_to_the_person_the_task_was_given_to(
    client_for, case, contact_teacher, nurse, attendance_contact
):
    at_level(case, "2A")
    _nurse_on_team(case, contact_teacher, nurse)
    task = assign_task(
        case, description="Helsesamtale", due=TODAY, assignee_user=nurse, by=contact_teacher
    )
    done_url = f"/saker/{case.uuid}/oppgaver/{task.pk}/utfort/"
    assert done_url in _page(client_for(nurse), case)
    reader = client_for(attendance_contact)
    assert done_url not in _page(reader, case)
    assert reader.post(done_url).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_consent_referral_and_participant_steps_are_not_offered_and_answer_404_to_a_reader(
    client_for, referred, ppt_advisor
):
    at_level(referred, "2A")
    consent = Consent.objects.filter(case=referred).first()
    referral = Referral.objects.get(case=referred)
    participant = Participant.objects.create(
        case=referred,
        service="ppt",
        name="Pia PPT",
        added_by=referred.owner,
        added_at=timezone.now(),
    )
    client = client_for(ppt_advisor)
    html = _page(client, referred)
    base = f"/saker/{referred.uuid}/"
    for tail in (
        "samtykke/ny/",
        f"samtykke/{consent.pk}/trekk/",
        f"henvisning/{referral.pk}/avslutt/",
        "deltakere/ny/",
        f"deltakere/{participant.pk}/fjern/",
    ):
        assert base + tail not in html
        assert client.post(base + tail, {}).status_code == 404
    assert client.get(base + "henvisning/ny/").status_code == 404
    referral.refresh_from_db()
    consent.refresh_from_db()
    participant.refresh_from_db()
    assert (referral.ended_at, consent.withdrawn_on, participant.removed_at) == (None, None, None)


def test_a_closed_case_offers_none_of_the_steps(client_for, case, contact_teacher):
    at_level(case, "2A")
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now(), close_reason="other", close_text="x"
    )
    html = _page(client_for(contact_teacher), case)
    for tail in ("samtaler/ny/", "moter/nytt/", "kartlegging/ny/", "oppgaver/ny/"):
        assert f"/saker/{case.uuid}/{tail}" not in html


def test_ppt_on_the_referral_writes_for_ppt(referred, ppt_advisor, contact_teacher):
    assert _grant(ppt_advisor, referred).writes_for_ppt() is True
    assert _grant(contact_teacher, referred).writes_for_ppt() is False


def test_a_ppt_advisor_on_the_team_writes_for_ppt_and_the_nurse_does_not(
    case, contact_teacher, ppt_advisor, nurse
):
    at_level(case, "2A")
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    give(case, contact_teacher, service="school_nurse")
    for user, service in ((ppt_advisor, "ppt"), (nurse, "school_nurse")):
        Participant.objects.create(
            case=case,
            service=service,
            name=user.username,
            user=user,
            added_by=contact_teacher,
            added_at=timezone.now(),
        )
    advisor = _grant(ppt_advisor, case)
    assert advisor.basis == access.Basis.PARTICIPANT
    assert advisor.writes_for_ppt() is True
    assert _grant(nurse, case).writes_for_ppt() is False


def test_ppt_advisors_and_no_one_else_may_see_ppts_case_list(
    client_for, ppt_advisor, leader, team_member, contact_teacher
):
    assert access.may_see_ppt_cases(ppt_advisor) is True
    assert client_for(ppt_advisor).get("/ppt/saker/").status_code == 200
    for user in (leader, team_member, contact_teacher):
        assert access.may_see_ppt_cases(user) is False
        assert client_for(user).get("/ppt/saker/").status_code == 404
