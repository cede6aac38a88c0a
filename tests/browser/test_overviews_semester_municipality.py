"""The municipality's overview and the semester status in Chromium: they render
styled, with no CSP or console problem and no serious axe finding; "<5" is shown for
a small cell and its complement, and the semester status's PDF link answers a PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fravaer.rollups import months_from
from tests.browser.conftest import assert_clean_console, assert_styled, axe_check, login, screenshot
from tests.factories import rollup_absence, rollup_row

pytestmark = pytest.mark.browser


@pytest.fixture
def rollup(school, other_school):
    today = timezone.localdate()
    start = dt.date(today.year if today.month >= 8 else today.year - 1, 8, 1)
    for month in months_from(start, today):
        rollup_absence(school, month, 5, absent=100, school_time=2000, pupils=20)
        rollup_absence(school, month, 6, absent=30, school_time=300, pupils=3)
        rollup_absence(school, month, 0, absent=130, school_time=2300, pupils=23)
        rollup_absence(other_school, month, 5, absent=60, school_time=3000, pupils=30)
        rollup_absence(other_school, month, 0, absent=60, school_time=3000, pupils=30)
        rollup_row(school, month, "flags_raised", "undocumented", 12, 9)
        rollup_row(school, month, "flags_raised", "*", 12, 9)


def test_municipality_overview_in_chromium(
    page, live_server, municipal_admin, municipality, school, rollup
):
    login(page, live_server, municipal_admin)
    page.get_by_role("link", name=f"Kommunens oversikt for {municipality.name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kommunens oversikt")
    assert_styled(page)
    table = page.get_by_role("table").filter(has_text="6. trinn").first
    row = table.get_by_role("row").filter(has_text="Nordby skole")
    expect(row).to_contain_text("<5")
    page.get_by_label("Skole (valgfritt)").select_option(label="Nordby skole")
    page.get_by_label("Trinn (fraværsandel) (valgfritt)").select_option(label="6. trinn")
    page.get_by_role("button", name="Vis").click()
    expect(page.get_by_role("heading", level=2).filter(has_text="Nordby skole")).to_be_visible()
    # Only grade 6 and the total: Nordby's grade 6 (3 pupils) stays hidden.
    table = page.get_by_role("table").filter(has_text="6. trinn").first
    cells = table.get_by_role("row").filter(has_text="Nordby skole").get_by_role("cell")
    expect(cells).to_have_text(["<5", "5,7 %"])
    axe_check(page, label="municipality overview")
    screenshot(page, "municipality-overview")
    # One group of figures at a time: the flags are a click away, with the filters kept.
    expect(page.get_by_role("heading", name="Varsler etter regel", exact=False)).to_have_count(0)
    figures = page.get_by_role("navigation", name="Tall som vises")
    expect(figures.get_by_role("link", name="Fraværsandel etter trinn")).to_have_attribute(
        "aria-current", "page"
    )
    figures.get_by_role("link", name="Varsler etter regel").click()
    expect(
        page.get_by_role("heading", level=2).filter(has_text="Varsler etter regel")
    ).to_be_visible()
    expect(page.get_by_label("Skole (valgfritt)")).to_have_value(str(school.pk))
    expect(
        page.get_by_role("heading", level=2).filter(has_text="Fraværsandel etter trinn")
    ).to_have_count(0)
    assert_clean_console(page)


def test_semester_status_in_chromium(page, live_server, leader, school, pupil):
    login(page, live_server, leader)
    page.get_by_role("link", name=f"Semesterstatus – {school.name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Semesterstatus")
    assert_styled(page)
    expect(page.get_by_role("table").filter(has_text="Fravær etter klasse").first).to_contain_text(
        "5A"
    )
    axe_check(page, label="semester status")
    screenshot(page, "semester-status")
    href = page.get_by_role("link", name="Last ned som PDF").get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert_clean_console(page)
