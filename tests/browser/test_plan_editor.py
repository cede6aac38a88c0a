"""The plan editor in Chromium: a contact teacher starts the cooperation agreement from
the case page, drafts a plan with measures on three arenas and a special arrangement
with a tapering step, agrees it, records an evaluation with outcome "continue" (one
measure did not work), drafts version 2 (the failed measure is flagged) and downloads
the agreement as PDF; axe-core on each page, no console or CSP problems, focus on the
message after each save."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.actions.core import open_case
from plans.models import PlanVersion
from tests.browser.conftest import SHOTS, assert_clean_console, axe_check, login, screenshot
from tests.factories import at_level, school_days_ahead

pytestmark = pytest.mark.browser


@pytest.fixture
def niva1_case(pupil, group, contact_teacher):
    case = open_case(
        pupil, school=group.school, concern="Mye fravær på mandager.", by=contact_teacher
    )
    return at_level(case, "1", by=contact_teacher)


def expect_saved(page, text: str) -> None:
    message = page.locator(".messages[role=status] .ds-alert", has_text=text)
    expect(message).to_be_visible()
    expect(message).to_be_focused()


def add_measure(page, what: str, arena: str, responsible: str, *, special=False) -> None:
    page.get_by_role("link", name="Legg til tiltak").click()
    page.get_by_label("Tiltak", exact=True).fill(what)
    page.get_by_role("group", name="Arena").get_by_label(arena).check()
    page.get_by_role("group", name="Ansvarlig", exact=True).get_by_label(responsible).check()
    if responsible == "En ansatt":
        page.get_by_label("Ansvarlig ansatt").select_option(index=1)
    page.get_by_label("Når og hvor ofte").fill("Hver skoledag kl. 09.30")
    if special:
        page.get_by_label("Midlertidig særordning").check()
    page.get_by_role("button", name="Lagre tiltaket").click()
    expect_saved(page, "Tiltaket er lagret.")


def test_draft_agree_and_next_version(page, live_server, niva1_case, contact_teacher):
    case = niva1_case
    today = timezone.localdate()
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{case.uuid}/")
    page.locator("#tiltaksplan").get_by_role("button", name="Lag samarbeidsavtale").click()
    expect_saved(page, "Utkast til samarbeidsavtale er laget.")

    page.get_by_label("Langsiktig mål").fill("Eleven går på skolen hver dag og trives.")
    page.get_by_label("Kontaktperson for hjemmet").fill("Kontaktlærer")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect_saved(page, "Utkastet er lagret.")

    goals = page.locator("#delmal")
    goals.get_by_label("Delmål").fill("Møter i biblioteket kl. 09.30 fire dager i uka")
    # Ahead of today: a passed target date is refused (the 28th is behind us on the 29th).
    goals.get_by_label("Måldato").fill((today + dt.timedelta(days=21)).isoformat())
    goals.get_by_role("button", name="Legg til delmål").click()
    expect_saved(page, "Delmålet er lagt til.")

    add_measure(page, "Møter eleven i biblioteket og sender ukeplan", "Skole", "En ansatt")
    add_measure(page, "Følger eleven til biblioteket", "Hjem", "Foresatte")
    add_measure(page, "Kortere skoledag i en periode", "Eleven selv", "Eleven", special=True)

    step = page.locator("form[action$='/trinn/']")
    step.get_by_label("Fra dato").fill(today.isoformat())
    step.get_by_label("Trinn", exact=True).fill("Skoledag til kl. 12")
    step.get_by_role("button", name="Legg til trinn").click()
    expect_saved(page, "Trinnet er lagt til i nedtrappingsplanen.")
    expect(page.get_by_text("Trinn 1 av 1")).to_be_visible()
    expect(page.locator(".measure-circle__arena.is-empty")).to_have_text(
        "Fritid: tomt – ingen tiltak"
    )
    axe_check(page, label="draft")
    screenshot(page, "plan-draft")

    page.get_by_role("link", name="Avtal planen").click()
    page.get_by_label("Eleven deltok").check()
    page.get_by_label("Kari Nordmann").check()
    axe_check(page, label="agree")
    page.get_by_role("button", name="Avtal planen").click()
    expect_saved(page, "Versjon 1 er avtalt.")
    expect(page.get_by_role("heading", name="Gjeldende plan: versjon 1")).to_be_visible()
    axe_check(page, label="plan")

    # Three weeks later: the evaluation. The special arrangement did not work.
    page.get_by_role("link", name="Registrer evaluering").click()
    expect(page.get_by_role("heading", name="Registrer evaluering", level=1)).to_be_visible()
    page.get_by_label("Delvis nådd").check()
    page.get_by_label("Virket", exact=True).nth(0).check()
    page.get_by_label("Virket delvis", exact=True).nth(1).check()
    page.get_by_label("Virket ikke", exact=True).nth(2).check()
    failed = PlanVersion.objects.get(agreement__case=case).measures.get(special_arrangement=True)
    page.locator(f"#id_measure_{failed.pk}_why").fill("Eleven ble mer borte etter kl. 12.")
    page.get_by_label("Elevens stemme").fill("Det hjelper at noen venter på meg.")
    page.get_by_role("radio", name="Delvis: fortsett samme plan med ny evalueringsdato").check()
    page.get_by_label("Begrunnelse for utfallet").fill("Bedre, men ikke godt nok ennå.")
    next_date = school_days_ahead(today, 10)
    page.locator("#id_next_evaluation_date").fill(next_date.isoformat())
    axe_check(page, label="evaluation form")
    page.get_by_role("button", name="Lagre evalueringen").click()
    expect(page.locator("section[aria-labelledby=h-outcome]")).to_contain_text(
        f"ny evaluering {next_date:%d.%m.%Y}"
    )

    page.get_by_role("link", name="Til tiltaksplanen").click()
    # The agreement as PDF, from the plan page: a document a person would sign.
    with page.expect_download() as info:
        page.get_by_role("link", name="Last ned samarbeidsavtalen, versjon 1 (PDF)").click()
    pdf = info.value.path().read_bytes()
    assert info.value.suggested_filename.startswith("samarbeidsavtale-v1-")
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )
    for expected in ("Eleven går på skolen hver dag", "Kortere skoledag", "Underskrifter"):
        assert expected in text
    # Kept beside the screenshots, to look at (pdftoppm) before calling the issue done.
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "agreement.pdf").write_bytes(pdf)

    page.get_by_role("button", name="Endre planen (ny versjon)").click()
    expect_saved(page, "Utkast til ny versjon er laget.")
    flagged = page.locator("section[aria-labelledby=h-failed]")
    expect(flagged).to_contain_text("Kortere skoledag i en periode")
    expect(flagged).to_contain_text("Eleven ble mer borte etter kl. 12.")
    assert PlanVersion.objects.filter(agreement__case=case).count() == 2
    page.goto(f"/saker/{case.uuid}/plan/sammenlign/?fra=1&til=2")
    expect(page.get_by_role("heading", name="Versjon 1 og versjon 2")).to_be_visible()
    axe_check(page, label="compare")
    page.goto(f"/saker/{case.uuid}/")
    expect(page.locator("#tiltaksplan")).to_contain_text("Versjon 1: Avtalt")
    axe_check(page, label="case page with plan")
    assert_clean_console(page)
