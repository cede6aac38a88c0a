"""The session slides with activity, ends at its cap, warns before its end and, once
ended, sends htmx requests to the login page (WCAG 2.2.1)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fravaer.session_expiry import HEADER

HTMX = {"HX-Request": "true"}


@pytest.fixture
def register_url(group):
    return f"{reverse('register', args=[group.pk])}?dato=2026-11-18"


def later(time_machine, **delta) -> None:
    time_machine.move_to(timezone.now() + dt.timedelta(**delta))


def login_url_for(page: str) -> str:
    return f"{reverse('login')}?next={quote(page, safe='/')}"


def is_signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


# -- An ended session and htmx ---------------------------------------------------------


def test_htmx_post_without_session_goes_to_login_and_back_to_the_page(client, register_url):
    response = client.post(
        register_url,
        {"dato": "2026-11-18"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{register_url}"},
    )
    # Not the login page swapped into the register's fragment: the whole page goes.
    assert response.status_code == 200
    assert response["HX-Redirect"] == login_url_for(register_url)
    assert not response.content
    assert "Location" not in response


def test_plain_post_without_session_still_gets_the_normal_redirect(client, register_url):
    response = client.post(register_url, {"dato": "2026-11-18"})
    assert response.status_code == 302
    assert response["Location"] == login_url_for(register_url)
    assert "HX-Redirect" not in response


def test_htmx_get_without_its_page_comes_back_to_its_own_address(client, register_url):
    response = client.get(register_url, headers=HTMX)
    assert response["HX-Redirect"] == login_url_for(register_url)


def test_htmx_post_comes_back_to_the_page_not_the_post_address(client, pupil):
    page = reverse("pupil", args=[pupil.uuid])
    response = client.post(
        reverse("contact_log", args=[pupil.uuid]),
        headers={**HTMX, "HX-Current-URL": f"http://testserver{page}#samtaler"},
    )
    assert response["HX-Redirect"] == login_url_for(page)


def test_htmx_history_restore_without_session_gets_the_normal_redirect(client, school):
    page = f"{reverse('cases:board', args=[school.pk])}?forfalt=1"
    response = client.get(page, headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert response.status_code == 302
    assert response["Location"] == login_url_for(page)


def test_htmx_page_on_another_host_is_not_used_as_next(client, register_url):
    response = client.post(
        register_url, headers={**HTMX, "HX-Current-URL": "https://evil.example/klasser/"}
    )
    assert response["HX-Redirect"] == reverse("login")


def test_htmx_request_after_the_session_ended_goes_to_login(
    client_for, contact_teacher, register_url, time_machine
):
    client = client_for(contact_teacher)
    assert client.get(register_url, headers=HTMX).status_code == 200
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE + 60)
    response = client.post(
        register_url,
        {"dato": "2026-11-18"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{register_url}"},
    )
    assert response["HX-Redirect"] == login_url_for(register_url)


# -- Sliding and the cap ---------------------------------------------------------------


def test_session_without_activity_ends_after_the_idle_age(
    client_for, contact_teacher, time_machine
):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE + 60)
    assert not is_signed_in(client)


def test_activity_slides_the_session_past_the_first_idle_age(
    client_for, contact_teacher, time_machine
):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE - 600)
    assert is_signed_in(client)  # activity
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE - 600)
    # Almost two idle ages after the sign-in, but less than one since the activity.
    assert is_signed_in(client)


def test_session_is_written_at_most_once_per_interval(client_for, contact_teacher, time_machine):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    key = client.session.session_key

    def stored_expiry():
        return Session.objects.get(session_key=key).expire_date

    first = stored_expiry()
    later(time_machine, seconds=settings.SESSION_ACTIVITY_INTERVAL // 2)
    assert is_signed_in(client)
    assert stored_expiry() == first
    later(time_machine, seconds=settings.SESSION_ACTIVITY_INTERVAL)
    assert is_signed_in(client)
    assert stored_expiry() > first


def test_session_ends_at_its_cap_however_active(client, contact_teacher, time_machine):
    assert (
        client.post(
            reverse("login"), {"username": contact_teacher.username, "password": "pw-Test-123!"}
        ).status_code
        == 302
    )
    step = settings.SESSION_COOKIE_AGE - 600
    elapsed = 0
    while elapsed + step < settings.SESSION_MAX_LIFETIME:
        later(time_machine, seconds=step)
        elapsed += step
        assert is_signed_in(client)
    later(time_machine, seconds=settings.SESSION_MAX_LIFETIME - elapsed + 60)
    assert not is_signed_in(client)


def test_session_at_its_cap_answers_htmx_with_the_login_page(
    client_for, contact_teacher, register_url, time_machine
):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    step = settings.SESSION_COOKIE_AGE - 600
    for _ in range(settings.SESSION_MAX_LIFETIME // step):
        later(time_machine, seconds=step)
        client.post(reverse("session_extend"))
    later(time_machine, seconds=step)
    response = client.get(register_url, headers=HTMX)
    assert response["HX-Redirect"] == login_url_for(register_url)


# -- What the page is told -------------------------------------------------------------


def test_page_says_how_long_the_session_has_left(client_for, contact_teacher, time_machine):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    later(time_machine, minutes=2)
    html = client.get(reverse("home")).content.decode()
    seconds = int(re.search(r'data-session-seconds="(\d+)"', html).group(1))
    # Slid by this request, as the interval has not passed: two minutes less.
    assert settings.SESSION_COOKIE_AGE - 130 <= seconds <= settings.SESSION_COOKIE_AGE - 110
    assert f'data-session-warning="{settings.SESSION_WARNING_SECONDS}"' in html
    assert 'id="session-warning"' in html and 'role="alertdialog"' in html
    assert "Forleng økten" in html


def test_login_page_has_no_session_warning(client):
    html = client.get(reverse("login")).content.decode()
    assert "data-session-seconds" not in html and 'id="session-warning"' not in html


def test_htmx_answer_says_how_long_the_session_has_left(client_for, contact_teacher, register_url):
    client = client_for(contact_teacher)
    response = client.get(register_url, headers=HTMX)
    assert response.status_code == 200
    left = int(response[HEADER])
    assert settings.SESSION_COOKIE_AGE - 10 <= left <= settings.SESSION_COOKIE_AGE


def test_plain_answer_has_no_session_header(client_for, contact_teacher, register_url):
    response = client_for(contact_teacher).get(register_url)
    assert HEADER not in response


# -- The keep-alive --------------------------------------------------------------------


def test_extend_gives_a_full_idle_age_from_now(client_for, contact_teacher, time_machine):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE - 120)
    response = client.post(reverse("session_extend"))
    assert response.status_code == 200
    assert response.json()["seconds_left"] >= settings.SESSION_COOKIE_AGE - 5
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE - 120)
    assert is_signed_in(client)


def test_extend_within_the_interval_still_moves_the_stored_expiry(
    client_for, contact_teacher, time_machine
):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    later(time_machine, seconds=60)
    client.post(reverse("session_extend"))
    assert Session.objects.get(session_key=key).expire_date > first


def test_extend_answers_htmx_with_the_header(client_for, contact_teacher):
    response = client_for(contact_teacher).post(reverse("session_extend"), headers=HTMX)
    assert int(response[HEADER]) == response.json()["seconds_left"]


def test_extend_never_passes_the_cap(client_for, contact_teacher, time_machine):
    client = client_for(contact_teacher)
    assert is_signed_in(client)
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE - 600)
    client.post(reverse("session_extend"))
    later(time_machine, seconds=settings.SESSION_COOKIE_AGE - 600)
    client.post(reverse("session_extend"))
    later(
        time_machine,
        seconds=settings.SESSION_MAX_LIFETIME - 2 * (settings.SESSION_COOKIE_AGE - 600) - 300,
    )
    left = client.post(reverse("session_extend")).json()["seconds_left"]
    assert 0 < left <= 300


def test_extend_needs_login(client):
    response = client.post(reverse("session_extend"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_extend_needs_login_htmx_gets_hx_redirect(client):
    response = client.post(
        reverse("session_extend"),
        headers={**HTMX, "HX-Current-URL": "http://testserver/klasser/1/fravaer/"},
    )
    assert response["HX-Redirect"] == login_url_for("/klasser/1/fravaer/")


def test_extend_needs_csrf(contact_teacher):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contact_teacher)
    assert client.post(reverse("session_extend")).status_code == 403


def test_extend_is_post_only(client_for, contact_teacher):
    assert client_for(contact_teacher).get(reverse("session_extend")).status_code == 405
