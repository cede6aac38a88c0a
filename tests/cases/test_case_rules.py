"""What a case's state allows, answered in one place each and asked by the actions and
the case pages: which level changes exist, the reasons a level closes for, which levels
share out mapping tasks and take participants (`cases.transitions`), what a meeting is
(`Meeting`), whether a referral is active (`Case.has_active_referral`), when a consent
has expired (`Consent.has_expired`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import transitions
from cases.actions.consent import end_referral, refer_to_ppt
from cases.actions.meetings import cancel_meeting, mark_meeting_held, schedule_meeting
from cases.models import Case, Level, MappingTask, Meeting
from tests.conftest import TODAY
from tests.factories import at_level, consent, give, refused

OSLO = timezone.get_default_timezone()
TEAM = [Level.NIVA_2A, Level.NIVA_2B]
SCHOOL_ONLY = [Level.NIVA_0, Level.NIVA_1]


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=OSLO)


def _schedule(case, by, starts_at) -> Meeting:
    return schedule_meeting(
        case, kind=Meeting.Kind.FOLLOW_UP, starts_at=starts_at, place="Møterom 2", by=by
    )


# --- levels ------------------------------------------------------------------------------


@pytest.mark.parametrize(("frm", "to"), sorted(transitions.TRANSITIONS))
def test_every_level_change_is_one_step_in_the_direction_it_names(frm, to):
    step = transitions.LEVEL_ORDER[to] - transitions.LEVEL_ORDER[frm]
    assert step == (1 if transitions.TRANSITIONS[(frm, to)] == transitions.UP else -1)


@pytest.mark.parametrize("level", [Level.NIVA_0, Level.NIVA_1, Level.NIVA_2A])
def test_each_level_below_the_top_moves_up_to_the_next(level):
    above = {v: k for k, v in transitions.LEVEL_ORDER.items()}[transitions.LEVEL_ORDER[level] + 1]
    assert above in transitions.allowed_moves(level)


@pytest.mark.parametrize("level", list(transitions.LEVEL_ORDER))
def test_no_move_leads_back_to_level_0(level):
    # Nivå 0 asks whether there is cause for concern; once defined, a case moving
    # down tries other measures on nivå 1 (seed 000 p. 14, outcome 2).
    assert Level.NIVA_0 not in transitions.allowed_moves(level)


@pytest.mark.parametrize("level", list(transitions.LEVEL_ORDER))
def test_a_case_closes_for_a_move_or_another_reason_on_every_level(level):
    offered = dict(transitions.close_reasons(level))
    assert {Case.CloseReason.MOVED, Case.CloseReason.OTHER} <= set(offered)
    assert all(offered[value] == Case.CloseReason(value).label for value in offered)


def test_level_0_closes_as_not_confirmed_and_later_levels_when_measures_worked():
    # No measures exist on nivå 0 that could have worked.
    at_0 = dict(transitions.close_reasons(Level.NIVA_0))
    assert Case.CloseReason.NOT_CONFIRMED in at_0
    assert Case.CloseReason.MEASURES_WORKED not in at_0
    for level in (Level.NIVA_1, Level.NIVA_2A, Level.NIVA_2B):
        assert Case.CloseReason.MEASURES_WORKED in dict(transitions.close_reasons(level))


@pytest.mark.parametrize("level", TEAM)
def test_team_levels_allow_mapping_tasks_and_participants(level):
    assert transitions.allows_mapping_tasks(level) is True
    assert transitions.allows_participants(level) is True


@pytest.mark.parametrize("level", SCHOOL_ONLY)
def test_school_levels_allow_neither_mapping_tasks_nor_participants(level):
    assert transitions.allows_mapping_tasks(level) is False
    assert transitions.allows_participants(level) is False


@pytest.mark.parametrize("level", SCHOOL_ONLY)
def test_below_2a_the_page_offers_no_tasks_and_the_form_is_refused(
    client_for, case, contact_teacher, level
):
    at_level(case, level)
    client = client_for(contact_teacher)
    html = client.get(f"/saker/{case.uuid}/").content.decode()
    assert "Kartleggingsoppgaver" not in html
    assert f"/saker/{case.uuid}/oppgaver/ny/" not in html
    response = client.post(
        f"/saker/{case.uuid}/oppgaver/ny/",
        {"description": "Skjema", "assignee": f"u:{contact_teacher.pk}", "due": "20.11.2026"},
    )
    assert response.status_code == 200
    assert "Kartleggingsoppgaver fordeles på nivå 2A og 2B." in response.content.decode()
    assert not MappingTask.objects.filter(case=case).exists()


@pytest.mark.parametrize("level", TEAM)
def test_at_team_levels_the_manager_is_offered_tasks_and_participants(
    client_for, case, contact_teacher, level
):
    at_level(case, level)
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert f"/saker/{case.uuid}/oppgaver/ny/" in html
    assert f"/saker/{case.uuid}/deltakere/ny/" in html


@pytest.mark.parametrize("level", SCHOOL_ONLY)
def test_below_2a_participants_are_not_offered_and_the_form_is_refused(
    client_for, case, contact_teacher, level
):
    at_level(case, level)
    give(case, contact_teacher, service="school_nurse")
    client = client_for(contact_teacher)
    html = client.get(f"/saker/{case.uuid}/").content.decode()
    assert f"/saker/{case.uuid}/deltakere/ny/" not in html
    response = client.post(
        f"/saker/{case.uuid}/deltakere/ny/", {"service": "school_nurse", "name": "Hanne"}
    )
    assert response.status_code == 200
    assert "legges til i det tverrfaglige teamet på nivå 2A og 2B" in response.content.decode()
    assert not case.participants.exists()


# --- meetings ----------------------------------------------------------------------------


def test_a_planned_meeting_is_scheduled_and_neither_held_nor_cancelled(case, contact_teacher):
    meeting = _schedule(case, contact_teacher, _at(17, 9))
    assert (meeting.is_scheduled, meeting.is_held, meeting.is_cancelled) == (True, False, False)


def test_a_held_meeting_is_held_and_no_longer_scheduled(case, contact_teacher):
    meeting = _schedule(case, contact_teacher, _at(17, 9))
    mark_meeting_held(meeting, pupil_view="Vil prøve.", by=contact_teacher, version=1)
    assert (meeting.is_scheduled, meeting.is_held, meeting.is_cancelled) == (False, True, False)
    assert meeting.awaits_minutes(TODAY) is False


def test_a_cancelled_meeting_is_cancelled_and_no_longer_scheduled(case, contact_teacher):
    meeting = _schedule(case, contact_teacher, _at(17, 9))
    cancel_meeting(meeting, reason="Syk.", by=contact_teacher, version=1)
    assert (meeting.is_scheduled, meeting.is_held, meeting.is_cancelled) == (False, False, True)
    assert meeting.awaits_minutes(TODAY) is False


def test_a_planned_meeting_awaits_minutes_from_the_day_after(case, contact_teacher):
    yesterday = _schedule(case, contact_teacher, _at(17, 23))
    earlier_today = _schedule(case, contact_teacher, _at(18, 0))
    assert yesterday.awaits_minutes(TODAY) is True
    assert earlier_today.awaits_minutes(TODAY) is False
    assert earlier_today.awaits_minutes(TODAY + dt.timedelta(days=1)) is True


def test_a_meeting_has_started_from_its_starting_time(case, contact_teacher):
    meeting = _schedule(case, contact_teacher, _at(18, 9))
    assert meeting.has_started(_at(18, 9)) is True
    assert meeting.has_started(_at(18, 9) - dt.timedelta(seconds=1)) is False


def test_a_meeting_that_has_not_started_cannot_be_marked_held(case, contact_teacher):
    meeting = _schedule(case, contact_teacher, _at(18, 15))
    refused(
        "meeting_not_started",
        mark_meeting_held,
        meeting,
        pupil_view="x",
        by=contact_teacher,
        version=1,
        now=_at(18, 14),
    )


def test_meeting_pages_say_what_each_meeting_is(client_for, case, contact_teacher):
    waiting = _schedule(case, contact_teacher, _at(17, 9))
    held = _schedule(case, contact_teacher, _at(16, 9))
    mark_meeting_held(held, pupil_view="Vil prøve.", by=contact_teacher, version=1)
    coming = _schedule(case, contact_teacher, _at(20, 9))
    client = client_for(contact_teacher)
    pages = {
        m: client.get(f"/saker/{case.uuid}/moter/{m.uuid}/").content.decode()
        for m in (waiting, held, coming)
    }
    assert "Venter på referat" in pages[waiting]
    assert "Venter på referat" not in pages[held] and "Holdt" in pages[held]
    assert "Venter på referat" not in pages[coming] and "Planlagt" in pages[coming]
    # A meeting still to come can be cancelled, not yet marked held.
    assert "holdt/" not in pages[coming] and "avlys/" in pages[coming]
    assert "holdt/" not in pages[held] and "avlys/" not in pages[held]


# --- the referral ------------------------------------------------------------------------


def test_a_referral_is_active_until_it_ends(case, contact_teacher):
    assert case.has_active_referral is False
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    assert case.has_active_referral is True
    end_referral(referral, reason="Ferdig", by=contact_teacher)
    assert case.has_active_referral is False


def test_the_page_offers_a_referral_only_while_none_is_active(client_for, case, contact_teacher):
    give(case, contact_teacher)
    client = client_for(contact_teacher)
    new_url = f"/saker/{case.uuid}/henvisning/ny/"
    assert new_url in client.get(f"/saker/{case.uuid}/").content.decode()
    referral = refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    assert new_url not in client.get(f"/saker/{case.uuid}/").content.decode()
    end_referral(referral, reason="Ferdig", by=contact_teacher)
    assert new_url in client.get(f"/saker/{case.uuid}/").content.decode()


# --- consent -----------------------------------------------------------------------------


def test_a_consent_expires_after_its_last_day(case, contact_teacher):
    last_day = consent(case, contact_teacher, expires_on=TODAY)
    open_ended = consent(case, contact_teacher, service="school_nurse")
    assert last_day.has_expired(TODAY) is False and last_day.is_active(TODAY) is True
    tomorrow = TODAY + dt.timedelta(days=1)
    assert last_day.has_expired(tomorrow) is True and last_day.is_active(tomorrow) is False
    assert open_ended.has_expired(dt.date(2099, 12, 31)) is False


def test_the_case_page_says_an_expired_consent_has_expired(client_for, case, contact_teacher):
    week_ago = TODAY - dt.timedelta(days=7)
    consent(case, contact_teacher, given_on=week_ago, expires_on=TODAY - dt.timedelta(days=1))
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert "Utløpt" in html and "Gyldig" not in html
    consent(case, contact_teacher, service="school_nurse", expires_on=TODAY)
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert "Utløpt" in html and "Gyldig" in html
