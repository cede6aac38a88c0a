"""A phone (375 px): the class register and the case board become cards with visible
labels, and no page scrolls sideways; on a desktop both stay tables."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_clean_console,
    assert_focus_never_under_the_save_bar,
    axe_check,
    login,
    screenshot,
    wait_until,
)
from tests.conftest import make_pupil

pytestmark = pytest.mark.browser


def assert_no_sideways_scrolling(page, where: str) -> None:
    widths = page.evaluate(
        """(() => {
          const de = document.documentElement;
          const wraps = [...document.querySelectorAll('.table-wrap')]
            .filter(w => w.querySelector('table.register, table.board'))
            .map(w => [w.scrollWidth, w.clientWidth]);
          return {page: [de.scrollWidth, de.clientWidth], wraps};
        })()"""
    )
    scroll, client = widths["page"]
    assert scroll <= client, f"{where}: the page is {scroll} px wide in {client} px"
    for scroll, client in widths["wraps"]:
        assert scroll <= client, f"{where}: a table is {scroll} px wide in its {client} px box"


def assert_on_screen(locator, width: int = PHONE["width"]) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box


@pytest.fixture
def pupils(group):
    return {
        first: make_pupil(group, first=first, last=last)
        for first, last in (("Ada", "Berg"), ("Jonas", "Dahl"), ("Siri", "Lund"))
    }


def open_register(page, live_server, contact_teacher, group, school_day):
    page.set_viewport_size(PHONE)
    login(page, live_server, contact_teacher)
    page.goto(f"/klasser/{group.pk}/fravaer/?dato={school_day.isoformat()}")
    expect(page.get_by_role("heading", name=f"Fravær – {group.name}", level=1)).to_be_visible()


def test_register_rows_are_cards_with_visible_labels_on_a_phone(
    page, live_server, contact_teacher, group, pupil, pupils, school_day
):
    open_register(page, live_server, contact_teacher, group, school_day)
    assert_no_sideways_scrolling(page, "register")
    ada = pupils["Ada"].full_name
    for name in (ada, pupil.full_name):
        choices = page.get_by_role("group", name=f"Fravær for {name}")
        for label in ("Til stede", "Hele dagen", "Timer", "For sent"):
            assert_on_screen(choices.locator("label", has_text=label))
        assert_on_screen(page.get_by_role("link", name=name, exact=True))
    # A present pupil's card is the name and the choices; an absence brings the fields,
    # each with its label on screen, right after the choices in the keyboard order.
    ada_card = page.locator("tr", has=page.get_by_role("link", name=ada, exact=True))
    expect(ada_card.get_by_text("Antall timer", exact=True)).to_be_hidden()
    timer = page.get_by_role("group", name=f"Fravær for {ada}").get_by_label("Timer")
    timer.check()
    for label in ("Antall timer", "Fag", "Dokumentert", "Årsak", "Merknad"):
        assert_on_screen(ada_card.get_by_text(label, exact=True))
    # Only the fields of the chosen kind: lessons have no minutes late.
    expect(ada_card.get_by_text("Minutter for sent", exact=True)).to_be_hidden()
    timer.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"Antall timer for {ada}")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"Fag for {ada}")).to_be_focused()
    assert_on_screen(page.get_by_label(f"Årsak for {ada}"))
    assert_on_screen(page.get_by_label(f"Dokumentert for {ada}"))
    assert_no_sideways_scrolling(page, "register with an absence")
    screenshot(page, "narrow-register")
    axe_check(page, label="narrow-register")

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=re.compile("^Lagre fravær for ")).click()
    assert posted.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#register-body .messages .ds-alert")).to_contain_text("1 ny,")
    assert_no_sideways_scrolling(page, "register saved")
    assert_clean_console(page)


def test_register_error_summary_on_a_phone_says_what_and_focuses_the_field(
    page, live_server, contact_teacher, group, pupil, pupils, school_day
):
    open_register(page, live_server, contact_teacher, group, school_day)
    ada, jonas = pupils["Ada"].full_name, pupils["Jonas"].full_name
    page.get_by_role("group", name=f"Fravær for {ada}").get_by_label("Timer").check()
    page.get_by_role("group", name=f"Fravær for {jonas}").get_by_label("Hele dagen").check()
    page.get_by_label(f"Dokumentert for {jonas}").check()
    page.get_by_label(f"Årsak for {jonas}").select_option(label="Ukjent")
    page.get_by_role("button", name=re.compile("^Lagre fravær for ")).click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [f"{ada}: Oppgi antall timer.", f"{jonas}: Dokumentert fravær kan ikke ha ukjent årsak."]
    )
    assert_no_sideways_scrolling(page, "register with errors")
    screenshot(page, "narrow-register-error")
    axe_check(page, label="narrow-register-error")
    links.nth(1).click()
    expect(page.get_by_label(f"Årsak for {jonas}")).to_be_focused()
    assert_on_screen(page.get_by_label(f"Årsak for {jonas}"))
    links.nth(0).click()
    expect(page.get_by_label(f"Antall timer for {ada}")).to_be_focused()
    assert_clean_console(page)


@pytest.mark.parametrize("width", [375, 800])
def test_register_focus_is_never_hidden_under_the_save_bar_on_narrow_screens(
    page, live_server, contact_teacher, group, pupil, pupils, school_day, width
):
    """The save bar grows when its hint wraps; tabbing through cards with an absence
    open, every focused control stays above it (WCAG 2.4.11)."""
    for n in range(8):
        make_pupil(group, first=f"Elev{n}", last=f"Etternavn{n:02d}")
    open_register(page, live_server, contact_teacher, group, school_day)
    page.set_viewport_size({"width": width, "height": 640})
    for name in (pupils["Ada"].full_name, pupils["Siri"].full_name):
        page.get_by_role("group", name=f"Fravær for {name}").get_by_label("Timer").check()
    page.locator("table.register a").first.focus()
    assert_focus_never_under_the_save_bar(page, max_tabs=200)
    assert_clean_console(page)


def test_register_is_a_table_on_a_desktop(
    page, live_server, contact_teacher, group, pupil, pupils, school_day
):
    login(page, live_server, contact_teacher)
    page.goto(f"/klasser/{group.pk}/fravaer/?dato={school_day.isoformat()}")
    expect(page.get_by_role("columnheader", name="Merknad")).to_be_visible()
    expect(page.get_by_role("rowheader", name=pupils["Ada"].full_name)).to_be_visible()
    expect(page.locator("table.register .cell-label").first).to_be_hidden()
    # A present pupil's fields come with the status that needs them.
    lessons = page.get_by_label(f"Antall timer for {pupils['Ada'].full_name}")
    expect(lessons).to_be_hidden()
    page.get_by_role("group", name=f"Fravær for {pupils['Ada'].full_name}").get_by_label(
        "Timer"
    ).check()
    expect(lessons).to_be_visible()
    assert_no_sideways_scrolling(page, "register on a desktop")
    assert_clean_console(page)


def test_board_rows_are_cards_on_a_phone(page, live_server, referred: Case, team_member):
    page.set_viewport_size(PHONE)
    login(page, live_server, team_member)
    page.goto(f"/skole/{referred.school_id}/saker/")
    expect(page.get_by_role("heading", name=re.compile(r"^Sakstavle – "), level=1)).to_be_visible()
    assert_no_sideways_scrolling(page, "board")
    name = referred.pupil.full_name
    card = page.locator(f"#sak-{referred.uuid}")
    klasse = card.get_by_text("Klasse", exact=True)
    frist = card.get_by_text("Neste frist", exact=True)
    assert_on_screen(klasse)
    assert_on_screen(frist)
    a, b = klasse.bounding_box(), frist.bounding_box()
    assert a and b and (a["x"] + a["width"] <= b["x"] or a["y"] + a["height"] <= b["y"]), (a, b)
    assert_on_screen(card.get_by_text("Saksansvarlig", exact=True))
    owner = page.get_by_label(f"Saksansvarlig for {name}")
    save = page.get_by_role("button", name=f"Lagre – {name}", exact=True)
    assert_on_screen(owner)
    assert_on_screen(save)
    screenshot(page, "narrow-board")
    axe_check(page, label="narrow-board")

    owner.select_option(label="team@nordby.no")
    save.click()
    expect(card.get_by_role("status")).to_contain_text(f"Saksansvarlig for {name} er nå")
    expect(card.get_by_role("status")).to_be_focused()
    assert_no_sideways_scrolling(page, "board after a save")
    assert_clean_console(page)


@pytest.mark.parametrize("width", [1280, 800])
def test_board_column_headers_do_not_run_together(
    page,
    live_server,
    referred: Case,
    team_member,
    width,
):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, team_member)
    page.goto(f"/skole/{referred.school_id}/saker/")
    headers = page.locator("table.board").first.locator("thead th")
    expect(headers).to_have_text(["Elev", "Klasse", "Neste frist", "Saksansvarlig"])
    cells = headers.evaluate_all(
        "hs => hs.map(h => { const r = h.getBoundingClientRect(), s = getComputedStyle(h);"
        " const inner = r.width - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);"
        " const range = document.createRange(); range.selectNodeContents(h);"
        " return {text: h.textContent, inner, text_width: range.getBoundingClientRect().width}; })"
    )
    for cell in cells:
        assert cell["text_width"] <= cell["inner"] + 0.5, cell
    assert_no_sideways_scrolling(page, f"board at {width}")
    assert_clean_console(page)


NARROW_PAGES = {
    "home-contact-teacher": ("contact_teacher", lambda c: "/"),
    "home-leader": ("leader", lambda c: "/"),
    "pupil-page": ("contact_teacher", lambda c: f"/elever/{c.pupil.uuid}/"),
    "contact-log": ("contact_teacher", lambda c: f"/elever/{c.pupil.uuid}/kontakt/"),
    "case-page": ("contact_teacher", lambda c: f"/saker/{c.uuid}/"),
    "meeting-page": (
        "contact_teacher",
        lambda c: f"/saker/{c.uuid}/moter/{c.meetings.get().uuid}/",
    ),
}


@pytest.mark.parametrize("name", NARROW_PAGES)
def test_page_does_not_scroll_sideways_on_a_phone(
    request,
    page,
    live_server,
    referred: Case,
    name,
):
    persona, path = NARROW_PAGES[name]
    page.set_viewport_size(PHONE)
    login(page, live_server, request.getfixturevalue(persona))
    response = page.goto(path(referred))
    assert response is not None and response.status == 200, f"{name}: {response}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_sideways_scrolling(page, name)
    screenshot(page, f"narrow-{name}")
    assert_clean_console(page)


def test_contact_log_and_records_are_cards_on_a_phone_and_tables_on_a_desktop(
    page,
    live_server,
    referred: Case,
    contact_teacher,
    school_day,
):
    from django.utils import timezone

    from fravaer.actions import AbsenceInput, log_contact, record_absence
    from fravaer.models import AbsenceReason
    from fravaer.schooldays import SchoolCalendar

    pupil = referred.pupil
    group = referred.pupil.enrollments.get().group
    record_absence(
        pupil,
        day=school_day,
        by=contact_teacher,
        calendar=SchoolCalendar.from_days([]),
        lessons_per_day=group.lessons_per_day,
        data=AbsenceInput(
            kind="day",
            documented=True,
            reason=AbsenceReason.objects.get(
                municipality=group.school.municipality, code="illness"
            ),
            note="Feber",
        ),
    )
    log_contact(
        pupil,
        contacted_at=timezone.now(),
        channel="phone",
        counterpart="guardian",
        guardian=pupil.guardians.get(),
        summary="Mor sier eleven gruer seg til skolen om morgenen. Vi følger opp.",
        outcome="follow_up",
        by=contact_teacher,
    )
    page.set_viewport_size(PHONE)
    login(page, live_server, contact_teacher)
    page.goto(f"/elever/{pupil.uuid}/kontakt/")
    log = page.locator("table.table--cards")
    for label in ("Tidspunkt", "Kanal", "Med hvem", "Hva ble sagt", "Utfall", "Logget av"):
        assert_on_screen(log.locator(".cell-label", has_text=label).first)
    assert_on_screen(log.get_by_text("Må følges opp"))
    wraps = page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].map(w => w.scrollWidth - w.clientWidth)"
    )
    assert wraps and max(wraps) <= 0, wraps
    axe_check(page, label="narrow-contact-log")

    page.goto(f"/elever/{pupil.uuid}/")
    records = page.locator("#fravaer table")
    assert_on_screen(records.locator(".cell-label", has_text="Registrert av").first)
    assert_on_screen(records.get_by_role("link", name=re.compile("^Endre")).first)
    assert_no_sideways_scrolling(page, "pupil page")

    page.set_viewport_size(DESKTOP)
    page.goto(f"/elever/{pupil.uuid}/kontakt/")
    expect(page.get_by_role("columnheader", name="Utfall")).to_be_visible()
    expect(log.locator(".cell-label").first).to_be_hidden()
    assert_clean_console(page)


def test_a_table_too_wide_for_the_screen_is_a_named_region_the_keyboard_can_scroll(
    page,
    live_server,
    referred: Case,
    contact_teacher,
):
    """The case's consent table is wider than a phone: its scroll box takes focus, is
    named by its caption, and scrolls with the arrow keys (axe: scrollable-region-
    focusable). On a desktop, where it fits, it is not a tab stop."""
    page.set_viewport_size(PHONE)
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{referred.uuid}/")
    wrap = page.locator(".table-wrap", has=page.locator("table", has_text="PPT")).first
    expect(wrap).to_have_attribute("tabindex", "0")
    expect(wrap).to_have_attribute("role", "group")
    region_name = wrap.get_attribute("aria-label")
    assert region_name, "the scroll region has no name"
    expect(page.get_by_role("group", name=region_name, exact=True)).to_have_count(1)
    wrap.focus()
    expect(wrap).to_be_focused()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_until(wrap, "el => el.scrollLeft > 0", timeout=3)
    axe_check(page, label="narrow-case-page")

    page.evaluate("document.activeElement.blur()")  # focus is never pulled from the box
    page.set_viewport_size(DESKTOP)
    wait_until(wrap, "el => !el.hasAttribute('tabindex')", timeout=3)
    expect(wrap).not_to_have_attribute("role", "group")
    assert_clean_console(page)
