"""The team's case board: who sees it, what a row shows, filters, bounded queries,
and assigning the owner in place (eligible, not eligible, concurrent change)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.actions.deadlines import set_deadline
from cases.models import Case, CaseEvent, Deadline
from fravaer.models import StaffRole
from tests.cases.conftest import make_case
from tests.conftest import _assign, make_group, make_pupil, make_user


def board_url(school) -> str:
    return f"/skole/{school.pk}/saker/"


def owner_url(school, case) -> str:
    return f"/skole/{school.pk}/saker/{case.uuid}/saksansvarlig/"


def _deadline(case, due, kind=Deadline.Kind.LEVEL1_MEETING):
    return set_deadline(case, kind, now=timezone.now(), due=due, by=None)


# --- who sees it -------------------------------------------------------------------------


def test_board_shows_open_cases_to_the_team(client_for, team_member, case, school):
    response = client_for(team_member).get(board_url(school))
    assert response.status_code == 200
    assert "Ola Nordmann" in response.content.decode()


def test_board_shows_open_cases_to_leaders(client_for, leader, case, school):
    assert client_for(leader).get(board_url(school)).status_code == 200


def test_board_requires_login(client, school):
    response = client.get(board_url(school))
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/")


def test_board_is_404_for_another_schools_team(client_for, other_school, case, school):
    stranger = make_user("team@sorby.no")
    StaffRole.objects.create(user=stranger, role="environment_team", school=other_school)
    assert client_for(stranger).get(board_url(school)).status_code == 404


@pytest.mark.parametrize(
    "persona", ["contact_teacher", "subject_teacher", "nurse", "ppt_advisor", "municipal_admin"]
)
def test_board_is_404_for_other_roles(client_for, request, persona, school, case):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(board_url(school)).status_code == 404


def test_board_is_404_for_a_school_that_does_not_exist(client_for, team_member):
    assert client_for(team_member).get("/skole/999999/saker/").status_code == 404


def test_closed_cases_are_not_on_the_board(client_for, team_member, case, school, contact_teacher):
    from cases.actions.core import close_case

    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    response = client_for(team_member).get(board_url(school))
    assert "Ola Nordmann" not in response.content.decode()


# --- what a row shows -------------------------------------------------------------------


def test_row_shows_class_owner_and_next_deadline(client_for, team_member, case, school):
    _deadline(case, dt.date(2026, 11, 25))
    _deadline(case, dt.date(2026, 12, 9), kind=Deadline.Kind.PLAN_EVALUATION)
    html = client_for(team_member).get(board_url(school)).content.decode()
    assert "5A" in html
    assert "Møte med elev og foresatte (nivå 1)" in html
    assert "25.11.2026" in html and "om 7 dager" in html
    assert "09.12.2026" not in html  # only the next one


def test_overdue_case_is_marked_in_words_and_colour(client_for, team_member, case, school):
    _deadline(case, dt.date(2026, 11, 16))
    html = client_for(team_member).get(board_url(school)).content.decode()
    assert "Forfalt for 2 dager siden" in html
    assert 'class="row--overdue"' in html
    assert "1 har passert en frist." in html


def test_cases_are_grouped_by_level(client_for, team_member, case, school):
    Case.objects.filter(pk=case.pk).update(level="2A")
    board = client_for(team_member).get(board_url(school)).context["levels"]
    assert [(s["level"].value, len(s["rows"])) for s in board] == [
        ("0", 0),
        ("1", 0),
        ("2A", 1),
        ("2B", 0),
    ]


# --- filters --------------------------------------------------------------------------


@pytest.fixture
def three_cases(case, school, school_year, contact_teacher, team_member):
    """Ola (5A, nivå 0, overdue), Per (6B, nivå 1, owned by the team), Siri (5A, nivå 1)."""
    _deadline(case, dt.date(2026, 11, 16))
    group_6b = make_group(school, school_year, name="6B", grade=6)
    teacher_6b = _assign(make_user("kontakt6b@nordby.no"), group_6b, "contact")
    per = make_case(make_pupil(group_6b, first="Per"), by=teacher_6b, owner=team_member)
    siri = make_case(
        make_pupil(case.pupil.enrollments.first().group, first="Siri"), by=contact_teacher
    )
    Case.objects.filter(pk__in=[per.pk, siri.pk]).update(level="1")
    _deadline(siri, dt.date(2026, 11, 30))
    return {"ola": case, "per": per, "siri": siri, "6b": group_6b}


def _shown(client, school, query="") -> set[str]:
    levels = client.get(board_url(school) + query).context["levels"]
    return {row["case"].pupil.first_name for s in levels for row in s["rows"]}


def test_filter_by_level(client_for, team_member, school, three_cases):
    assert _shown(client_for(team_member), school, "?nivaa=1") == {"Per", "Siri"}


def test_filter_by_class(client_for, team_member, school, three_cases):
    query = f"?klasse={three_cases['6b'].pk}"
    assert _shown(client_for(team_member), school, query) == {"Per"}


def test_filter_by_owner(client_for, team_member, school, three_cases):
    assert _shown(client_for(team_member), school, f"?ansvarlig={team_member.pk}") == {"Per"}


def test_filter_overdue_only(client_for, team_member, school, three_cases):
    assert _shown(client_for(team_member), school, "?forfalt=1") == {"Ola"}


def test_filters_combine(client_for, team_member, school, three_cases, group):
    query = f"?nivaa=1&klasse={group.pk}"
    assert _shown(client_for(team_member), school, query) == {"Siri"}


def test_invalid_filter_shows_every_case(client_for, team_member, school, three_cases):
    assert _shown(client_for(team_member), school, "?nivaa=9&klasse=x") == {"Ola", "Per", "Siri"}


def test_htmx_filter_returns_only_the_results(client_for, team_member, school, three_cases):
    response = client_for(team_member).get(
        board_url(school) + "?nivaa=0", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board-results">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


# --- bounded queries ---------------------------------------------------------------------


def _many_cases(n, school, school_year):
    for i in range(n):
        group = make_group(school, school_year, name=f"{i}X{n}")
        teacher = _assign(make_user(), group, "contact")
        c = make_case(make_pupil(group), by=teacher)
        _deadline(c, dt.date(2026, 11, 10 + i % 15))


def _board_queries(client, school) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(board_url(school)).status_code == 200
    return len(ctx.captured_queries)


def test_board_queries_do_not_grow_with_cases(
    client_for, team_member, school, school_year, django_assert_max_num_queries
):
    client = client_for(team_member)
    _many_cases(3, school, school_year)
    client.get(board_url(school))  # warm the per-user caches (unread count)
    few = _board_queries(client, school)
    _many_cases(12, school, school_year)
    many = _board_queries(client, school)
    assert len(client.get(board_url(school)).context["levels"][0]["rows"]) == 15
    assert many == few
    with django_assert_max_num_queries(8):
        client.get(board_url(school))


# --- assigning the owner in place ------------------------------------------------------


def test_team_assigns_a_team_member_as_owner(client_for, team_member, case, school):
    response = client_for(team_member).post(
        owner_url(school, case), {"owner": team_member.pk, "version": case.version}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(board_url(school))
    case.refresh_from_db()
    assert case.owner == team_member
    assert CaseEvent.objects.filter(case=case, kind="owner_assigned", by=team_member).exists()


def test_leader_may_assign_the_owner(client_for, leader, team_member, case, school):
    client_for(leader).post(
        owner_url(school, case), {"owner": team_member.pk, "version": case.version}
    )
    case.refresh_from_db()
    assert case.owner == team_member


def test_htmx_assignment_returns_the_row_with_a_message(client_for, team_member, case, school):
    response = client_for(team_member).post(
        owner_url(school, case),
        {"owner": team_member.pk, "version": case.version},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="sak-{case.uuid}"')
    assert "Saksansvarlig for Ola Nordmann er nå" in html
    assert f'name="version" value="{case.version + 1}"' in html


def test_owner_not_eligible_is_refused_with_a_message(client_for, team_member, nurse, case, school):
    response = client_for(team_member).post(
        owner_url(school, case), {"owner": nurse.pk, "version": case.version}
    )
    assert response.status_code == 200
    assert "Velg en i skolemiljøteamet eller kontaktlæreren." in response.content.decode()
    case.refresh_from_db()
    assert case.owner != nurse


def test_concurrent_change_is_shown_and_keeps_the_choice(
    client_for, team_member, contact_teacher, case, school
):
    seen = case.version
    Case.objects.filter(pk=case.pk).update(version=seen + 1)  # someone else saved meanwhile
    response = client_for(team_member).post(
        owner_url(school, case),
        {"owner": team_member.pk, "version": seen},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Saken er endret av noen andre" in html
    assert f'<option value="{team_member.pk}" selected>' in html
    assert f'name="version" value="{seen + 1}"' in html
    case.refresh_from_db()
    assert case.owner == contact_teacher


def test_owner_assignment_requires_login(client, case, school):
    response = client.post(owner_url(school, case), {"owner": 1, "version": 1})
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/")


def test_contact_teacher_cannot_assign_from_the_board(
    client_for, contact_teacher, team_member, case, school
):
    response = client_for(contact_teacher).post(
        owner_url(school, case), {"owner": team_member.pk, "version": case.version}
    )
    assert response.status_code == 404


def test_another_schools_team_cannot_assign(client_for, other_school, team_member, case, school):
    stranger = make_user("team@sorby.no")
    StaffRole.objects.create(user=stranger, role="environment_team", school=other_school)
    response = client_for(stranger).post(
        owner_url(other_school, case), {"owner": team_member.pk, "version": case.version}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.owner != team_member


def test_owner_assignment_only_by_post(client_for, team_member, case, school):
    assert client_for(team_member).get(owner_url(school, case)).status_code == 405


# --- the start page ---------------------------------------------------------------------


def test_leaders_start_page_links_to_the_board_and_counts_overdue(client_for, leader, case, school):
    _deadline(case, dt.date(2026, 11, 16))
    html = client_for(leader).get("/").content.decode()
    assert f'href="/skole/{school.pk}/saker/"' in html
    assert "1 sak ved Nordby skole har passert fristen." in html
    assert f'href="/skole/{school.pk}/saker/?forfalt=1"' in html


def test_contact_teachers_start_page_has_no_board(client_for, contact_teacher, case, school):
    html = client_for(contact_teacher).get("/").content.decode()
    assert f"/skole/{school.pk}/saker/" not in html
