"""The start page's "Vis alle" in a browser (issue #15, §2): the pupils shown a line
each get their cards in place, and focus moves to the first of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fravaer import queries
from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot
from tests.conftest import make_pupil
from tests.factories import make_flag

pytestmark = pytest.mark.browser


def test_show_all_brings_the_rest_of_the_cards_and_moves_focus(
    page, live_server, contact_teacher, group
):
    for i in range(10):
        pupil = make_pupil(group, first=f"Elev{i}")
        for rule in ("month_days", "month_hours", "month_late"):
            make_flag(pupil, rule)
    page.set_viewport_size({"width": 375, "height": 812})
    login(page, live_server, contact_teacher)
    cards = page.locator("li.flagged-pupil")
    whole = queries.HOME_FLAGS // 3
    expect(cards).to_have_count(whole)
    expect(
        page.get_by_role("heading", name=f"{10 - whole} elever til med aktive varsler")
    ).to_be_visible()
    page.get_by_role("link", name="Vis alle (10)").click()
    expect(cards).to_have_count(10)
    expect(page.get_by_role("link", name="Vis alle (10)")).to_have_count(0)
    focused = page.evaluate(
        "document.activeElement.tagName + ' ' + document.activeElement.textContent"
    )
    assert focused.startswith("H3 ") and "Elev" in focused, focused
    screenshot(page, "home-show-all-phone")
    axe_check(page, label="start page after Vis alle")
    assert_clean_console(page)
