"""The case page's documents in Chromium: the panel passes axe, the agreement downloads
as a PDF named without personal data that holds the plan, and a blank consent form
downloads for the service chosen."""

from __future__ import annotations

import io

import pypdf
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot
from tests.factories import make_document_case, make_document_version, make_held_meeting

pytestmark = pytest.mark.browser


def _pdf_text(download) -> str:
    reader = pypdf.PdfReader(io.BytesIO(download.path().read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_download_the_agreement_and_a_blank_consent_form(page, live_server, pupil, contact_teacher):
    case = make_document_case(pupil, by=contact_teacher)
    make_document_version(case, by=contact_teacher)
    make_held_meeting(case, by=contact_teacher)
    login(page, live_server, contact_teacher)
    page.goto(f"{live_server.url}/saker/{case.uuid}/")
    panel = page.locator("#dokumenter")
    expect(panel.get_by_role("heading", name="Dokumenter (PDF)")).to_be_visible()
    axe_check(page, label="case page with documents")
    screenshot(page, "case-documents")

    with page.expect_download() as info:
        panel.get_by_role("link", name="Samarbeidsavtale med tiltaksplan, versjon 1").click()
    download = info.value
    assert download.suggested_filename.startswith("samarbeidsavtale-v1-")
    text = _pdf_text(download)
    assert "Ola Nordmann" in text and "Tiltak 1" in text and "Underskrifter" in text

    page.get_by_label("Tomt samtykkeskjema for").select_option("school_nurse")
    with page.expect_download() as info:
        panel.get_by_role("button", name="Last ned skjema").click()
    assert info.value.suggested_filename.startswith("samtykkeskjema-school-nurse-")
    assert "Helsesykepleier" in _pdf_text(info.value)
    assert_clean_console(page)
