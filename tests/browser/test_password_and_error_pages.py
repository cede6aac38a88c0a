"""The password pages, the login lock and the CSRF refusal in a browser: styled by our
stylesheet under the strict CSP, no serious axe finding."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_clean_console,
    assert_styled,
    axe_check,
    login,
    open_user_menu,
)

pytestmark = pytest.mark.browser


def test_password_change_page_has_no_serious_axe_findings(page, live_server, contact_teacher):
    login(page, live_server, contact_teacher)
    open_user_menu(page)
    page.get_by_role("link", name="Bytt passord").click()
    expect(page.get_by_role("heading", name="Bytt passord", level=1)).to_be_visible()
    page.get_by_label("Gammelt passord").fill("feil")
    page.get_by_role("button", name="Bytt passord").click()
    expect(page.get_by_role("alert")).to_contain_text("Dette må rettes")
    assert_styled(page)
    axe_check(page, label="password-change-error")
    assert_clean_console(page)


def test_password_reset_page_has_no_serious_axe_findings(page, live_server):
    page.goto("/logg-inn/")
    page.get_by_role("link", name="Glemt passordet?").click()
    expect(page.get_by_role("heading", name="Glemt passordet", level=1)).to_be_visible()
    assert_styled(page)
    axe_check(page, label="password-reset")
    page.get_by_label("E-post").fill("ingen@nordby.no")
    page.get_by_role("button", name="Send lenke").click()
    expect(page.get_by_role("heading", name="Sjekk e-posten din", level=1)).to_be_visible()
    axe_check(page, label="password-reset-done")
    assert_clean_console(page)


def test_login_lock_page_has_no_serious_axe_findings(page, live_server, contact_teacher):
    page.goto("/logg-inn/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("Brukernavn (e-post)").fill(contact_teacher.username)
        page.get_by_label("Passord", exact=True).fill("feil passord")
        page.get_by_role("button", name="Logg inn", exact=True).click()
    heading = page.get_by_role("heading", name="Innloggingen er sperret en stund", level=1)
    expect(heading).to_be_visible()
    assert_styled(page)
    axe_check(page, label="login-locked")
    assert_clean_console(page)


def test_csrf_refusal_page_is_styled_under_the_csp(page, live_server):
    page.goto("/logg-inn/")
    page.context.clear_cookies()  # the CSRF cookie is gone: the form is refused
    page.get_by_label("Brukernavn (e-post)").fill("kontakt@nordby.no")
    page.get_by_label("Passord", exact=True).fill("x")
    page.get_by_role("button", name="Logg inn", exact=True).click()
    expect(page.get_by_role("heading", name="Skjemaet ble ikke sendt", level=1)).to_be_visible()
    accent = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert accent not in ("", "rgba(0, 0, 0, 0)"), accent
    axe_check(page, label="csrf-refused")
    assert_clean_console(page)
