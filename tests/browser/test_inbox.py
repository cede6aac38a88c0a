"""The inbox in a browser: a scan's message lists its flags, its own page lists them
all, and marking it read updates the header (issue #3, §2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot, wait_until
from tests.conftest import make_pupil
from tests.factories import make_flag, notify

pytestmark = pytest.mark.browser


@pytest.fixture
def message(group, contact_teacher):
    pupils = [make_pupil(group, first=f"Elev{i}", last="Berg") for i in range(7)]
    return notify(contact_teacher, *[make_flag(p) for p in pupils])


def test_a_message_about_seven_flags(page, live_server, contact_teacher, message):
    login(page, live_server, contact_teacher)
    page.goto("/varsler/")
    expect(page.locator("#inbox-link")).to_contain_text("Varsler (1)")
    card = page.locator("#inbox-list li.ds-card").first
    expect(card).to_contain_text("7 nye varsler")
    expect(card.locator("ul li")).to_have_count(5)  # the first five
    expect(card).to_contain_text("4 dager i november 2026; grense: mer enn 3.")
    axe_check(page, label="inbox")
    screenshot(page, "inbox-message")

    page.get_by_role("link", name="Se alle 7 varsler").click()
    expect(page.get_by_role("heading", name="7 nye varsler", level=1)).to_be_visible()
    expect(page.locator("main li.ds-card")).to_have_count(7)
    axe_check(page, label="inbox-message-page")
    screenshot(page, "inbox-message-page")

    page.get_by_role("button", name="Merk som lest").click()
    expect(page).to_have_url(f"{live_server.url}/varsler/?side=1")
    expect(page.locator("#inbox-link")).to_have_text("Varsler")
    expect(page.locator("#inbox-list")).to_contain_text("Lest")
    assert_clean_console(page)


def test_marking_read_with_the_keyboard_keeps_focus_in_the_list(
    page, live_server, contact_teacher, message
):
    login(page, live_server, contact_teacher)
    page.goto("/varsler/")
    button = page.get_by_role("button", name="Merk som lest").first
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-link")).to_have_text("Varsler")
    expect(page.locator("#inbox-list")).to_contain_text("Varselet er merket som lest.")
    # Focus moves once htmx has settled the swap, a moment after the text is in: wait
    # for it (this fails after the timeout if focus never lands in the list).
    wait_until(page, "() => document.activeElement?.closest('#inbox-list') != null")
    assert_clean_console(page)
