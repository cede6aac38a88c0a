"""The ended team meeting's page shows its minutes: like the PDF, each case listed is
a read of it, logged, in a number of queries that does not grow with the cases."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.actions.team_meeting import add_meeting_note, end_team_meeting
from cases.models import CaseAccessLog
from tests.cases.conftest import make_case
from tests.conftest import make_pupil
from tests.factories import running_team_meeting


def _url(meeting):
    return reverse("cases:team_meeting", args=[meeting.school_id, meeting.uuid])


def _discussed(group, teacher, meeting, by, n, start=0):
    cases = []
    for i in range(start, start + n):
        case = make_case(make_pupil(group, first=f"Sak{i}"), by=teacher)
        add_meeting_note(meeting, case, text="Drøftet", by=by)
        cases.append(case)
    return cases


def test_the_minutes_page_logs_a_read_of_each_case_it_lists(
    client_for, school, group, contact_teacher, team_member, leader
):
    meeting = running_team_meeting(school, team_member, leader)
    cases = _discussed(group, contact_teacher, meeting, team_member, 2)
    end_team_meeting(meeting, by=team_member)

    response = client_for(leader).get(_url(meeting))

    assert response.status_code == 200
    assert "Sak0" in response.content.decode()
    logged = CaseAccessLog.objects.filter(user=leader).order_by("case_id")
    assert [(log.case, log.what, log.basis) for log in logged] == [
        (case, "team_meeting_minutes", "leader") for case in cases
    ]


def test_a_running_meeting_logs_no_minutes_read(
    client_for, school, group, contact_teacher, team_member, leader
):
    meeting = running_team_meeting(school, team_member, leader)
    _discussed(group, contact_teacher, meeting, team_member, 1)
    assert client_for(leader).get(_url(meeting)).status_code == 200
    assert not CaseAccessLog.objects.filter(what="team_meeting_minutes").exists()


def test_the_minutes_page_queries_do_not_grow_with_the_cases(
    client_for, school, group, contact_teacher, team_member, leader, django_assert_num_queries
):
    small_meeting = running_team_meeting(school, team_member, leader)
    _discussed(group, contact_teacher, small_meeting, team_member, 2)
    end_team_meeting(small_meeting, by=team_member)
    big_meeting = running_team_meeting(
        school, team_member, leader, held_on=small_meeting.held_on - dt.timedelta(days=7)
    )
    _discussed(group, contact_teacher, big_meeting, team_member, 12, start=2)
    end_team_meeting(big_meeting, by=team_member)
    client = client_for(leader)
    client.get(_url(small_meeting))  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(_url(small_meeting)).status_code == 200
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(_url(big_meeting))
    assert response.content.decode().count("Sak1") >= 1
    assert CaseAccessLog.objects.filter(user=leader, what="team_meeting_minutes").count() == (
        2 + 2 + 12
    )


def test_the_minutes_pdf_queries_do_not_grow_with_the_cases(
    client_for, school, group, contact_teacher, team_member, leader, django_assert_num_queries
):
    small_meeting = running_team_meeting(school, team_member, leader)
    _discussed(group, contact_teacher, small_meeting, team_member, 1)
    end_team_meeting(small_meeting, by=team_member)
    big_meeting = running_team_meeting(
        school, team_member, leader, held_on=small_meeting.held_on - dt.timedelta(days=7)
    )
    _discussed(group, contact_teacher, big_meeting, team_member, 6, start=1)
    end_team_meeting(big_meeting, by=team_member)
    client = client_for(leader)
    pdf_url = reverse("cases:team_meeting_pdf", args=[school.pk, small_meeting.uuid])
    client.get(pdf_url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(pdf_url).status_code == 200
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("cases:team_meeting_pdf", args=[school.pk, big_meeting.uuid]))
    assert response.status_code == 200
    assert CaseAccessLog.objects.filter(user=leader, case__pupil__first_name="Sak6").count() == 1
