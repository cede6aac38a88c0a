"""Case forms in a real browser: consent and conversation date
errors at their field (summary link moves focus there), and the case board's filters
(an unknown value in the link drops only that filter; an owner given their first case
in place can be filtered on without reloading)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.actions.core import open_case
from cases.models import Case
from fravaer.models import StaffRole
from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot
from tests.conftest import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def open_case_(group, pupil, contact_teacher) -> Case:
    return open_case(pupil, school=group.school, concern="Mye fravær.", by=contact_teacher)


def test_consent_dates_out_of_range_are_shown_at_their_fields(
    page, live_server, open_case_, contact_teacher
):
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{open_case_.uuid}/samtykke/ny/")
    page.get_by_label("Tjeneste").select_option(label="Helsesykepleier")
    page.get_by_label("Formål").fill("Samtaler med eleven")
    page.get_by_label("Kari Nordmann").check()
    page.get_by_label("Gitt dato").fill("1900-01-01")
    page.get_by_label("Utløper").fill("2199-01-01")
    page.get_by_role("button", name="Lagre samtykket").click()

    given = page.get_by_label("Gitt dato")
    expect(given).to_have_attribute("aria-invalid", "true")
    expect(given).to_have_value("1900-01-01")
    expect(page.locator("#id_given_on-err")).to_contain_text("før eleven ble født (01.01.2014)")
    expect(page.locator("#id_expires_on-err")).to_contain_text("høyst 3 år")
    expect(page.locator(".ds-error-summary")).to_be_focused()
    axe_check(page, label="consent-form-date-errors")
    screenshot(page, "fixes-consent-date-errors")
    page.locator(".ds-error-summary").get_by_role("link", name=re.compile("^Gitt dato")).click()
    expect(given).to_be_focused()
    assert_clean_console(page)


def test_conversation_over_a_year_ago_is_shown_at_the_date(
    page, live_server, open_case_, contact_teacher
):
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{open_case_.uuid}/samtaler/ny/")
    old = timezone.localdate() - dt.timedelta(days=400)
    page.get_by_label("Dato for samtalen").fill(old.isoformat())
    page.get_by_role("radio").first.check()
    page.locator("input[name=medium]").first.check()
    page.get_by_label("Oppsummering og veien videre").fill("Eleven sier at mandager er tunge.")
    page.get_by_role("button", name="Lagre samtalen").click()

    held_on = page.get_by_label("Dato for samtalen")
    expect(held_on).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_held_on-err")).to_contain_text("i løpet av det siste året")
    expect(page.get_by_label("Oppsummering og veien videre")).to_have_value(
        "Eleven sier at mandager er tunge."
    )
    axe_check(page, label="conversation-form-date-error")
    screenshot(page, "fixes-conversation-date-error")
    assert_clean_console(page)


def test_board_keeps_valid_filters_and_offers_a_new_owner_at_once(
    page, live_server, open_case_, team_member, school
):
    colleague = make_user("kollega@nordby.no", first_name="Kari", last_name="Kollega")
    StaffRole.objects.create(user=colleague, school=school, role=StaffRole.Role.ENVIRONMENT_TEAM)
    pupil = open_case_.pupil.full_name
    login(page, live_server, team_member)
    page.goto(f"/skole/{school.pk}/saker/?nivaa=0&ansvarlig=abc")
    expect(page.get_by_text("Filteret «Saksansvarlig» i lenken har en verdi")).to_be_visible()
    expect(page.get_by_label("Nivå", exact=True)).to_have_value("0")
    expect(page.get_by_label("Saksansvarlig", exact=True)).to_have_value("")
    expect(page.get_by_role("link", name=pupil)).to_be_visible()
    axe_check(page, label="case-board-ignored-filter")
    screenshot(page, "fixes-board-ignored-filter")

    # Give the case to a colleague who had none, in place; then filter on them.
    page.get_by_label(f"Saksansvarlig for {pupil}").select_option(label="Kari Kollega")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name=f"Lagre – {pupil}", exact=True).click()
    row = page.locator(f"#sak-{open_case_.uuid}")
    expect(row.get_by_role("status")).to_contain_text("er nå Kari Kollega.")
    owner_filter = page.get_by_label("Saksansvarlig", exact=True)
    owner_filter.select_option(label="Kari Kollega")
    expect(page).to_have_url(re.compile(rf"ansvarlig={colleague.pk}"))
    expect(page.get_by_role("status").first).to_contain_text("1 åpen sak vises.")
    expect(page.get_by_role("link", name=pupil)).to_be_visible()
    expect(page.get_by_text("i lenken har en verdi")).to_have_count(0)
    assert_clean_console(page)
