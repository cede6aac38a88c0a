"""The contact teacher's week on a phone, and the header's menu by keyboard (issue
#15, §2): the week fits a phone screen or two with no serious axe finding; the menu
(language, settings, password, log out) opens and closes by keyboard, logs out with a
POST, and leaves the header one line high on a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_clean_console,
    axe_check,
    login,
    open_user_menu,
    school_day_before,
    screenshot,
)
from tests.conftest import make_pupil
from tests.factories import absence, make_flag

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def test_the_week_on_a_phone(page, live_server, contact_teacher, group, pupil):
    day = school_day_before(timezone.localdate())
    for i in range(6):
        # Fixed names: the suite's numbered last names grow longer test by test.
        other = make_pupil(group, first=f"Elev{i}", last="Berg")
        absence(other, day, contact_teacher, documented=i % 2 == 0)
        make_flag(other, "month_days")
    absence(pupil, day, contact_teacher, kind="late", minutes_late=10)
    page.set_viewport_size(PHONE)
    login(page, live_server, contact_teacher)
    page.get_by_role("link", name="Uka mi: fravær, varsler og frister denne uka").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Uke")
    expect(page.get_by_role("table", name="Fravær denne uka")).to_be_visible()
    expect(page.get_by_role("heading", name="Nye varsler")).to_be_visible()
    # No sideways scrolling, and two phone screens at most (in the page's own font:
    # a fallback font wraps more).
    page.evaluate("document.fonts.ready.then(() => true)")
    width = page.evaluate("document.documentElement.scrollWidth")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert width <= PHONE["width"], width
    assert height <= 2 * PHONE["height"], height
    screenshot(page, "week-phone")
    axe_check(page, label="week on a phone")
    # Another week through the form, without JavaScript's help.
    previous = timezone.localdate() - dt.timedelta(days=7)
    year, week, _ = previous.isocalendar()
    page.get_by_role("link", name=f"Uke {week} (forrige)").click()
    expect(page).to_have_url(f"{live_server.url}/uke/?uke={year}-W{week:02d}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Uke {week}")
    assert_clean_console(page)


def test_the_header_menu_by_keyboard(page, live_server, contact_teacher):
    page.set_viewport_size(PHONE)
    login(page, live_server, contact_teacher)
    header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    assert header < 80, header  # 166 px before the menu
    screenshot(page, "header-menu-closed-phone")
    logout = page.get_by_role("button", name="Logg ut")
    expect(logout).to_be_hidden()
    # Tab to the menu from the skip link and the navigation, open it with Enter.
    summary = page.locator(".user-menu > summary")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('user-menu__summary')"):
            break
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(logout).to_be_visible()
    expect(page.get_by_label("Språk")).to_be_visible()
    expect(page.get_by_role("link", name="Innstillinger")).to_be_visible()
    screenshot(page, "header-menu-open-phone")
    axe_check(page, label="header menu open")
    # Escape closes it and gives focus back to the summary.
    page.keyboard.press("Escape")
    expect(logout).to_be_hidden()
    expect(summary).to_be_focused()
    # Log out: a POST form with its token, by keyboard.
    open_user_menu(page)
    logout.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/logg-inn/")
    expect(page.get_by_role("heading", name="Logg inn", level=1)).to_be_visible()
    assert_clean_console(page)


def test_the_language_choice_in_the_menu(page, live_server, contact_teacher):
    login(page, live_server, contact_teacher)
    open_user_menu(page)
    page.get_by_label("Språk").select_option("en")
    page.get_by_role("button", name="Bytt språk").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_clean_console(page)
