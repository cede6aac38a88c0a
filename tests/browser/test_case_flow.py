"""Issue #4's browser test: a contact teacher takes a flagged pupil from the start page
through nivå 0 and 1 to a PPT referral, clicking as users do; the municipality's PPT
advisor then sees exactly that case, and loses it the moment the referral ends.

Also axe-core on the case workflow's pages, and focus after their htmx swaps.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.actions.core import change_level
from cases.models import Case, Meeting, Referral
from fravaer.models import Municipality, StaffRole, User
from tests.browser.conftest import (
    assert_clean_console,
    assert_styled,
    axe_check,
    login,
    screenshot,
    wait_until,
    watched_page,
)
from tests.cases.conftest import logged_conversation
from tests.conftest import make_user

pytestmark = pytest.mark.browser

LEVEL_1 = "Nivå 1 – iverksette tiltak"
NOT_FOUND = "Fant ikke siden"


@pytest.fixture
def foreign_ppt_advisor(db) -> User:
    elsewhere = Municipality.objects.create(name="Andrevik")
    user = make_user("ppt@andrevik.no")
    StaffRole.objects.create(user=user, role=StaffRole.Role.PPT_ADVISOR, municipality=elsewhere)
    return user


def case_url(case: Case) -> str:
    return f"/saker/{case.uuid}/"


def expect_message(page, text: str, *, anchor: str = "") -> None:
    """The status message after a save has focus (WCAG 2.4.3). After a redirect to a
    section (`#samtaler`) the view stays on that section and focus still goes to the
    message, so screen-reader users hear the result."""
    message = page.locator(".messages[role=status] .ds-alert", has_text=text)
    expect(message).to_be_visible()
    if anchor:
        expect(page.locator(f"#{anchor}:target")).to_be_visible()
    expect(message).to_be_focused()


def expect_not_found(page, response) -> None:
    assert response is not None and response.status == 404, response
    expect(page.get_by_role("heading", level=1)).to_have_text(NOT_FOUND)


def timeline_steps(page) -> list[str]:
    return page.locator("#tidslinje ol.timeline > li h3").all_inner_texts()


def test_contact_teacher_takes_a_flag_to_ppt_and_ppt_sees_only_that_case(
    page, browser, live_server, scene, contact_teacher, ppt_advisor, foreign_ppt_advisor
):
    ola, ada = scene.pupil, scene.other_pupil
    today = timezone.localdate()

    # --- the start page: "Opprett sak" on the flag opens a case at nivå 0 ------------------
    login(page, live_server, contact_teacher)
    expect(page.get_by_role("heading", name="Elever med aktive varsler")).to_be_visible()
    card = page.locator("li.ds-card", has=page.get_by_role("heading", name=ola.full_name))
    create = card.get_by_role("button", name=re.compile(rf"^Opprett sak – {ola.full_name}: "))
    expect(create).to_have_count(1)
    screenshot(page, "case-01-start-flag")
    create.click()
    expect(page).to_have_url(re.compile(r"/saker/[0-9a-f-]{36}/$"))
    case = Case.objects.get(pupil=ola)
    expect(page.get_by_role("heading", name=f"Sak: {ola.full_name}", level=1)).to_be_visible()
    expect_message(page, "Saken er opprettet på nivå 0 – undring.")
    assert case.level == "0" and case.owner == contact_teacher
    assert list(case.case_flags.values_list("flag_id", flat=True)) == [scene.flag.pk]
    assert_styled(page)
    expect(page.get_by_role("link", name=f"Elevsiden – {ola.full_name}")).to_be_visible()
    screenshot(page, "case-02-opened")

    # Moving to nivå 1 before any conversation: the panel says what is missing.
    level = page.locator("#niva")
    level.locator("summary", has_text=f"Flytt til {LEVEL_1}").click()
    expect(level).to_contain_text("Registrer minst én undringssamtale")

    # --- nivå 0: the guided conversation form, from the panel's link to what is missing ----
    level.get_by_role("link", name="Registrer samtale").click()
    expect(page.get_by_role("heading", name="Registrer samtale", level=1)).to_be_visible()
    expect(page.get_by_label("Dato for samtalen")).to_have_value(today.isoformat())
    page.get_by_role("group", name="Samtale med").get_by_label(
        "Eleven og foresatte", exact=True
    ).check()
    page.get_by_role("group", name="Form").get_by_label("Telefon").check()
    page.get_by_label("Trives du på skolen og på fritiden?").fill("Ikke i friminuttene.")
    page.get_by_label(
        "Opplever du/dere at det er spesielle årsaker til at barnet ikke er på skolen?"
    ).fill("Vondt i magen om morgenen.")
    page.get_by_label("Rådført meg med en kollega").check()
    page.get_by_label("Oppsummering og veien videre").fill("Vi møtes på skolen neste uke.")
    screenshot(page, "case-03-conversation-form")
    page.get_by_role("button", name="Lagre samtalen").click()
    expect(page).to_have_url(re.compile(rf"/saker/{case.uuid}/#samtaler$"))
    expect_message(page, "Samtalen er registrert.", anchor="samtaler")
    conversations = page.locator("#samtaler")
    conversations.locator("summary", has_text="samtale med eleven og foresatte (telefon)").click()
    expect(conversations).to_contain_text("Ikke i friminuttene.")
    expect(conversations).to_contain_text("Vondt i magen om morgenen.")
    expect(conversations).to_contain_text("Rådført seg med en kollega.")

    # --- nivå 0 → nivå 1, with a reason (htmx swaps the case body) ------------------------
    level = page.locator("#niva")
    level.locator("summary", has_text=f"Flytt til {LEVEL_1}").click()
    expect(level.get_by_text("Dette mangler først:")).to_have_count(0)
    level.get_by_label("Hvorfor flyttes saken?").fill("Fraværet fortsetter etter samtalen.")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        level.get_by_role("button", name=f"Flytt til {LEVEL_1}").click()
    assert posted.value.request.headers.get("hx-request") == "true"
    expect_message(page, f"Saken er flyttet til {LEVEL_1}.")
    expect(page.get_by_role("heading", name=LEVEL_1, level=2)).to_be_visible()
    case.refresh_from_db()
    assert case.level == "1" and case.concern_defined_at is not None
    screenshot(page, "case-04-level-1")

    # --- the nivå 1 meeting, within the week ------------------------------------------------
    page.get_by_role("link", name="Sett opp møte").click()
    expect(page.get_by_role("heading", name="Sett opp møte", level=1)).to_be_visible()
    # A week on; a deadline that lands on a weekend moves back to the Friday before
    # (the test school has no holidays configured), so the test passes any day it runs.
    due = today + dt.timedelta(days=7)
    while due.weekday() >= 5:
        due -= dt.timedelta(days=1)
    expect(page.get_by_text(f"skal holdes innen {due:%d.%m.%Y}")).to_be_visible()
    meeting_day = today + dt.timedelta(days=2)
    expect(page.get_by_label("Type møte")).to_have_value(Meeting.Kind.LEVEL1)
    page.get_by_label("Dato", exact=True).fill(meeting_day.isoformat())
    page.get_by_label("Klokkeslett").fill("10:00")
    page.get_by_label("Sted", exact=True).fill("Møterom 2")
    page.get_by_role("group", name="Foresatte som deltar").get_by_label("Kari Nordmann").check()
    screenshot(page, "case-05-meeting-form")
    page.get_by_role("button", name="Sett opp møtet").click()
    expect(page.get_by_role("heading", name=Meeting.Kind.LEVEL1.label, level=1)).to_be_visible()
    expect_message(page, "Møtet er satt opp.")
    expect(page.get_by_role("heading", name="Fraværet så langt")).to_be_visible()
    meeting = Meeting.objects.get(case=case)
    assert timezone.localtime(meeting.starts_at).date() == meeting_day
    assert list(meeting.guardians.values_list("name", flat=True)) == ["Kari Nordmann"]
    screenshot(page, "case-06-meeting")
    page.get_by_role("navigation", name="Brødsmulesti").get_by_role(
        "link", name=f"Sak: {ola.full_name}"
    ).click()
    meetings = page.locator("#moter")
    expect(meetings.get_by_role("link", name=Meeting.Kind.LEVEL1.label)).to_be_visible()
    expect(meetings).to_contain_text(f"{meeting_day:%d.%m.%Y} 10:00")

    # --- consent for PPT from the guardian, then the referral -------------------------------
    page.get_by_role("link", name="Henvis til PPT").click()  # no consent yet: it says so
    expect(page.get_by_text("krever samtykke fra foresatte for PPT")).to_be_visible()
    page.locator("main").get_by_role("link", name="Registrer samtykke").click()
    expect(page.get_by_role("heading", name="Registrer samtykke", level=1)).to_be_visible()
    page.get_by_label("Tjeneste").select_option(label="PPT")
    page.get_by_label("Formål").fill("Pedagogisk analyse og råd om tiltak")
    page.get_by_role("group", name="Gitt av foresatte").get_by_label("Kari Nordmann").check()
    expect(page.get_by_label("Gitt dato")).to_have_value(today.isoformat())
    screenshot(page, "case-07-consent-form")
    page.get_by_role("button", name="Lagre samtykket").click()
    expect_message(page, "Samtykket er registrert.", anchor="samtykke")
    consent_row = page.locator("#samtykke tbody tr", has=page.get_by_role("rowheader", name="PPT"))
    expect(consent_row).to_contain_text("Kari Nordmann")
    expect(consent_row).to_contain_text("Gyldig")

    page.get_by_role("link", name="Henvis til PPT").click()
    expect(page.get_by_role("heading", name="Henvis til PPT", level=1)).to_be_visible()
    page.get_by_label("Henvisningsgrunn").fill("Ønsker en pedagogisk analyse av skoledagen.")
    screenshot(page, "case-08-referral-form")
    page.get_by_role("button", name="Henvis til PPT").click()
    expect_message(page, "Saken er henvist til PPT.", anchor="samtykke")
    expect(page.locator("#samtykke")).to_contain_text("Ønsker en pedagogisk analyse")
    referral = Referral.objects.get(case=case)
    assert referral.ended_at is None
    screenshot(page, "case-09-referred")
    assert_clean_console(page)

    # --- the PPT advisor sees exactly this case ---------------------------------------------
    with watched_page(browser, live_server) as ppt:
        login(ppt, live_server, ppt_advisor)
        ppt.get_by_role("link", name="Sakene som er henvist til PPT").click()
        expect(ppt).to_have_url(f"{live_server.url}/ppt/saker/")
        expect(ppt.get_by_role("heading", name="Saker henvist til PPT", level=1)).to_be_visible()
        rows = ppt.locator("table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.get_by_role("link", name=ola.full_name)).to_be_visible()
        expect(ppt.get_by_role("link", name=ada.full_name)).to_have_count(0)
        screenshot(ppt, "case-10-ppt-list")
        rows.first.get_by_role("link", name=ola.full_name).click()
        expect(ppt.get_by_role("heading", name=f"Sak: {ola.full_name}", level=1)).to_be_visible()
        # PPT reads the case and writes its own notes, but does not run it.
        expect(ppt.get_by_role("link", name="Registrer samtale")).to_have_count(0)
        expect(ppt.get_by_role("link", name="Registrer samtykke")).to_have_count(0)
        # The pupil page is not PPT's to see: no link that leads to "Fant ikke siden".
        expect(ppt.get_by_role("link", name=re.compile(r"^Elevsiden"))).to_have_count(0)
        ppt.get_by_label("Notat", exact=True).fill("PPT tar kontakt med kontaktlærer.")
        ppt.get_by_role("button", name="Lagre notat").click()
        expect_message(ppt, "Notatet er lagret.")
        expect(ppt.locator("#notater")).to_contain_text("PPT tar kontakt med kontaktlærer.")
        screenshot(ppt, "case-11-ppt-case")
        ppt_case_url = ppt.url

        # Another case at the same school, open but not referred: 404 as if it did not exist.
        expect_not_found(ppt, ppt.goto(case_url(scene.other_case)))
        screenshot(ppt, "case-12-ppt-other-case-404")

        # A PPT advisor in another municipality sees nothing, and not this case either.
        with watched_page(browser, live_server) as foreign:
            login(foreign, live_server, foreign_ppt_advisor)
            foreign.goto("/ppt/saker/")
            expect(foreign.get_by_text("Ingen saker er henvist til PPT nå.")).to_be_visible()
            expect_not_found(foreign, foreign.goto(case_url(case)))

        # --- the contact teacher ends the referral; PPT's next request is a 404 -------------
        page.reload()
        consent_section = page.locator("#samtykke")
        consent_section.locator("summary", has_text="Avslutt henvisningen").click()
        consent_section.get_by_label("Grunn").fill("PPT har gitt sine råd.")
        consent_section.get_by_role("button", name="Avslutt henvisningen").click()
        expect_message(
            page, "Henvisningen er avsluttet, og PPT har ikke lenger tilgang.", anchor="samtykke"
        )
        expect(consent_section).to_contain_text("PPT har gitt sine råd.")
        expect(consent_section.get_by_role("link", name="Henvis til PPT")).to_be_visible()
        referral.refresh_from_db()
        assert referral.ended_at is not None

        ppt.goto(ppt_case_url)
        expect_not_found(ppt, ppt.reload())
        ppt.goto("/ppt/saker/")
        expect(ppt.get_by_text("Ingen saker er henvist til PPT nå.")).to_be_visible()
        # The referral's message stays in PPT's inbox, without the pupil's name.
        ppt.get_by_role("link", name=re.compile(r"^Varsler")).click()
        expect(ppt.get_by_role("heading", level=1)).to_be_visible()
        expect(ppt.locator("main")).not_to_contain_text(ola.full_name)

    # --- every step is on the case timeline, newest first -----------------------------------
    page.reload()
    steps = timeline_steps(page)
    expected = [
        "Sak opprettet",
        "Varsel knyttet til saken",
        "Samtale registrert",
        "Nivå endret",
        "Møte satt opp",
        "Samtykke gitt",
        "Henvist",
        "Tilgang gitt",
        "Notat",
        "Henvisning avsluttet",
        "Tilgang fjernet",
    ]
    seen = [step for step in reversed(steps) if step in expected]
    # In order, each at least once (a step may add more events, e.g. a deadline).
    assert [s for i, s in enumerate(seen) if s not in seen[:i]] == expected, steps
    level_event = page.locator("#tidslinje li", has_text="Nivå endret")
    expect(level_event).to_contain_text(f"Fra Nivå 0 – undring til {LEVEL_1}")
    expect(level_event).to_contain_text("Fraværet fortsetter etter samtalen.")
    screenshot(page, "case-13-timeline")
    assert_clean_console(page)


# --- axe-core on the case workflow's pages ----------------------------------------------


def _meeting_path(case: Case) -> str:
    return f"/saker/{case.uuid}/moter/{case.meetings.get().uuid}/"


# name → (persona fixture, path builder). Each page as the persona who uses it.
CASE_PAGES = {
    "case-page": ("contact_teacher", lambda c: f"/saker/{c.uuid}/"),
    "case-conversation-form": ("contact_teacher", lambda c: f"/saker/{c.uuid}/samtaler/ny/"),
    "case-meeting-form": ("contact_teacher", lambda c: f"/saker/{c.uuid}/moter/nytt/"),
    "case-meeting": ("contact_teacher", _meeting_path),
    "case-consent-form": ("contact_teacher", lambda c: f"/saker/{c.uuid}/samtykke/ny/"),
    "case-referral-end": (
        "contact_teacher",
        lambda c: f"/saker/{c.uuid}/henvisning/{c.referrals.get().pk}/avslutt/",
    ),
    "case-access-log": ("leader", lambda c: f"/saker/{c.uuid}/innsynslogg/"),
    "case-page-ppt": ("ppt_advisor", lambda c: f"/saker/{c.uuid}/"),
    "ppt-case-list": ("ppt_advisor", lambda c: "/ppt/saker/"),
    "case-board": ("team_member", lambda c: f"/skole/{c.school_id}/saker/"),
    "home-team-member": ("team_member", lambda c: "/"),
}


@pytest.mark.parametrize("name", CASE_PAGES)
def test_case_page_has_no_serious_axe_findings(request, page, live_server, referred, name):
    persona, path = CASE_PAGES[name]
    login(page, live_server, request.getfixturevalue(persona))
    response = page.goto(path(referred))
    assert response is not None and response.status == 200, f"{name}: {response}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_styled(page)
    axe_check(page, label=name)
    screenshot(page, f"a11y-{name}")
    assert_clean_console(page)


def test_referral_form_has_no_serious_axe_findings(page, live_server, scene, contact_teacher):
    """The referral form is only shown while no referral is active (the `referred`
    scene has one), and without consent it says what is missing."""
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{scene.other_case.uuid}/henvisning/ny/")
    expect(page.get_by_role("heading", name="Henvis til PPT", level=1)).to_be_visible()
    axe_check(page, label="case-referral-form")
    screenshot(page, "a11y-case-referral-form")
    assert_clean_console(page)


def test_case_form_errors_have_no_serious_axe_findings(
    page, live_server, referred, contact_teacher
):
    """The conversation form sent empty and the consent form without a guardian: the
    errors are announced and tied to their fields."""
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{referred.uuid}/samtaler/ny/")
    page.get_by_role("button", name="Lagre samtalen").click()
    expect(page.locator(".ds-validation-message, [role=alert]").first).to_be_visible()
    axe_check(page, label="case-conversation-form-errors")
    screenshot(page, "a11y-case-conversation-form-errors")

    page.goto(f"/saker/{referred.uuid}/samtykke/ny/")
    page.get_by_label("Tjeneste").select_option(label="Helsesykepleier")
    page.get_by_label("Formål").fill("Samtaler med eleven")
    page.get_by_role("button", name="Lagre samtykket").click()
    expect(page.get_by_text("Velg minst én foresatt som har gitt samtykket.").first).to_be_visible()
    axe_check(page, label="case-consent-form-errors")
    screenshot(page, "a11y-case-consent-form-errors")
    assert_clean_console(page)


def test_case_page_htmx_note_focuses_the_message(page, live_server, referred, contact_teacher):
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{referred.uuid}/")
    page.get_by_label("Notat", exact=True).fill("Ringte mor.")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Lagre notat").click()
    assert posted.value.request.headers.get("hx-request") == "true"
    expect_message(page, "Notatet er lagret.")
    expect(page.locator("#notater")).to_contain_text("Ringte mor.")
    # An empty note: the error is shown at the field, and focus goes where it is.
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Lagre notat").click()
    expect(page.locator("#notater")).to_contain_text("Notatet er tomt.")
    # Polled: htmx moves focus when it settles the swap, after the response.
    wait_until(page, "() => !!document.activeElement.closest('#notater')")
    axe_check(page, label="case-page-note-error")
    assert_clean_console(page)


def test_level_2a_answers_every_blocker_at_once_and_focuses_the_summary(
    page, live_server, scene, contact_teacher
):
    """Nivå 1 without consent or coordinator: the panel says up front what is missing,
    and one submission lists the consent and the coordinator together in the error
    summary, which gets focus after the htmx swap."""
    case = scene.other_case
    logged_conversation(case, summary="Bekymringen står.", by=contact_teacher)
    change_level(case, to="1", by=contact_teacher, reason="Bekreftet", version=case.version)
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{case.uuid}/")
    page.get_by_text("Flytt til Nivå 2A").first.click()
    expect(page.get_by_text("1 krav mangler")).to_be_visible()
    expect(page.get_by_text("Dette mangler først:")).to_be_visible()
    page.get_by_label("Hvorfor flyttes saken?").fill("Tiltakene virker ikke.")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Flytt til Nivå 2A – enkel tverrfaglig innsats").click()
    summary = page.locator(".ds-error-summary")
    expect(summary).to_contain_text("Nivå 2A krever samtykke fra foresatte")
    expect(summary).to_contain_text("Velg en stafettholder for det tverrfaglige arbeidet.")
    expect(summary).to_be_focused()
    screenshot(page, "case-level-2a-blockers")
    assert_clean_console(page)


def test_board_assigns_an_owner_in_place_and_keeps_focus_in_the_row(
    page, live_server, referred, team_member
):
    login(page, live_server, team_member)
    page.get_by_role("link", name=re.compile(r"^Sakstavle for ")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Sakstavle – "), level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("2 åpne saker vises.")
    owner = page.get_by_label(f"Saksansvarlig for {referred.pupil.full_name}")
    owner.select_option(label="team@nordby.no")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=f"Lagre – {referred.pupil.full_name}", exact=True).click()
    assert posted.value.request.headers.get("hx-request") == "true"
    row = page.locator(f"#sak-{referred.uuid}")
    expect(row.get_by_role("status")).to_contain_text(
        f"Saksansvarlig for {referred.pupil.full_name} er nå team@nordby.no."
    )
    referred.refresh_from_db()
    assert referred.owner == team_member
    # The row was swapped: focus must not fall back to the top of the page, but land on
    # the row's status line (polled: htmx settles the swap after the response).
    expect(row.get_by_role("status")).to_be_focused()

    # Filtering by level swaps the results; the count is announced in a status region.
    level = page.get_by_label("Nivå", exact=True)
    level.focus()  # as a keyboard user on the select (select_option alone does not focus)
    level.select_option(label=LEVEL_1)
    expect(page.get_by_role("status").first).to_contain_text("1 åpen sak vises.")
    expect(page).to_have_url(re.compile(r"\?.*nivaa=1"))  # hx-push-url: a link to share
    expect(level).to_be_focused()  # only the results were swapped
    expect(page.get_by_role("link", name=referred.pupil.full_name)).to_be_visible()
    axe_check(page, label="case-board-filtered")
    screenshot(page, "a11y-case-board-filtered")
    assert_clean_console(page)


def test_an_htmx_save_replaces_the_message_of_the_last_page_load(
    page, live_server, referred, contact_teacher
):
    """A conversation saved on its own page comes back with its message at the top;
    a note saved in place then says its own, and the older message goes."""
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{referred.uuid}/samtaler/ny/")
    page.get_by_role("group", name="Samtale med").get_by_label("Eleven", exact=True).check()
    page.get_by_role("group", name="Form").get_by_label("Telefon").check()
    page.get_by_label("Oppsummering og veien videre").fill("Vi følger opp.")
    page.get_by_role("button", name="Lagre samtalen").click()
    expect(page.locator(".messages")).to_have_count(1)
    expect(page.locator(".messages")).to_contain_text("Samtalen er registrert.")
    page.get_by_label("Notat", exact=True).fill("Ringte mor.")
    page.get_by_role("button", name="Lagre notat").click()
    expect(page.locator(".messages", has_text="Notatet er lagret.")).to_have_count(1)
    expect(page.locator(".messages")).to_have_count(1)
    expect(page.get_by_text("Samtalen er registrert.")).to_have_count(0)
    assert_clean_console(page)
