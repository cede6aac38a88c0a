"""Helpers for driving pages with Django's test client that many test modules share."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def html_of(response) -> str:
    return response.content.decode()


def query_count(client, url: str) -> int:
    client.get(url)  # warm the cache and the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def ack_url(flag) -> str:
    return reverse("flag_acknowledge", args=[flag.pupil.uuid, flag.pk])


def post_contact(client, pupil, *, headers=None, **fields):
    """The contact log form posted for `pupil`: a clarified call with the guardians on
    18.11.2026 unless `fields` say otherwise (None leaves a field out)."""
    data = {
        "contacted_at": "2026-11-18T09:30",
        "channel": "phone",
        "counterpart": "guardian",
        "summary": "x",
        "outcome": "clarified",
        **fields,
    }
    return client.post(
        reverse("contact_log", args=[pupil.uuid]),
        {key: value for key, value in data.items() if value is not None},
        headers=headers,
    )
