"""Who may acknowledge a flag (`access.may_acknowledge`): the pupil's contact teacher,
the school's leaders and its school-environment team. The school nurse and the
attendance contact read the pupil's flags: no form is shown to them, and their POST
answers 404, as a flag they cannot see does."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fravaer import access
from fravaer.models import Flag, StaffRole
from tests.conftest import make_user
from tests.factories import make_flag, notify
from tests.pages import ack_url, html_of

HTMX = {"HX-Request": "true"}
ACKNOWLEDGING = ["contact_teacher", "leader", "team_member"]
READING = ["nurse", "attendance_contact"]


@pytest.fixture
def attendance_contact(school):
    user = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user


def pupil_page(client, pupil) -> str:
    response = client.get(reverse("pupil", args=[pupil.uuid]))
    assert response.status_code == 200
    return html_of(response)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        *((p, True) for p in ACKNOWLEDGING),
        *((p, False) for p in READING),
        ("subject_teacher", False),
        ("ppt_advisor", False),
        ("municipal_admin", False),
        ("outsider", False),
    ],
)
def test_may_acknowledge_is_for_the_contact_teacher_leaders_and_team(
    request, pupil, persona, allowed
):
    user = request.getfixturevalue(persona)
    assert access.may_acknowledge(user, make_flag(pupil)) is allowed


@pytest.mark.parametrize("persona", ACKNOWLEDGING + READING)
def test_the_pupil_pages_answer_is_may_acknowledges(request, pupil, persona):
    """The pupil page reads the answer with the pupil, in the same query; it is built
    from the same definition and must agree with it."""
    user = request.getfixturevalue(persona)
    flag = make_flag(pupil)
    grant = access.pupil_access_or_404(user, pupil.uuid)
    assert grant.may_acknowledge is access.may_acknowledge(user, flag)


def test_a_leader_elsewhere_who_is_the_nurse_here_only_reads(client_for, pupil, other_school):
    user = make_user("helse-og-rektor@testvik.no")
    StaffRole.objects.create(user=user, role="school_nurse", school=pupil_school(pupil))
    StaffRole.objects.create(user=user, role="school_leader", school=other_school)
    flag = make_flag(pupil)
    assert not access.may_acknowledge(user, flag)
    response = client_for(user).post(ack_url(flag), {"reason": "sett"})
    assert response.status_code == 404


def pupil_school(pupil):
    return pupil.enrollments.select_related("group__school").get().group.school


# --- the read-only roles ----------------------------------------------------------------


@pytest.mark.parametrize("persona", READING)
def test_the_pupil_page_shows_the_reading_roles_the_flag_without_the_form(
    request, client_for, pupil, persona
):
    flag = make_flag(pupil)
    html = pupil_page(client_for(request.getfixturevalue(persona)), pupil)
    assert "4 dager i november 2026; grense: mer enn 3." in html
    assert ack_url(flag) not in html
    assert "Kvitter ut" not in html


@pytest.mark.parametrize("persona", READING)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_reading_roles_acknowledge_is_404_and_changes_nothing(
    request, client_for, pupil, persona, headers
):
    flag = make_flag(pupil)
    client = client_for(request.getfixturevalue(persona))
    response = client.post(ack_url(flag), {"reason": "sett", "next": "/"}, headers=headers)
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE
    assert (flag.acknowledged_by, flag.acknowledged_at, flag.acknowledgement) == (None, None, "")
    assert "Varselet er kvittert ut." not in pupil_page(client, pupil)


@pytest.mark.parametrize("persona", READING)
def test_a_reading_roles_acknowledge_answers_as_for_a_flag_it_cannot_see(
    request, client_for, pupil, other_pupil, persona
):
    client = client_for(request.getfixturevalue(persona))
    refused, unseen = (
        client.post(ack_url(make_flag(p)), {"reason": "sett"}) for p in (pupil, other_pupil)
    )
    assert refused.status_code == unseen.status_code == 404
    assert page_as_such(refused) == page_as_such(unseen)


def page_as_such(response) -> str:
    """The page without its own address (the language menu returns to it) and its CSRF
    token, which is masked anew on every page."""
    html = html_of(response).replace(response.request["PATH_INFO"], "")
    return re.sub(r'(X-CSRFToken": "|value=")[A-Za-z0-9]{64}', r"\1", html)


def test_the_attendance_contacts_overview_and_inbox_offer_no_acknowledging(
    client_for, school, pupil, attendance_contact
):
    flag = make_flag(pupil)
    message = notify(attendance_contact, flag)
    client = client_for(attendance_contact)
    for url in (
        reverse("school_flags", args=[school.pk]),
        reverse("inbox"),
        reverse("inbox_message", args=[message.pk]),
    ):
        html = html_of(client.get(url))
        assert "4 dager i november 2026; grense: mer enn 3." in html, url
        assert ack_url(flag) not in html, url


# --- the acknowledging roles --------------------------------------------------------------


@pytest.mark.parametrize("persona", ACKNOWLEDGING)
def test_the_pupil_page_offers_the_acknowledging_roles_the_form(
    request, client_for, pupil, persona
):
    flag = make_flag(pupil)
    html = pupil_page(client_for(request.getfixturevalue(persona)), pupil)
    assert f'action="{ack_url(flag)}"' in html


@pytest.mark.parametrize("persona", ACKNOWLEDGING)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_the_acknowledging_roles_acknowledge(request, client_for, pupil, persona, headers):
    user = request.getfixturevalue(persona)
    flag = make_flag(pupil)
    response = client_for(user).post(ack_url(flag), {"reason": "fulgt opp"}, headers=headers)
    assert response.status_code == (200 if headers else 302)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert (flag.acknowledged_by, flag.acknowledgement) == (user, "fulgt opp")


def test_a_refused_reason_shows_the_form_again(client_for, leader, pupil):
    flag = make_flag(pupil)
    html = html_of(client_for(leader).post(ack_url(flag), {"reason": " "}))
    assert "Skriv en kort begrunnelse." in html and f'action="{ack_url(flag)}"' in html


def test_every_flag_on_the_start_page_is_the_contact_teachers_to_acknowledge(
    client_for, contact_teacher, pupil
):
    flag = make_flag(pupil)
    response = client_for(contact_teacher).get(reverse("home"))
    shown = [f for entry in response.context["flagged_pupils"] for f in entry.flags]
    assert shown == [flag]
    assert all(access.may_acknowledge(contact_teacher, f) for f in shown)
    assert f'action="{ack_url(flag)}"' in html_of(response)
