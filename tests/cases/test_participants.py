"""Participants from other services on the 2A/2B team: consent per service, GP and
specialist health services from 2B, linked staff accounts see the case."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cases.access import visible_cases
from cases.actions.consent import (
    add_participant,
    end_referral,
    refer_to_ppt,
    remove_participant,
    withdraw_consent,
)
from cases.actions.core import close_case
from cases.models import Case, CaseEvent, Participant, Service
from tests.conftest import TODAY
from tests.factories import give, refused

pytestmark = pytest.mark.django_db


def at_level(case, level: str) -> Case:
    Case.objects.filter(pk=case.pk).update(level=level)
    case.refresh_from_db()
    return case


@pytest.fixture
def case_2a(case):
    return at_level(case, "2A")


def add(case, by, service=Service.SCHOOL_NURSE, **extra) -> Participant:
    return add_participant(
        case, service=service, name="Hanne Helse", role="Samtaler", by=by, **extra
    )


def test_add_participant_with_consent_writes_event(case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    participant = add(case_2a, contact_teacher)
    assert participant.removed_at is None
    event = CaseEvent.objects.get(case=case_2a, kind=CaseEvent.Kind.PARTICIPANT_ADDED)
    assert event.data == {"participant": participant.pk, "service": "school_nurse"}


def test_add_participant_without_consent_names_the_missing_consent(case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.PPT)
    error = refused("participant_needs_consent", add, case_2a, contact_teacher, Service.BUP)
    assert "BUP" in error.message
    assert not Participant.objects.exists()


def test_add_participant_below_2a_is_refused(case, contact_teacher):
    give(case, contact_teacher, service=Service.SCHOOL_NURSE)
    refused("participant_needs_level2", add, at_level(case, "1"), contact_teacher)


def test_gp_joins_only_from_2b(case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.GP)
    error = refused("participant_needs_2b", add, case_2a, contact_teacher, Service.GP)
    assert "Fastlege" in error.message
    assert add(at_level(case_2a, "2B"), contact_teacher, Service.GP).service == "gp"


def test_specialist_joins_only_from_2b(case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.SPECIALIST)
    refused("participant_needs_2b", add, case_2a, contact_teacher, Service.SPECIALIST)


def test_add_participant_needs_a_name(case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.BUP)
    refused(
        "participant_name",
        add_participant,
        case_2a,
        service=Service.BUP,
        name=" ",
        by=contact_teacher,
    )


def test_linked_nurse_sees_case_while_participant(case_2a, contact_teacher, nurse):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    assert not visible_cases(nurse).filter(pk=case_2a.pk).exists()
    participant = add(case_2a, contact_teacher, user=nurse)
    assert visible_cases(nurse).filter(pk=case_2a.pk).exists()
    remove_participant(participant, by=contact_teacher)
    assert not visible_cases(nurse).filter(pk=case_2a.pk).exists()


def test_linking_a_user_of_the_wrong_service_is_refused(case_2a, contact_teacher, nurse):
    give(case_2a, contact_teacher, service=Service.BUP)
    refused("participant_user_not_eligible", add, case_2a, contact_teacher, Service.BUP, user=nurse)


def test_linking_a_teacher_is_refused(case_2a, contact_teacher, subject_teacher):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    refused("participant_user_not_eligible", add, case_2a, contact_teacher, user=subject_teacher)


def test_remove_participant_writes_event_and_twice_is_refused(case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    participant = add(case_2a, contact_teacher)
    remove_participant(participant, by=contact_teacher)
    assert Participant.objects.get().removed_at is not None
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PARTICIPANT_REMOVED).count() == 1
    refused("participant_removed", remove_participant, participant, by=contact_teacher)


def test_withdrawing_consent_removes_participants_of_that_service(case_2a, contact_teacher, nurse):
    consent = give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    add(case_2a, contact_teacher, user=nurse)
    withdraw_consent(consent, withdrawn_on=TODAY, by=contact_teacher)
    assert Participant.objects.get().removed_at is not None
    assert not visible_cases(nurse).filter(pk=case_2a.pk).exists()


def test_withdrawing_one_of_two_consents_keeps_participants(case_2a, contact_teacher):
    first = give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    add(case_2a, contact_teacher)
    withdraw_consent(first, withdrawn_on=TODAY, by=contact_teacher)
    assert Participant.objects.get().removed_at is None


# --- the pages --------------------------------------------------------------------------


def new_url(case):
    return f"/saker/{case.uuid}/deltakere/ny/"


def test_participant_page_adds_linked_nurse(client_for, case_2a, contact_teacher, nurse):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    response = client_for(contact_teacher).post(
        new_url(case_2a), {"service": "school_nurse", "name": "", "role": "", "user": nurse.pk}
    )
    assert response.status_code == 302
    assert Participant.objects.get().user == nurse


def test_participant_page_shows_missing_consent_and_keeps_input(
    client_for, case_2a, contact_teacher
):
    response = client_for(contact_teacher).post(
        new_url(case_2a), {"service": "bup", "name": "Berit BUP", "role": "Utredning"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Det mangler samtykke for BUP" in body
    assert 'value="Berit BUP"' in body


def test_participant_page_requires_a_name_or_user(client_for, case_2a, contact_teacher):
    response = client_for(contact_teacher).post(new_url(case_2a), {"service": "bup"})
    assert response.status_code == 200
    assert 'id="id_name-err"' in response.content.decode()


def test_case_page_lists_participants_with_remove_button(client_for, case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    participant = add(case_2a, contact_teacher)
    body = client_for(contact_teacher).get(f"/saker/{case_2a.uuid}/").content.decode()
    assert "Hanne Helse" in body
    assert f"/deltakere/{participant.pk}/fjern/" in body


def test_remove_page_removes(client_for, case_2a, contact_teacher):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    participant = add(case_2a, contact_teacher)
    response = client_for(contact_teacher).post(
        f"/saker/{case_2a.uuid}/deltakere/{participant.pk}/fjern/"
    )
    assert response.status_code == 302
    assert Participant.objects.get().removed_at is not None


def test_participant_pages_redirect_anonymous(client, case_2a):
    response = client.get(new_url(case_2a))
    assert response.status_code == 302
    assert response.url.startswith("/logg-inn/")


def test_participant_pages_404_for_outsider_and_subject_teacher(
    client_for, case_2a, contact_teacher, outsider, subject_teacher
):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    participant = add(case_2a, contact_teacher)
    for user in (outsider, subject_teacher):
        client = client_for(user)
        assert client.post(new_url(case_2a), {"service": "bup", "name": "X"}).status_code == 404
        remove = f"/saker/{case_2a.uuid}/deltakere/{participant.pk}/fjern/"
        assert client.post(remove).status_code == 404
    assert Participant.objects.get().removed_at is None


def test_linked_nurse_reads_but_cannot_manage(client_for, case_2a, contact_teacher, nurse):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    add(case_2a, contact_teacher, user=nurse)
    client = client_for(nurse)
    assert client.get(f"/saker/{case_2a.uuid}/").status_code == 200
    assert client.get(new_url(case_2a)).status_code == 404


def test_linked_participant_loses_case_when_consent_expires(
    client_for, case_2a, contact_teacher, nurse
):
    give(
        case_2a,
        contact_teacher,
        service=Service.SCHOOL_NURSE,
        expires_on=TODAY + dt.timedelta(days=1),
    )
    add(case_2a, contact_teacher, user=nurse)
    assert client_for(nurse).get(f"/saker/{case_2a.uuid}/").status_code == 200
    later = dt.datetime(2026, 11, 20, 10, 0, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(later):
        assert client_for(nurse).get(f"/saker/{case_2a.uuid}/").status_code == 404


def test_linked_participant_loses_case_when_it_closes(client_for, case_2a, contact_teacher, nurse):
    give(case_2a, contact_teacher, service=Service.SCHOOL_NURSE)
    add(case_2a, contact_teacher, user=nurse)
    close_case(case_2a, reason="measures_worked", by=contact_teacher, version=case_2a.version)
    assert client_for(nurse).get(f"/saker/{case_2a.uuid}/").status_code == 404


def test_ppt_participant_loses_case_when_referral_ends(
    client_for, case_2a, contact_teacher, ppt_advisor
):
    give(case_2a, contact_teacher, service=Service.PPT)
    referral = refer_to_ppt(case_2a, reason="Pedagogisk analyse", by=contact_teacher)
    add(case_2a, contact_teacher, Service.PPT, user=ppt_advisor)
    end_referral(referral, by=contact_teacher)
    assert client_for(ppt_advisor).get(f"/saker/{case_2a.uuid}/").status_code == 404
