"""After a level change the case page asks the owner about what the move left behind: a
lower level's meeting still "Planlagt" (hold, move or cancel it; nothing changes by
itself), and a team level whose only consent was withdrawn or ran out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import transitions
from cases.actions.consent import withdraw_consent
from cases.actions.core import change_level
from cases.actions.meetings import cancel_meeting, schedule_meeting
from cases.models import Case, Consent, Level, Meeting, Service
from tests.conftest import TODAY
from tests.factories import at_level

LEFT_BEHIND = "men et møte fra et lavere nivå er fortsatt planlagt"
NO_CONSENT = "men har ikke lenger et gyldig samtykke"


def planned(case: Case, kind=Meeting.Kind.LEVEL1) -> Meeting:
    return schedule_meeting(
        case,
        kind=kind,
        starts_at=timezone.now() + dt.timedelta(days=2),
        place="Møterom 1",
        by=case.owner,
    )


def up(case: Case, to: str) -> Case:
    return change_level(case, to=to, by=case.owner, reason="Ikke nok.", version=case.version)


def page(client, case: Case) -> str:
    return client.get(reverse("cases:case", args=[case.uuid])).content.decode()


# --- a lower level's planned meeting ------------------------------------------------------


def test_a_planned_level1_meeting_after_the_move_to_2a_is_prompted_and_left_planned(
    client_for, case, contact_teacher
):
    at_level(case, Level.NIVA_1)
    meeting = planned(case)
    up(case, Level.NIVA_2A)
    html = page(client_for(contact_teacher), case)
    assert LEFT_BEHIND in html
    assert reverse("cases:meeting", args=[case.uuid, meeting.uuid]) in html
    assert "hold det og registrer det som holdt, avlys det, eller flytt det" in html
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_the_prompt_goes_once_the_meeting_is_cancelled(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_1)
    meeting = planned(case)
    up(case, Level.NIVA_2A)
    cancel_meeting(meeting, reason="Erstattes av teammøte.", by=contact_teacher, version=1)
    assert LEFT_BEHIND not in page(client_for(contact_teacher), case)


def test_a_meeting_set_up_on_the_current_level_is_not_prompted(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    planned(case, Meeting.Kind.MAPPING)
    assert LEFT_BEHIND not in page(client_for(contact_teacher), case)


def test_an_evaluation_meeting_planned_at_level1_is_prompted_after_the_move_up(case):
    at_level(case, Level.NIVA_1)
    meeting = planned(case, Meeting.Kind.EVALUATION)
    up(case, Level.NIVA_2A)
    assert transitions.meetings_left_behind(case.level, case.meetings.all()) == [meeting]


def test_a_level1_meeting_from_before_levels_were_kept_counts_as_level_1s(case):
    at_level(case, Level.NIVA_2A)
    meeting = planned(case)
    Meeting.objects.filter(pk=meeting.pk).update(level="")
    assert transitions.meetings_left_behind(case.level, case.meetings.all()) == [meeting]


def test_moving_up_does_not_change_the_meeting_and_records_only_the_level_change(case):
    at_level(case, Level.NIVA_1)
    meeting = planned(case)
    up(case, Level.NIVA_2A)
    assert not case.events.filter(kind="meeting_cancelled").exists()
    assert Meeting.objects.get(pk=meeting.pk).version == meeting.version


def test_a_reader_who_does_not_run_the_case_sees_no_prompt(
    client_for, case, contact_teacher, ppt_advisor
):
    from cases.actions.consent import refer_to_ppt

    at_level(case, Level.NIVA_1)
    planned(case)
    up(case, Level.NIVA_2A)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    assert LEFT_BEHIND not in page(client_for(ppt_advisor), case)


# --- a team level without consent --------------------------------------------------------


def test_a_2a_case_whose_only_consent_is_withdrawn_warns_and_says_what_to_do(
    client_for, case, contact_teacher
):
    at_level(case, Level.NIVA_1)
    up(case, Level.NIVA_2A)
    withdraw_consent(case.consents.get(), withdrawn_on=TODAY, by=contact_teacher)
    html = page(client_for(contact_teacher), case)
    assert f"Saken er på Nivå 2A – enkel tverrfaglig innsats, {NO_CONSENT}." in html
    assert "PPT og andre tjenester utenfor skolen ikke lenger delta i saken" in html
    assert "flytt saken tilbake til nivå 1" in html
    case.refresh_from_db()
    assert case.level == Level.NIVA_2A


def test_a_2a_case_whose_consent_has_expired_warns(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_2A, ready=False)
    Consent.objects.create(
        case=case,
        service=Service.PPT,
        purpose="Tverrfaglig samarbeid",
        given_on=TODAY - dt.timedelta(days=60),
        expires_on=TODAY - dt.timedelta(days=1),
        recorded_by=contact_teacher,
        recorded_at=timezone.now(),
    )
    assert NO_CONSENT in page(client_for(contact_teacher), case)


def test_a_2a_case_with_a_consent_in_force_does_not_warn(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    assert NO_CONSENT not in page(client_for(contact_teacher), case)


@pytest.mark.parametrize("level", [Level.NIVA_0, Level.NIVA_1])
def test_the_schools_own_levels_need_no_consent_and_do_not_warn(level):
    assert not transitions.consent_lapsed(level, [], TODAY)


def test_a_2b_case_without_consent_warns():
    assert transitions.consent_lapsed(Level.NIVA_2B, [], TODAY)
