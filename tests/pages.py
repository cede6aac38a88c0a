"""Helpers for driving pages with Django's test client that many test modules share."""

from __future__ import annotations

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
    from fravaer.forms_flags import RULE_HELP
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
