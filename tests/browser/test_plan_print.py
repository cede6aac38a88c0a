"""Printing the pages under a case (static/css/print.css): the plan's comparison and
the timetable printed without saying whose they were (the pupil's name was only in the
hidden breadcrumbs). Under a case the crumbs now print as "Sak: <name>" alone; the
case page, which names the pupil in its heading, still prints without them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.actions.core import open_case
from tests.browser.conftest import login
from tests.factories import at_level, chart_version

pytestmark = pytest.mark.browser


@pytest.fixture
def case_with_two_versions(pupil, group, contact_teacher):
    case = open_case(
        pupil, school=group.school, concern="Mye fravær på mandager.", by=contact_teacher
    )
    case = at_level(case, "1", by=contact_teacher)
    today = timezone.localdate()
    chart_version(
        case, contact_teacher, agreed_on=today - dt.timedelta(days=14), status="superseded"
    )
    chart_version(case, contact_teacher, agreed_on=today, number=2)
    return case


def test_a_printed_comparison_names_the_pupil_and_the_case_page_prints_no_crumbs(
    page, live_server, case_with_two_versions, contact_teacher, pupil
):
    case = case_with_two_versions
    login(page, live_server, contact_teacher)
    page.goto(f"{live_server.url}/saker/{case.uuid}/plan/sammenlign/")
    page.emulate_media(media="print")
    crumbs = page.locator(".ds-breadcrumbs")
    expect(crumbs).to_be_visible()
    # What is rendered (innerText leaves out what the print stylesheet hides).
    assert crumbs.inner_text().strip() == f"Sak: {pupil.full_name}"
    expect(page.locator(".site-header")).to_be_hidden()

    page.goto(f"{live_server.url}/saker/{case.uuid}/")
    page.emulate_media(media="print")
    expect(page.locator(".ds-breadcrumbs")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text(pupil.full_name)
