"""axe-core on every page (no serious or critical finding), keyboard basics, focus after
an htmx save, and no Content-Security-Policy violation anywhere (no inline script or
style)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fravaer.actions import AbsenceInput, log_contact, record_absence
from fravaer.models import AbsenceReason, AbsenceRecord, Group, Pupil
from fravaer.schooldays import SchoolCalendar
from tests.browser.conftest import (
    assert_clean_console,
    assert_focus_never_under_the_save_bar,
    assert_styled,
    axe_check,
    login,
    screenshot,
    weekend_day_before,
)
from tests.conftest import make_pupil

pytestmark = pytest.mark.browser


@dataclass
class Scene:
    group: Group
    pupil: Pupil
    record: AbsenceRecord
    day: dt.date


@pytest.fixture
def scene(group, pupil, contact_teacher, school_day) -> Scene:
    """5A with three pupils; Ola Nordmann has an undocumented day, a documented lesson
    absence last week and a logged phone call home."""
    make_pupil(group, first="Ada", last="Berg")
    make_pupil(group, first="Jonas", last="Dahl")
    reasons = {
        r.code: r for r in AbsenceReason.objects.filter(municipality=group.school.municipality)
    }
    calendar = SchoolCalendar.from_days([])
    record = record_absence(
        pupil,
        day=school_day,
        by=contact_teacher,
        calendar=calendar,
        lessons_per_day=group.lessons_per_day,
        data=AbsenceInput(kind="day", documented=False, reason=reasons["unknown"]),
    )
    earlier = school_day - dt.timedelta(days=7)
    if group.school_year.contains(earlier):
        record_absence(
            pupil,
            day=earlier,
            by=contact_teacher,
            calendar=calendar,
            lessons_per_day=group.lessons_per_day,
            data=AbsenceInput(
                kind="lesson",
                lessons=2,
                subject="Matematikk",
                documented=True,
                reason=reasons["illness"],
                note="Tannlege",
            ),
        )
    log_contact(
        pupil,
        by=contact_teacher,
        contacted_at=timezone.now() - dt.timedelta(hours=1),
        channel="phone",
        counterpart="guardian",
        guardian=pupil.guardians.first(),
        summary="Mor sier han er syk.",
        outcome="clarified",
    )
    return Scene(group=group, pupil=pupil, record=record, day=school_day)


def register_url(scene: Scene, day: dt.date) -> str:
    return f"/klasser/{scene.group.pk}/fravaer/?dato={day.isoformat()}"


# name → (persona fixture, path builder). Each page is checked as the persona who uses it.
PAGES = {
    "home-contact-teacher": ("contact_teacher", lambda s: "/"),
    "home-leader": ("leader", lambda s: "/"),
    "home-ppt-advisor": ("ppt_advisor", lambda s: "/"),
    "group-overview": ("contact_teacher", lambda s: f"/klasser/{s.group.pk}/"),
    "register-with-rows": ("contact_teacher", lambda s: register_url(s, s.day)),
    "register-non-school-day": (
        "contact_teacher",
        lambda s: register_url(s, weekend_day_before(timezone.localdate())),
    ),
    "pupil-page": ("contact_teacher", lambda s: f"/elever/{s.pupil.uuid}/"),
    "record-edit": (
        "contact_teacher",
        lambda s: f"/elever/{s.pupil.uuid}/fravaer/{s.record.pk}/endre/",
    ),
    "contact-log": ("contact_teacher", lambda s: f"/elever/{s.pupil.uuid}/kontakt/"),
    "imports-leader": ("leader", lambda s: "/import/"),
}


def test_login_page_has_no_serious_axe_findings(page, live_server):
    page.goto("/logg-inn/")
    expect(page.get_by_role("heading", name="Logg inn", level=1)).to_be_visible()
    assert_styled(page)
    axe_check(page, label="login")
    screenshot(page, "a11y-login")
    assert_clean_console(page)


def test_login_error_has_no_serious_axe_findings(page, live_server, contact_teacher):
    page.goto("/logg-inn/")
    page.get_by_label("Brukernavn (e-post)").fill(contact_teacher.username)
    page.get_by_label("Passord").fill("feil passord")
    page.get_by_role("button", name="Logg inn", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Feil brukernavn eller passord")
    expect(alert).to_be_focused()
    axe_check(page, label="login-error")
    assert_clean_console(page)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_axe_findings(request, page, live_server, scene, name):
    persona, path = PAGES[name]
    login(page, live_server, request.getfixturevalue(persona))
    response = page.goto(path(scene))
    assert response is not None and response.status == 200, f"{name}: {response}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_styled(page)
    axe_check(page, label=name)
    screenshot(page, f"a11y-{name}")
    assert_clean_console(page)


def test_register_non_school_day_says_so(page, live_server, contact_teacher, scene):
    login(page, live_server, contact_teacher)
    page.goto(register_url(scene, weekend_day_before(timezone.localdate())))
    status = page.locator("#register-body [role=status]")
    expect(status).to_contain_text(re.compile("er en helgedag|utenfor skoleåret"))
    expect(page.locator("table.register")).to_have_count(0)


def test_register_error_state_has_no_serious_axe_findings(
    page, live_server, contact_teacher, scene
):
    login(page, live_server, contact_teacher)
    page.goto(register_url(scene, scene.day))
    page.get_by_role("group", name="Fravær for Ada Berg").get_by_label("Timer").check()
    page.get_by_role("button", name=f"Lagre fravær for {scene.day:%d.%m.%Y}").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Registreringen ble ikke lagret")
    expect(summary).to_be_focused()
    axe_check(page, label="register-error")
    screenshot(page, "a11y-register-error")
    assert_clean_console(page)


def test_htmx_save_moves_focus_to_the_status_message(page, live_server, contact_teacher, scene):
    login(page, live_server, contact_teacher)
    page.goto(register_url(scene, scene.day))
    page.get_by_role("group", name="Fravær for Jonas Dahl").get_by_label("For sent").check()
    page.get_by_label("Minutter for sent for Jonas Dahl").fill("5")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=f"Lagre fravær for {scene.day:%d.%m.%Y}").click()
    assert posted.value.request.headers.get("hx-request") == "true"  # htmx, not a reload
    message = page.locator(".messages[role=status] .ds-alert")
    expect(message).to_contain_text("1 ny,")
    expect(message).to_be_focused()
    focused = page.evaluate(
        "(() => { const el = document.activeElement;"
        " return {focusable: el.hasAttribute('data-focus-on-load'),"
        " status: !!el.closest('[role=status]'), text: el.textContent.trim()}; })()"
    )
    assert focused["focusable"] and focused["status"], focused
    axe_check(page, label="register-saved")
    assert_clean_console(page)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(
    page, live_server, contact_teacher, scene
):
    login(page, live_server, contact_teacher)
    page.goto(f"/klasser/{scene.group.pk}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hopp til hovedinnhold")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10, f"skip link not shown: {box}"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside main (the breadcrumb), not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")
    assert_clean_console(page)


def test_keyboard_focus_in_the_register_is_never_hidden_under_the_save_bar(
    page, live_server, contact_teacher, scene
):
    """WCAG 2.4.11: tabbing through a long class on a short screen, every focused
    control stays above the sticky save bar (app.css gives the page scroll padding)."""
    for n in range(12):
        make_pupil(scene.group, first=f"Elev{n}", last=f"Etternavn{n:02d}")
    page.set_viewport_size({"width": 1280, "height": 600})
    login(page, live_server, contact_teacher)
    page.goto(register_url(scene, scene.day))
    page.locator("table.register a").first.focus()
    assert_focus_never_under_the_save_bar(page, max_tabs=400)
    assert_clean_console(page)


def test_contact_log_htmx_save_focuses_the_message_and_lists_the_call(
    page, live_server, contact_teacher, scene
):
    login(page, live_server, contact_teacher)
    page.goto(f"/elever/{scene.pupil.uuid}/kontakt/")
    page.get_by_label("Foresatt").select_option(label="Kari Nordmann")
    page.get_by_label("Hva ble sagt").fill("Ringte far, han kommer i morgen.")
    page.get_by_label("Utfall").select_option(label="Må følges opp")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Lagre kontakt").click()
    assert posted.value.request.headers.get("hx-request") == "true"
    message = page.locator("#contact-log .messages .ds-alert")
    expect(message).to_have_text("Kontakten er logget.")
    expect(message).to_be_focused()
    logged = page.locator("#contact-log table tbody tr")
    expect(logged).to_have_count(2)
    expect(logged.first).to_contain_text("Ringte far, han kommer i morgen.")
    axe_check(page, label="contact-log-saved")
    assert_clean_console(page)
