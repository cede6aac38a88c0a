"""Helpers for driving pages with Django's test client that many test modules share."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import TODAY


def html_of(response) -> str:
    return response.content.decode()


def query_count(client, url: str) -> int:
    client.get(url)  # warm the cache and the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def flag_updates(captured: CaptureQueriesContext) -> list[str]:
    """The UPDATE statements on the flags among the captured ones."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("UPDATE") and "fravaer_flag" in q["sql"].split("SET")[0]
    ]


def past_flags_html(client, pupil) -> str:
    html = client.get(reverse("pupil", args=[pupil.uuid])).content.decode()
    start = html.index("Tidligere varsler")
    return html[start : html.index("</table>", start)]


def register_url(group, day=dt.date(2026, 11, 17)):
    """The class register on `day`: by default Tuesday 17.11.2026, the school day before
    the suite's frozen today."""
    return reverse("register", args=[group.pk]) + f"?dato={day.isoformat()}"


def post_data(response, changes: dict[str, dict] | None = None) -> dict:
    """The register form as the page rendered it, with some rows changed (by first name)."""
    data = {"dato": response.context["day"].isoformat()}
    for row, form in response.context["rows"]:
        p = form.prefix
        initial = {**form.initial}
        initial.update((changes or {}).get(row.pupil.first_name, {}))
        data[f"{p}-pupil"] = str(row.pupil.uuid)
        data[f"{p}-record"] = initial.get("record") or ""
        for field in ("status", "lessons", "subject", "minutes_late", "reason", "note"):
            value = initial.get(field)
            data[f"{p}-{field}"] = "" if value is None else str(value)
        if initial.get("documented"):
            data[f"{p}-documented"] = "on"
    return data


def consent_url(case, rest="samtykke/ny/"):
    return f"/saker/{case.uuid}/{rest}"


def consent_form_data(case, **extra):
    return {
        "service": "ppt",
        "purpose": "Pedagogisk analyse",
        "scope": "",
        "guardians": [g.pk for g in case.pupil.guardians.all()],
        "given_on": TODAY.isoformat(),
        **extra,
    }


def upload(client, data: bytes, kind: str, municipality, **extra):
    payload = {
        "action": "validate",
        "kind": kind,
        "municipality": municipality.pk,
        "school_year": "2026-08-01",
        "file": SimpleUploadedFile("fil.csv", data, content_type="text/csv"),
        **extra,
    }
    return client.post(reverse("imports"), payload)


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


def rules_url(municipality) -> str:
    return reverse("municipality_rules", args=[municipality.pk])


def settings_post(**overrides) -> dict:
    """The form as shown with the defaults, with some fields changed."""
    from fravaer.forms.flags import RULE_HELP
    from fravaer.thresholds import RULES

    data = {}
    for code, rule in RULES.items():
        data[f"{code}_enabled"] = "on"
        if RULE_HELP[code][1] is not None:
            data[f"{code}_threshold"] = str(rule.default)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def meeting_form(**extra) -> dict:
    """The new-meeting form filled in: a nivå 1 meeting on 24.11.2026 at 08:30."""
    return {
        "kind": "level1",
        "date": "24.11.2026",
        "time": "08:30",
        "duration_minutes": "45",
        "place": "Rektors kontor",
        **extra,
    }
