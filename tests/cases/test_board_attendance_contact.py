"""The attendance contact (nærværskontakt) reads the school's case board (issue #15,
§4): the board and the start page's link, no owner forms, and a POST to change an
owner is 404. The team and the leaders keep their forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from tests.factories import attendance_contact_at, running_team_meeting
from tests.pages import html_of, query_count


def board_url(school) -> str:
    return reverse("cases:board", args=[school.pk])


def owner_url(school, case) -> str:
    return reverse("cases:board_owner", args=[school.pk, case.uuid])


@pytest.fixture
def attendance_contact(school):
    return attendance_contact_at(school)


def test_the_attendance_contact_sees_the_schools_board(
    client_for, attendance_contact, case, school
):
    response = client_for(attendance_contact).get(board_url(school))
    assert response.status_code == 200
    html = html_of(response)
    assert case.pupil.full_name in html
    assert reverse("cases:case", args=[case.uuid]) in html


def test_the_attendance_contacts_board_has_no_owner_forms(
    client_for, attendance_contact, case, school
):
    html = html_of(client_for(attendance_contact).get(board_url(school)))
    assert owner_url(school, case) not in html
    assert 'name="owner"' not in html
    assert "du kan lese sakene, men ikke bytte saksansvarlig" in html


def test_the_team_keeps_its_owner_forms(client_for, team_member, case, school):
    html = html_of(client_for(team_member).get(board_url(school)))
    assert owner_url(school, case) in html
    assert "ikke bytte saksansvarlig" not in html


def test_the_attendance_contact_may_not_change_an_owner(
    client_for, attendance_contact, case, school, team_member
):
    response = client_for(attendance_contact).post(
        owner_url(school, case), {"owner": team_member.pk, "version": case.version}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.owner_id != team_member.pk


def test_the_attendance_contact_sees_no_other_schools_board(
    client_for, attendance_contact, other_school
):
    assert client_for(attendance_contact).get(board_url(other_school)).status_code == 404


def test_the_attendance_contacts_start_page_links_the_board(
    client_for, attendance_contact, case, school
):
    html = html_of(client_for(attendance_contact).get(reverse("home")))
    assert board_url(school) in html


def test_the_attendance_contact_reads_a_case_from_the_board(client_for, attendance_contact, case):
    response = client_for(attendance_contact).get(reverse("cases:case", args=[case.uuid]))
    assert response.status_code == 200
    assert response.context["grant"].basis == "attendance_contact"
    assert not response.context["grant"].can_manage


def test_the_attendance_contacts_board_queries_do_not_grow_with_cases(
    client_for, attendance_contact, school, group, contact_teacher
):
    from tests.cases.conftest import make_case
    from tests.conftest import make_pupil

    client = client_for(attendance_contact)
    make_case(make_pupil(group), by=contact_teacher)
    few = query_count(client, board_url(school))
    for _ in range(5):
        make_case(make_pupil(group), by=contact_teacher)
    assert Case.objects.count() == 6
    assert query_count(client, board_url(school)) == few


def test_the_attendance_contact_runs_no_team_meeting(
    client_for, attendance_contact, school, team_member
):
    """Reading the board is not running the team's meeting: the meetings page, starting
    one and an existing meeting are 404, and the board does not link them."""
    meeting = running_team_meeting(school, team_member)
    client = client_for(attendance_contact)
    meetings_url = reverse("cases:team_meetings", args=[school.pk])
    assert client.get(meetings_url).status_code == 404
    assert client.post(meetings_url, {"held_on": "18.11.2026"}).status_code == 404
    meeting_url = reverse("cases:team_meeting", args=[school.pk, meeting.uuid])
    assert client.get(meeting_url).status_code == 404
    assert (
        client.post(reverse("cases:team_meeting_end", args=[school.pk, meeting.uuid])).status_code
        == 404
    )
    assert meetings_url not in html_of(client.get(board_url(school)))
