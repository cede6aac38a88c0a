"""A page that comes back with a form's errors says "Feil: " first in its title, so a
screen reader announces the failure before anything else (WCAG 3.3.1)."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.conftest import make_pupil


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)[1].strip()


def test_pupil_page_with_a_refused_record_says_feil_in_its_title(
    client_for, contact_teacher, pupil
):
    client = client_for(contact_teacher)
    assert not title(client.get(reverse("pupil", args=[pupil.uuid]))).startswith("Feil")
    response = client.post(reverse("pupil_add_record", args=[pupil.uuid]), {"kind": "lesson"})
    assert response.status_code == 200
    assert title(response) == f"Feil: {pupil.full_name} – Fravær"


def test_register_returned_with_errors_says_feil_in_its_title(client_for, contact_teacher, group):
    pupil = make_pupil(group, first="Anna", last="Berg")
    client = client_for(contact_teacher)
    url = reverse("register", args=[group.pk]) + "?dato=2026-11-17"
    page = client.get(url)
    assert not title(page).startswith("Feil")
    data = {"dato": "2026-11-17", "p0-pupil": str(pupil.uuid), "p0-status": "lesson"}
    response = client.post(url, data)
    assert response.context["has_errors"]
    assert title(response) == "Feil: Fravær 5A 17.11.2026 – Fravær"


def test_login_with_a_wrong_password_says_feil_in_its_title(client, contact_teacher):
    response = client.post(
        reverse("login"), {"username": contact_teacher.username, "password": "wrong"}
    )
    assert title(response) == "Feil: Logg inn – Fravær"
