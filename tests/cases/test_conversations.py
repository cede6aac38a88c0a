"""Nivå 0: the wondering conversation (seed 000 p. 15–16)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.actions.consent import refer_to_ppt
from cases.actions.core import close_case
from cases.actions.meetings import log_conversation
from cases.errors import CaseRuleError
from cases.models import CaseEvent, Conversation
from cases.questions import GUARDIAN_QUESTIONS, PUPIL_QUESTIONS
from tests.factories import give

TODAY = dt.date(2026, 11, 18)


def _log(case, by, **extra):
    values = {
        "held_on": TODAY,
        "with_whom": "both",
        "medium": "phone",
        "answers": {"pupil_thriving": "Liker friminuttene."},
        "by": by,
    }
    return log_conversation(case, **{**values, **extra})


def _url(case):
    return f"/saker/{case.uuid}/samtaler/ny/"


def _post_data(**extra):
    return {
        "held_on": "17.11.2026",
        "with_whom": "pupil",
        "medium": "meeting",
        "q_pupil_thriving": "Trives ikke i gymtimene.",
        "q_guardian_routines": "Legger seg sent.",
        "consulted_attendance_contact": "on",
        "summary": "Avtalt ny prat om en uke.",
        **extra,
    }


# --- the action ------------------------------------------------------------------------


def test_log_conversation_stores_answers_and_appends_event(case, contact_teacher):
    conversation = _log(case, contact_teacher, consulted_colleague=True, summary="Ok.")
    assert conversation.answers == {"pupil_thriving": "Liker friminuttene."}
    assert conversation.consulted_colleague is True
    event = case.events.get(kind=CaseEvent.Kind.CONVERSATION_LOGGED)
    assert event.data == {"conversation": conversation.pk}
    assert event.by == contact_teacher


def test_log_conversation_drops_unknown_keys_and_blank_answers(case, contact_teacher):
    conversation = _log(
        case,
        contact_teacher,
        answers={"pupil_thriving": "  Ja  ", "guardian_health": "   ", "made_up": "x"},
    )
    assert conversation.answers == {"pupil_thriving": "Ja"}


def test_log_conversation_refuses_closed_case(case, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    with pytest.raises(CaseRuleError) as exc:
        _log(case, contact_teacher)
    assert exc.value.code == "case_closed"


def test_log_conversation_refuses_date_in_future(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _log(case, contact_teacher, held_on=TODAY + dt.timedelta(days=1))
    assert exc.value.code == "conversation_in_future"


def test_log_conversation_refuses_nothing_written(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _log(case, contact_teacher, answers={"pupil_thriving": " "}, summary="  ")
    assert exc.value.code == "conversation_empty"
    assert not Conversation.objects.exists()


def test_log_conversation_accepts_summary_alone(case, contact_teacher):
    conversation = _log(case, contact_teacher, answers={}, summary="Foresatte ringt.")
    assert conversation.summary == "Foresatte ringt."


def test_log_conversation_refuses_unknown_counterpart(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _log(case, contact_teacher, with_whom="teacher")
    assert exc.value.code == "conversation_with_required"


def test_log_conversation_refuses_unknown_medium(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _log(case, contact_teacher, medium="letter")
    assert exc.value.code == "conversation_medium_required"


def test_conversation_answers_split_by_pupil_and_guardians_in_question_order(case, contact_teacher):
    conversation = _log(
        case,
        contact_teacher,
        answers={"pupil_teacher_can_do": "B", "pupil_thriving": "A", "guardian_health": "C"},
    )
    assert [(q.key, a) for q, a in conversation.pupil_answers] == [
        ("pupil_thriving", "A"),
        ("pupil_teacher_can_do", "B"),
    ]
    assert [(q.key, a) for q, a in conversation.guardian_answers] == [("guardian_health", "C")]


def test_question_keys_are_unique():
    keys = [q.key for q in (*PUPIL_QUESTIONS, *GUARDIAN_QUESTIONS)]
    assert len(keys) == len(set(keys))


# --- the page --------------------------------------------------------------------------


def test_conversation_form_shows_every_question(client_for, case, contact_teacher):
    response = client_for(contact_teacher).get(_url(case))
    html = response.content.decode()
    assert response.status_code == 200
    for q in (*PUPIL_QUESTIONS, *GUARDIAN_QUESTIONS):
        assert f'name="q_{q.key}"' in html


def test_conversation_form_saves_and_redirects_to_case(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(_url(case), _post_data())
    assert response.status_code == 302
    assert response.url == f"/saker/{case.uuid}/#samtaler"
    conversation = Conversation.objects.get(case=case)
    assert conversation.held_on == dt.date(2026, 11, 17)
    assert conversation.answers == {
        "pupil_thriving": "Trives ikke i gymtimene.",
        "guardian_routines": "Legger seg sent.",
    }
    assert conversation.consulted_attendance_contact is True
    assert conversation.recorded_by == contact_teacher


def test_saved_conversation_says_so_in_the_conversations_section_it_returns_to(
    client_for, case, contact_teacher
):
    """The page returns at #samtaler: the message is there, where the user lands (also
    without JavaScript), not at the top of the page far above the view."""
    response = client_for(contact_teacher).post(_url(case), _post_data(), follow=True)
    html = response.content.decode()
    section = html[html.index('id="samtaler"') :]
    section = section[: section.index("</section>")]
    assert "Samtalen er registrert." in section
    assert html.count("Samtalen er registrert.") == 1
    assert html.index('class="messages"') > html.index('id="samtaler"')


def test_conversation_form_sent_empty_says_feil_in_its_title(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(_url(case), {})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>\s*Feil: Registrer samtale – ", html)


def test_conversation_form_reshows_typed_input_on_error(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(_url(case), _post_data(held_on="01.01.2030"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trives ikke i gymtimene." in html
    assert "Avtalt ny prat om en uke." in html
    assert 'aria-invalid="true"' in html
    assert not Conversation.objects.exists()


def test_conversation_form_shows_rule_refusal(client_for, case, contact_teacher):
    data = _post_data(q_pupil_thriving="", q_guardian_routines="", summary="")
    response = client_for(contact_teacher).post(_url(case), data)
    assert response.status_code == 200
    assert "Skriv svar på minst ett spørsmål" in response.content.decode()


def test_case_page_shows_conversation_with_answered_questions(client_for, case, contact_teacher):
    _log(case, contact_teacher, answers={"guardian_health": "Astma om vinteren."})
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert "<details" in html
    assert "Astma om vinteren." in html
    assert str(GUARDIAN_QUESTIONS[3].text) in html
    assert "Registrer samtale" in html


def test_case_page_conversations_cost_the_same_queries_whatever_their_number(
    client_for, case, contact_teacher, django_assert_max_num_queries
):
    client = client_for(contact_teacher)
    _log(case, contact_teacher)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/saker/{case.uuid}/")
    for _ in range(5):
        _log(case, contact_teacher, answers={"guardian_health": "x"})
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(f"/saker/{case.uuid}/")


def test_conversation_page_redirects_anonymous_to_login(client, case):
    response = client.get(_url(case))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_conversation_page_is_404_for_outsider(client_for, case, outsider):
    assert client_for(outsider).get(_url(case)).status_code == 404


def test_conversation_page_is_404_for_subject_teacher(client_for, case, subject_teacher):
    assert client_for(subject_teacher).post(_url(case), _post_data()).status_code == 404


def test_conversation_page_is_404_for_ppt_even_with_grant(client_for, case, ppt_advisor, leader):
    give(case, leader)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=leader)
    client = client_for(ppt_advisor)
    assert client.get(f"/saker/{case.uuid}/").status_code == 200
    assert client.post(_url(case), _post_data()).status_code == 404
    assert not Conversation.objects.exists()


def test_team_member_may_log_conversation(client_for, case, team_member):
    assert client_for(team_member).post(_url(case), _post_data()).status_code == 302
