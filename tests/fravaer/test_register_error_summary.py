"""The register's error summary says whose row and what is wrong, and links to the field
to fix (static/js/app.js then puts focus in it)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_pupil
from tests.pages import post_data, register_url


@pytest.fixture
def three_pupils(group):
    return [make_pupil(group, first=name, last="Berg") for name in ("Anna", "Brage", "Cecilie")]


def summary_links(response) -> list[tuple[str, str]]:
    """(href, text) of each link in the error summary."""
    html = response.content.decode()
    summary = re.search(r'<div class="ds-error-summary".*?</ul>', html, re.S)
    assert summary, "no error summary"
    return [
        (href, " ".join(text.split()))
        for href, text in re.findall(r'<a class="ds-link" href="([^"]+)">(.*?)</a>', summary[0])
    ]


def prefix_of(response, first_name: str) -> str:
    return next(
        f.prefix for row, f in response.context["rows"] if row.pupil.first_name == first_name
    )


def test_summary_names_the_pupil_and_the_problem_and_links_to_the_field(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    page = client.get(register_url(group))
    brage, cecilie = prefix_of(page, "Brage"), prefix_of(page, "Cecilie")
    data = post_data(
        page,
        {
            "Brage": {"status": "lesson"},  # no count
            "Cecilie": {"status": "day", "documented": True, "reason": "unknown"},
        },
    )
    response = client.post(register_url(group), data)
    assert summary_links(response) == [
        (f"#id_{brage}-lessons", "Brage Berg: Oppgi antall timer."),
        (f"#id_{cecilie}-reason", "Cecilie Berg: Dokumentert fravær kan ikke ha ukjent årsak."),
    ]


def test_summary_lists_every_problem_of_a_row(client_for, contact_teacher, group, three_pupils):
    client = client_for(contact_teacher)
    page = client.get(register_url(group))
    anna = prefix_of(page, "Anna")
    data = post_data(page, {"Anna": {"status": "lesson", "documented": True, "reason": "unknown"}})
    links = summary_links(client.post(register_url(group), data))
    assert links == [
        (f"#id_{anna}-lessons", "Anna Berg: Oppgi antall timer."),
        (f"#id_{anna}-reason", "Anna Berg: Dokumentert fravær kan ikke ha ukjent årsak."),
    ]


def test_a_choice_error_links_to_the_rows_fieldset(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    page = client.get(register_url(group))
    anna = prefix_of(page, "Anna")
    response = client.post(register_url(group), post_data(page, {"Anna": {"status": "nonsense"}}))
    [(href, text)] = summary_links(response)
    assert href == f"#id_{anna}-status"
    assert text.startswith("Anna Berg: ") and len(text) > len("Anna Berg: ")
    html = response.content.decode()
    assert f'<fieldset class="kind-choices" id="id_{anna}-status"' in html
    assert f'aria-describedby="id_{anna}-status-err"' in html


def test_a_conflict_links_to_the_row(client_for, contact_teacher, group, three_pupils):
    client = client_for(contact_teacher)
    stale = client.get(register_url(group))
    row = next(i for i, (r, _f) in enumerate(stale.context["rows"]) if r.pupil.first_name == "Anna")
    client.post(
        register_url(group), post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    )
    response = client.post(
        register_url(group), post_data(stale, {"Anna": {"status": "late", "minutes_late": 3}})
    )
    [(href, text)] = summary_links(response)
    assert href == f"#row-{row}"
    assert text.startswith("Anna Berg: Registreringen for denne eleven er endret av en annen")
