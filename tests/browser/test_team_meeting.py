"""A short team meeting in Chromium: start it, open a case from new flags, assign an
owner, set the next step and a note, end it, and download the minutes."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseNote
from tests.browser.conftest import SHOTS, assert_clean_console, axe_check, login, screenshot

pytestmark = pytest.mark.browser


def test_a_short_team_meeting_from_agenda_to_minutes(page, live_server, scene, team_member):
    school = scene.group.school
    ada = scene.other_case
    login(page, live_server, team_member)
    page.goto(f"/skole/{school.pk}/teammote/")
    expect(page.get_by_label("team@nordby.no")).to_be_checked()
    page.get_by_role("button", name="Start møtet").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Teammøte")

    # 3. New flags without a case: Ola; 5. the other cases: Ada's.
    flags = page.locator("#h-new_flags").locator("xpath=..")
    expect(flags.get_by_role("heading", name="Ola Nordmann")).to_be_visible()
    axe_check(page, label="team-meeting-agenda")

    # Open a case from Ola's flags, in place.
    ola_point = page.locator(f"#elev-{scene.pupil.uuid}")
    ola_point.locator("summary").click()
    ola_point.get_by_label("Bekymringen").fill("Mye fravær denne måneden.")
    ola_point.get_by_role("button", name="Opprett sak – Ola Nordmann").click()
    message = page.locator(".ds-alert", has_text="Sak opprettet for Ola Nordmann.")
    expect(message).to_be_focused()
    assert Case.objects.filter(pupil=scene.pupil, status="open").exists()

    # Ada's case: the owner, the next step and a note, each swapped in place.
    ada_point = page.locator(f"#sak-{ada.uuid}")
    ada_point.get_by_label("Saksansvarlig – Ada Berg").select_option(str(team_member.pk))
    ada_point.get_by_role("button", name="Sett saksansvarlig – Ada Berg").click()
    expect(page.locator(f"#sak-{ada.uuid} [role=status]")).to_be_focused()
    due = timezone.localdate() + dt.timedelta(days=7)
    ada_point = page.locator(f"#sak-{ada.uuid}")
    ada_point.get_by_label("Neste steg").fill("Ring foresatte")
    ada_point.get_by_label("Innen").fill(f"{due:%Y-%m-%d}")
    ada_point.get_by_role("button", name="Lagre neste steg – Ada Berg").click()
    expect(page.locator(f"#sak-{ada.uuid} [role=status]")).to_contain_text("Neste steg")
    ada_point = page.locator(f"#sak-{ada.uuid}")
    ada_point.get_by_label("Notat").fill("Hun trives i klassen.")
    ada_point.get_by_role("button", name="Lagre notat – Ada Berg").click()
    expect(page.locator(f"#sak-{ada.uuid} [role=status]")).to_be_focused()
    expect(page.locator(f"#sak-{ada.uuid} .agenda-decisions li")).to_have_count(3)
    screenshot(page, "team-meeting-agenda")
    assert_clean_console(page)

    page.get_by_role("button", name="Avslutt møtet og lagre referatet").click()
    expect(
        page.get_by_text("Teammøtet er avsluttet. Referatet er lagret på 2 saker.")
    ).to_be_visible()
    screenshot(page, "team-meeting-minutes")
    axe_check(page, label="team-meeting-minutes")
    note = CaseNote.objects.get(case=ada)
    assert note.text.startswith("Drøftet i teammøte ")
    assert "Ring foresatte" in note.text and "Hun trives i klassen." in note.text

    with page.expect_download() as download:
        page.get_by_role("link", name="Last ned referatet (PDF)").click()
    assert download.value.suggested_filename.startswith("teammote-referat-")
    path = SHOTS / "team-meeting-minutes.pdf"
    download.value.save_as(path)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "Ada Berg" in text and "Ola Nordmann" in text
    assert f"Ring foresatte (innen {due:%d.%m.%Y})" in text
    assert_clean_console(page)
