"""WCAG 2.2.1 in a real browser: the page warns before the session ends and "Forleng
økten" extends it; a save on an ended session goes to the login page, and what was
typed in the register is back after the new login."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from playwright.sync_api import expect

from fravaer.actions import AbsenceInput, record_absence
from fravaer.models import AbsenceReason, AbsenceRecord
from fravaer.schooldays import SchoolCalendar
from tests.browser.conftest import (
    DESKTOP,
    PASSWORD,
    PHONE,
    assert_clean_console,
    axe_check,
    login,
    screenshot,
    wait_until,
)
from tests.conftest import make_pupil

pytestmark = pytest.mark.browser

RESTORED = "Det du skrev før du ble logget ut, er fylt inn igjen. Kontroller og lagre."
LEFT_OUT = "Noe av det du skrev, ble ikke fylt inn igjen, fordi det er endret av andre"


@pytest.fixture
def pupils(group):
    return {
        "ada": make_pupil(group, first="Ada", last="Berg"),
        "jonas": make_pupil(group, first="Jonas", last="Dahl"),
        "ola": make_pupil(group, first="Ola", last="Nordmann"),
    }


def session_key(page) -> str:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies[settings.SESSION_COOKIE_NAME]


def end_session_on_the_server(page) -> None:
    """As when it has run out: the store forgets it (cache and database)."""
    SessionStore(session_key=session_key(page)).delete()


def log_in_again(page, user) -> None:
    page.get_by_label("Brukernavn (e-post)").fill(user.username)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn", exact=True).click()


def kept_copies(page) -> int:
    """How many copies of typed forms the tab's sessionStorage holds."""
    return page.evaluate(
        "Object.keys(sessionStorage).filter(k => k.startsWith('fravaer:typed:')).length"
    )


def open_register(page, live_server, user, group, day) -> str:
    login(page, live_server, user)
    path = f"/klasser/{group.pk}/fravaer/?dato={day.isoformat()}"
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="Fravær – 5A", level=1)).to_be_visible()
    return path


def type_three_rows(page, pupils):
    ola, ada, jonas = pupils["ola"], pupils["ada"], pupils["jonas"]
    page.get_by_role("group", name=f"Fravær for {ola.full_name}").get_by_label("Hele dagen").check()
    page.get_by_role("group", name=f"Fravær for {ada.full_name}").get_by_label("Timer").check()
    page.get_by_label(f"Antall timer for {ada.full_name}").fill("2")
    page.get_by_label(f"Merknad for {ada.full_name}").fill("Tannlege")
    page.get_by_role("group", name=f"Fravær for {jonas.full_name}").get_by_label("For sent").check()
    page.get_by_label(f"Minutter for sent for {jonas.full_name}").fill("10")


def test_register_typed_before_the_session_ended_is_back_after_the_new_login(
    page, live_server, contact_teacher, group, pupils, school_day
):
    ola, ada, jonas = pupils["ola"], pupils["ada"], pupils["jonas"]
    path = open_register(page, live_server, contact_teacher, group, school_day)
    type_three_rows(page, pupils)
    end_session_on_the_server(page)

    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()

    # The whole page goes to the login page (not the login page inside the register),
    # and it will come back to the register.
    expect(page).to_have_url(re.compile(r"/logg-inn/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.get_by_role("heading", name="Logg inn", level=1)).to_be_visible()
    expect(page.locator(".user-menu form[action='/logg-ut/']")).to_have_count(0)
    assert not AbsenceRecord.objects.exists()

    log_in_again(page, contact_teacher)

    expect(page).to_have_url(f"{live_server.url}{path}")
    notice = page.get_by_role("status").filter(has_text=RESTORED)
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    expect(
        page.get_by_role("group", name=f"Fravær for {ola.full_name}").get_by_label("Hele dagen")
    ).to_be_checked()
    expect(
        page.get_by_role("group", name=f"Fravær for {ada.full_name}").get_by_label("Timer")
    ).to_be_checked()
    expect(page.get_by_label(f"Antall timer for {ada.full_name}")).to_have_value("2")
    expect(page.get_by_label(f"Merknad for {ada.full_name}")).to_have_value("Tannlege")
    expect(
        page.get_by_role("group", name=f"Fravær for {jonas.full_name}").get_by_label("For sent")
    ).to_be_checked()
    expect(page.get_by_label(f"Minutter for sent for {jonas.full_name}")).to_have_value("10")
    screenshot(page, "session-register-restored")
    # The copy is gone from the tab once it is filled in; nothing was saved yet.
    assert kept_copies(page) == 0
    assert not AbsenceRecord.objects.exists()

    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()
    expect(page.locator("#register-body .messages .ds-alert")).to_have_text(
        f"Lagret for {school_day:%d.%m.%Y}: 3 nye, 0 endret, 0 fjernet."
    )
    saved = {r.pupil_id: r for r in AbsenceRecord.objects.current()}
    assert (saved[ola.pk].kind, saved[ada.pk].lessons, saved[jonas.pk].minutes_late) == (
        "day",
        2,
        10,
    )
    assert saved[ada.pk].note == "Tannlege"

    page.reload()
    expect(page.get_by_text(RESTORED)).to_have_count(0)
    assert_clean_console(page)


def test_typed_register_is_not_filled_in_for_another_user(
    page, live_server, contact_teacher, subject_teacher, group, pupils, school_day
):
    open_register(page, live_server, contact_teacher, group, school_day)
    type_three_rows(page, pupils)
    end_session_on_the_server(page)
    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()
    expect(page).to_have_url(re.compile(r"/logg-inn/\?next="))

    log_in_again(page, subject_teacher)
    expect(page.get_by_role("heading", name="Fravær – 5A", level=1)).to_be_visible()
    expect(page.get_by_text(RESTORED)).to_have_count(0)
    assert kept_copies(page) == 0


def test_warning_comes_before_the_end_and_forleng_extends_the_session(
    page, live_server, contact_teacher, group, pupils, school_day
):
    page.clock.install()
    open_register(page, live_server, contact_teacher, group, school_day)
    dialog = page.get_by_role("alertdialog", name="Du blir snart logget ut")
    expect(dialog).to_be_hidden()
    store = SessionStore(session_key=session_key(page))
    extended_before = store["_fravaer_session_active"]

    # The page's clock moves to a little after the warning is due.
    page.clock.fast_forward(
        (settings.SESSION_COOKIE_AGE - settings.SESSION_WARNING_SECONDS + 30) * 1000
    )
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(re.compile(r"logget ut kl\. \d\d:\d\d hvis du ikke forlenger"))
    forleng = dialog.get_by_role("button", name="Forleng økten")
    expect(forleng).to_be_focused()
    # Designsystemet fades the dialog in: take the picture once it is opaque.
    wait_until(page, "document.getAnimations().length === 0")
    screenshot(page, "session-warning")
    axe_check(page, label="session warning")
    page.set_viewport_size(PHONE)
    screenshot(page, "session-warning-phone")
    page.set_viewport_size(DESKTOP)

    # Keyboard: Enter on the focused button.
    with page.expect_response(lambda r: "/okt/forleng/" in r.url) as answered:
        page.keyboard.press("Enter")
    assert answered.value.status == 200
    expect(dialog).to_be_hidden()
    assert SessionStore(session_key=session_key(page))["_fravaer_session_active"] > (
        extended_before
    )
    # A full idle age from now: no warning again soon.
    page.clock.fast_forward(settings.SESSION_WARNING_SECONDS * 1000)
    expect(dialog).to_be_hidden()
    assert_clean_console(page)


def test_page_left_until_the_end_goes_to_login_and_keeps_the_register(
    page, live_server, contact_teacher, group, pupils, school_day
):
    page.clock.install()
    path = open_register(page, live_server, contact_teacher, group, school_day)
    type_three_rows(page, pupils)
    end_session_on_the_server(page)
    # Nobody at the page when the time is up (or the laptop asleep until after it):
    # the page goes to the login page itself, keeping what was typed.
    page.clock.fast_forward((settings.SESSION_COOKIE_AGE + 60) * 1000)
    expect(page).to_have_url(re.compile(r"/logg-inn/\?next="))

    log_in_again(page, contact_teacher)
    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.get_by_role("status").filter(has_text=RESTORED)).to_be_focused()
    expect(page.get_by_label(f"Minutter for sent for {pupils['jonas'].full_name}")).to_have_value(
        "10"
    )


def test_someone_typing_is_extended_without_the_warning(
    page, live_server, contact_teacher, group, pupils, school_day
):
    page.clock.install()
    open_register(page, live_server, contact_teacher, group, school_day)
    dialog = page.get_by_role("alertdialog", name="Du blir snart logget ut")
    page.clock.fast_forward(
        (settings.SESSION_COOKIE_AGE - settings.SESSION_WARNING_SECONDS - 60) * 1000
    )
    # Typing in the register sends nothing to the server.
    ada = pupils["ada"].full_name
    page.get_by_role("group", name=f"Fravær for {ada}").get_by_label("Hele dagen").check()
    page.get_by_label(f"Merknad for {ada}").fill("Tannlege")
    with page.expect_response(lambda r: "/okt/forleng/" in r.url) as answered:
        page.clock.fast_forward(90 * 1000)
    assert answered.value.status == 200
    expect(dialog).to_be_hidden()
    page.clock.fast_forward(settings.SESSION_WARNING_SECONDS * 1000)
    expect(dialog).to_be_hidden()
    assert_clean_console(page)


def test_forleng_in_one_tab_closes_the_warning_in_another(
    page, live_server, contact_teacher, group, pupils, school_day
):
    page.clock.install()
    open_register(page, live_server, contact_teacher, group, school_day)
    other = page.context.new_page()
    other.goto(f"{live_server.url}/")
    page.clock.fast_forward(
        (settings.SESSION_COOKIE_AGE - settings.SESSION_WARNING_SECONDS + 30) * 1000
    )
    name = "Du blir snart logget ut"
    expect(page.get_by_role("alertdialog", name=name)).to_be_visible()
    expect(other.get_by_role("alertdialog", name=name)).to_be_visible()

    other.get_by_role("button", name="Forleng økten").click()
    expect(other.get_by_role("alertdialog", name=name)).to_be_hidden()
    expect(page.get_by_role("alertdialog", name=name)).to_be_hidden()


def test_a_row_someone_else_saved_meanwhile_is_not_filled_in(
    page, live_server, contact_teacher, subject_teacher, group, pupils, school_day
):
    ola, ada = pupils["ola"], pupils["ada"]
    path = open_register(page, live_server, contact_teacher, group, school_day)
    type_three_rows(page, pupils)
    end_session_on_the_server(page)
    # Meanwhile a subject teacher registers Ola late: his row is no longer the row the
    # contact teacher typed in.
    record_absence(
        ola,
        day=school_day,
        by=subject_teacher,
        calendar=SchoolCalendar.from_days([]),
        lessons_per_day=group.lessons_per_day,
        data=AbsenceInput(
            kind="late",
            minutes_late=5,
            documented=False,
            reason=AbsenceReason.objects.get(
                municipality=group.school.municipality, code="unknown"
            ),
        ),
    )
    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()
    expect(page).to_have_url(re.compile(r"/logg-inn/\?next="))
    log_in_again(page, contact_teacher)

    expect(page).to_have_url(f"{live_server.url}{path}")
    notice = page.get_by_role("status").filter(has_text=RESTORED)
    expect(notice).to_contain_text(LEFT_OUT)
    ola_row = page.get_by_role("group", name=f"Fravær for {ola.full_name}")
    expect(ola_row.get_by_label("For sent")).to_be_checked()
    expect(page.get_by_label(f"Minutter for sent for {ola.full_name}")).to_have_value("5")
    expect(page.get_by_label(f"Antall timer for {ada.full_name}")).to_have_value("2")


def test_warning_at_the_cap_says_the_session_cannot_be_extended(
    page, live_server, contact_teacher, group, pupils, settings
):
    # A cap shorter than the warning: the warning is there at once.
    settings.SESSION_MAX_LIFETIME = settings.SESSION_WARNING_SECONDS - 60
    page.goto(f"{live_server.url}/logg-inn/?next=/klasser/{group.pk}/fravaer/")
    log_in_again(page, contact_teacher)
    dialog = page.get_by_role("alertdialog", name="Du blir snart logget ut")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Forleng økten").click()

    expect(dialog).to_contain_text("Økten kan ikke forlenges mer.")
    expect(dialog.get_by_role("button", name="Forleng økten")).to_have_count(0)
    close = dialog.get_by_role("button", name="Lukk")
    expect(close).to_be_focused()
    axe_check(page, label="session warning at the cap")
    close.click()
    expect(dialog).to_be_hidden()
    assert_clean_console(page)
