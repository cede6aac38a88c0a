"""Issue #2's acceptance test: a contact teacher registers a day's absence for the
class in a real browser (htmx save, focus, reload, contact-home link, pupil pages)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fravaer.models import AbsenceRecord, Guardian
from tests.browser.conftest import assert_clean_console, assert_styled, login, screenshot
from tests.conftest import make_pupil


def contact_home(pupil) -> re.Pattern:
    # "Kontakt hjemmet i dag" on today's register, "Kontakt hjemmet" on an earlier day.
    return re.compile(rf"^Kontakt hjemmet( i dag)? – {re.escape(pupil.full_name)}$")


pytestmark = pytest.mark.browser


@pytest.fixture
def pupils(group):
    """Four pupils in 5A (the register sorts by last name): Ola gets a whole day,
    Ada two lessons, Jonas comes late, Siri is present."""
    ola = make_pupil(group, first="Ola", last="Nordmann")
    guardian = Guardian.objects.create(
        municipality=group.school.municipality, name="Kari Nordmann", phone="99999999"
    )
    guardian.pupils.add(ola)
    return {
        "ada": make_pupil(group, first="Ada", last="Berg"),
        "jonas": make_pupil(group, first="Jonas", last="Dahl"),
        "siri": make_pupil(group, first="Siri", last="Lund"),
        "ola": ola,
    }


def row(page, pupil):
    return page.locator("tr", has=page.get_by_role("rowheader", name=re.compile(pupil.full_name)))


def open_register(page, live_server, user, school_day):
    """Start page → the class card → the register for the most recent school day."""
    login(page, live_server, user)
    expect(page.get_by_role("heading", name="Mine klasser (kontaktlærer)")).to_be_visible()
    expect(page.get_by_role("heading", name="5A", level=3)).to_be_visible()
    page.get_by_role("link", name="Registrer fravær i dag – 5A").click()
    expect(page.get_by_role("heading", name="Fravær – 5A", level=1)).to_be_visible()
    # On a weekend or holiday the register opens on the last school day and says so;
    # on a school day it opens on today, without a date in the address.
    if school_day != timezone.localdate():
        expect(page).to_have_url(re.compile(rf"dato={school_day.isoformat()}$"))
        expect(page.locator("#register-body .messages")).to_contain_text(
            "I dag er ikke en skoledag. Her er forrige skoledag."
        )
    expect(page.locator("#register-day")).to_contain_text(f"{school_day:%d.%m.%Y}")
    assert_styled(page)


def fill_three_absences(page, pupils):
    ola, ada, jonas = pupils["ola"], pupils["ada"], pupils["jonas"]
    page.get_by_role("group", name=f"Fravær for {ola.full_name}").get_by_label("Hele dagen").check()
    page.get_by_role("group", name=f"Fravær for {ada.full_name}").get_by_label("Timer").check()
    page.get_by_label(f"Antall timer for {ada.full_name}").fill("2")
    page.get_by_label(f"Fag for {ada.full_name}").fill("Matematikk")
    page.get_by_label(f"Dokumentert for {ada.full_name}").check()
    page.get_by_label(f"Årsak for {ada.full_name}").select_option(label="Sykdom")
    page.get_by_role("group", name=f"Fravær for {jonas.full_name}").get_by_label("For sent").check()
    page.get_by_label(f"Minutter for sent for {jonas.full_name}").fill("10")


def test_contact_teacher_registers_a_day_and_follows_up(
    page, live_server, contact_teacher, group, pupils, school_day
):
    ola, ada, jonas, siri = pupils["ola"], pupils["ada"], pupils["jonas"], pupils["siri"]
    open_register(page, live_server, contact_teacher, school_day)
    expect(page.locator("table.register tbody tr")).to_have_count(4)
    screenshot(page, "01-register-empty")

    fill_three_absences(page, pupils)
    screenshot(page, "02-register-filled")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()
    assert posted.value.request.headers.get("hx-request") == "true"  # htmx, no page load

    message = page.locator("#register-body .messages .ds-alert")
    expect(message).to_have_text(f"Lagret for {school_day:%d.%m.%Y}: 3 nye, 0 endret, 0 fjernet.")
    expect(message).to_be_focused()
    assert page.evaluate("document.activeElement.hasAttribute('data-focus-on-load')")
    screenshot(page, "03-register-saved")

    saved = {r.pupil_id: r for r in AbsenceRecord.objects.current()}
    assert set(saved) == {ola.pk, ada.pk, jonas.pk}
    assert (saved[ola.pk].kind, saved[ola.pk].documented) == ("day", False)
    assert (saved[ada.pk].kind, saved[ada.pk].lessons, saved[ada.pk].subject) == (
        "lesson",
        2,
        "Matematikk",
    )
    assert saved[ada.pk].documented and saved[ada.pk].reason.code == "illness"
    assert (saved[jonas.pk].kind, saved[jonas.pk].minutes_late) == ("late", 10)

    # A reload shows what was saved, from the database.
    page.reload()
    expect(
        page.get_by_role("group", name=f"Fravær for {ola.full_name}").get_by_label("Hele dagen")
    ).to_be_checked()
    expect(
        page.get_by_role("group", name=f"Fravær for {ada.full_name}").get_by_label("Timer")
    ).to_be_checked()
    expect(page.get_by_label(f"Antall timer for {ada.full_name}")).to_have_value("2")
    expect(page.get_by_label(f"Fag for {ada.full_name}")).to_have_value("Matematikk")
    expect(page.get_by_label(f"Dokumentert for {ada.full_name}")).to_be_checked()
    expect(page.get_by_label(f"Årsak for {ada.full_name}")).to_have_value("illness")
    expect(
        page.get_by_role("group", name=f"Fravær for {jonas.full_name}").get_by_label("For sent")
    ).to_be_checked()
    expect(page.get_by_label(f"Minutter for sent for {jonas.full_name}")).to_have_value("10")
    expect(
        page.get_by_role("group", name=f"Fravær for {siri.full_name}").get_by_label("Til stede")
    ).to_be_checked()
    screenshot(page, "04-register-reloaded")

    # Undocumented rows (Ola's day, Jonas' late arrival) ask for contact with the home
    # today; Ada's documented lessons and Siri's empty row do not.
    for pupil, expected_links in ((ola, 1), (jonas, 1), (ada, 0), (siri, 0)):
        expect(row(page, pupil).get_by_role("link", name=contact_home(pupil))).to_have_count(
            expected_links
        )
    expect(row(page, ola).get_by_text("Udokumentert", exact=True)).to_be_visible()
    row(page, ola).get_by_role("link", name=contact_home(ola)).click()
    expect(page).to_have_url(f"{live_server.url}/elever/{ola.uuid}/kontakt/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Kontakt med hjemmet – {ola.full_name}"
    )
    expect(page.get_by_role("button", name="Lagre kontakt")).to_be_visible()
    expect(page.get_by_role("link", name="99999999")).to_have_attribute("href", "tel:99999999")
    screenshot(page, "05-contact-log")

    # Each pupil's page lists the absence and counts it in the totals.
    expected = {
        ola: ("Hele dagen", "Hele dager"),
        ada: ("2 timer Matematikk", "Enkelttimer"),
        jonas: ("For sent, 10 min", "Forsentkomminger"),
    }
    for pupil, (summary, total_label) in expected.items():
        page.goto(f"{live_server.url}/klasser/{group.pk}/")
        page.get_by_role("link", name=f"{pupil.last_name}, {pupil.first_name}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(pupil.full_name)
        records = page.locator("#fravaer table tbody tr")
        expect(records).to_have_count(1)
        expect(records.first).to_contain_text(f"{school_day:%d.%m.%Y}")
        expect(records.first).to_contain_text(summary)
        total = page.locator(".totals > div", has=page.locator("dt", has_text=total_label))
        expect(total.locator("dd").first).to_have_text("2" if pupil == ada else "1")
        screenshot(page, f"06-pupil-{pupil.first_name.lower()}")
    assert_clean_console(page)


def test_register_with_an_error_keeps_input_and_saves_nothing(
    page, live_server, contact_teacher, group, pupils, school_day
):
    ola, ada, jonas = pupils["ola"], pupils["ada"], pupils["jonas"]
    open_register(page, live_server, contact_teacher, school_day)
    fill_three_absences(page, pupils)
    page.get_by_label(f"Antall timer for {ada.full_name}").fill("")  # "Timer" without a count
    page.get_by_label(f"Merknad for {ola.full_name}").fill("Mor ringte ikke")
    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Registreringen ble ikke lagret")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=ada.full_name)).to_be_visible()
    expect(row(page, ada)).to_contain_text("Oppgi antall timer.")
    expect(page.get_by_label(f"Antall timer for {ada.full_name}")).to_have_attribute(
        "aria-invalid", "true"
    )
    screenshot(page, "07-register-error")

    # What was typed on every row is still there.
    expect(
        page.get_by_role("group", name=f"Fravær for {ola.full_name}").get_by_label("Hele dagen")
    ).to_be_checked()
    expect(page.get_by_label(f"Merknad for {ola.full_name}")).to_have_value("Mor ringte ikke")
    expect(
        page.get_by_role("group", name=f"Fravær for {ada.full_name}").get_by_label("Timer")
    ).to_be_checked()
    expect(page.get_by_label(f"Fag for {ada.full_name}")).to_have_value("Matematikk")
    expect(page.get_by_label(f"Dokumentert for {ada.full_name}")).to_be_checked()
    expect(page.get_by_label(f"Årsak for {ada.full_name}")).to_have_value("illness")
    expect(
        page.get_by_role("group", name=f"Fravær for {jonas.full_name}").get_by_label("For sent")
    ).to_be_checked()
    expect(page.get_by_label(f"Minutter for sent for {jonas.full_name}")).to_have_value("10")
    assert not AbsenceRecord.objects.exists()

    # The summary's link puts focus in the field to fix; fixing it saves all three.
    summary.get_by_role("link", name=ada.full_name).click()
    lessons = page.get_by_label(f"Antall timer for {ada.full_name}")
    expect(lessons).to_be_focused()
    page.keyboard.type("2")
    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()
    expect(page.locator("#register-body .messages .ds-alert")).to_have_text(
        f"Lagret for {school_day:%d.%m.%Y}: 3 nye, 0 endret, 0 fjernet."
    )
    assert AbsenceRecord.objects.current().count() == 3
    assert_clean_console(page)
