"""The red/yellow/green timetable by keyboard: rate a lesson, name its subject and who
and what makes it so, save with Enter; a subject without a rating is refused at its
field with focus on the message; both pages pass axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plans.models import TimetableSurvey
from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot
from tests.cases.conftest import make_case

pytestmark = pytest.mark.browser


def test_timetable_by_keyboard(page, live_server, pupil, contact_teacher):
    case = make_case(pupil, by=contact_teacher)
    login(page, live_server, contact_teacher)
    page.goto(f"{live_server.url}/saker/{case.uuid}/timeplan/ny/")
    axe_check(page, label="timetable form")

    # A subject without a rating: refused at its field, the summary takes focus.
    page.get_by_label("Tirsdag, 2. time: Fag").focus()
    page.keyboard.type("Naturfag")
    page.keyboard.press("Enter")
    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Tirsdag 2. time: velg grønt, gult eller rødt")
    expect(page.get_by_label("Tirsdag, 2. time: Fag")).to_have_value("Naturfag")
    axe_check(page, label="timetable form with errors")

    rating = page.get_by_label("Tirsdag, 2. time: Vurdering")
    rating.focus()
    for _ in range(3):  # not filled in → green → yellow → red
        page.keyboard.press("ArrowDown")
    expect(rating).to_have_value("red")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Tirsdag, 2. time: Fag")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("Vikar hver uke")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Timeplan (rødt/gult/grønt)", level=1)).to_be_visible()
    cell = page.locator("td.rating--red")
    expect(cell).to_contain_text("Rødt – vanskelig")
    expect(cell).to_contain_text("Naturfag")
    expect(cell).to_contain_text("Vikar hver uke")
    survey = TimetableSurvey.objects.get(case=case)
    assert [(r.weekday, r.lesson, r.rating) for r in survey.ratings.all()] == [(1, 2, "red")]
    axe_check(page, label="timetable page")
    screenshot(page, "timetable-page")
    assert_clean_console(page)
