"""The leaders' monthly overview in Chromium: the contact teacher writes the class's
comment for last month, the principal reads it on the overview and downloads the PDF
for the team meeting (issue #15, §1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fravaer.overviews import default_month
from tests.browser.conftest import (
    SHOTS,
    assert_clean_console,
    axe_check,
    login,
    screenshot,
    watched_page,
)
from tests.conftest import make_pupil
from tests.factories import absence

pytestmark = pytest.mark.browser


def _school_day_in(month: dt.date) -> dt.date:
    day = month + dt.timedelta(days=9)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def test_the_principal_reads_the_comment_and_downloads_the_pdf(
    page, browser, live_server, group, contact_teacher, leader
):
    month = default_month(timezone.localdate())
    pupil = make_pupil(group, first="Ingrid", last="Lunde")
    absence(pupil, _school_day_in(month), contact_teacher)
    absence(pupil, _school_day_in(month) + dt.timedelta(days=1), contact_teacher, kind="late")
    key = f"{month:%Y-%m}"

    login(page, live_server, contact_teacher)
    page.goto(f"/klasser/{group.pk}/kommentar/{key}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(group.name)
    page.get_by_label("Kommentar til månedens fravær").fill("Mye sykdom i uke 46; én bekymring.")
    page.get_by_role("button", name="Lagre kommentaren").click()
    expect(page.get_by_text("Kommentaren er lagret.")).to_be_visible()
    expect(page.get_by_label("Kommentar til månedens fravær")).to_have_value(
        "Mye sykdom i uke 46; én bekymring."
    )
    axe_check(page, label="class-comment")
    screenshot(page, "class-comment")
    assert_clean_console(page)

    with watched_page(browser, live_server) as leader_page:
        login(leader_page, live_server, leader)
        leader_page.goto(f"/skole/{group.school_id}/oversikt/")
        expect(leader_page.get_by_role("heading", level=1)).to_contain_text("Månedsoversikt")
        expect(leader_page.locator(".class-comment")).to_contain_text("Mye sykdom i uke 46")
        expect(leader_page.get_by_role("link", name=f"Kommentert – {group.name}")).to_be_visible()
        row = leader_page.get_by_role("row", name="Ingrid Lunde")
        expect(row).to_contain_text("Ukjent (2)")
        expect(
            leader_page.get_by_role("img", name="Fravær i prosent av skoletiden")
        ).to_be_visible()
        axe_check(leader_page, label="monthly-overview")
        screenshot(leader_page, "monthly-overview")

        with leader_page.expect_download() as info:
            leader_page.get_by_role("link", name="PDF til møtet").click()
        download = info.value
        assert download.suggested_filename == f"maanedsoversikt-{key}.pdf"
        SHOTS.mkdir(parents=True, exist_ok=True)
        target = Path(SHOTS) / "monthly-overview.pdf"
        download.save_as(str(target))
        assert target.read_bytes().startswith(b"%PDF")
        assert_clean_console(leader_page)
