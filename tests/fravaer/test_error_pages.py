"""The error pages Django renders itself (DEBUG off, as in the tests): ours, in
Norwegian, styled by our stylesheet, under the strict CSP (no inline style)."""

from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.views.defaults import permission_denied


def _ours(html: str) -> None:
    assert 'lang="nb"' in html
    assert "/static/css/app.css" in html
    assert "<style" not in html and " style=" not in html and "<script" not in html


def test_csrf_refusal_is_our_norwegian_page(db, settings):
    assert not settings.DEBUG
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a@b.no", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    _ours(html)
    assert "Skjemaet ble ikke sendt" in html and "CSRF verification failed" not in html
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_csrf_refusal_for_a_logged_in_user_is_our_page(client_for, contact_teacher):
    client = client_for(contact_teacher)
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    _ours(response.content.decode())


def test_unknown_host_is_our_norwegian_page(db, settings):
    assert not settings.DEBUG
    response = Client().get(reverse("login"), headers={"host": "fravaer.example.com"})
    assert response.status_code == 400
    html = response.content.decode()
    _ours(html)
    assert "Forespørselen kunne ikke behandles" in html and "Bad Request" not in html


def test_permission_denied_is_our_norwegian_page(rf):
    response = permission_denied(rf.get("/"), PermissionDenied())
    assert response.status_code == 403
    html = response.content.decode()
    _ours(html)
    assert "Ingen tilgang" in html
