"""Acknowledging a flag in a browser: a refused reason re-shows the flag whole (its
records too), puts focus in the field and keeps working after the swap; on the pupil
page and on the contact teacher's start page, which share the flag's partial."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_clean_console,
    axe_check,
    login,
    school_day_before,
    screenshot,
)
from tests.factories import absence, make_flag

pytestmark = pytest.mark.browser


@pytest.fixture
def flag(pupil, contact_teacher):
    """A 15-week flag with two whole days of documented illness behind it (documented,
    so that the scan the records set off raises no flags of its own)."""
    today = timezone.localdate()
    first = school_day_before(today)
    second = school_day_before(first - dt.timedelta(days=1))
    for day in (first, second):
        absence(pupil, day, contact_teacher, documented=True)
    return make_flag(
        pupil,
        "fifteen_weeks_days",
        period_key=f"episode:{today.isoformat()}",
        period_start=today - dt.timedelta(days=104),
        period_end=today,
        as_of=today,
        value=11,
        threshold=10,
    )


def refuse_an_empty_reason(page, flag) -> None:
    item = page.locator(f"#flag-{flag.pk}")
    records = item.locator("summary", has_text="Alt fravær")
    item.locator("summary", has_text="Kvitter ut").click()
    item.get_by_role("button", name=re.compile("^Kvitter ut")).click()

    reason = item.get_by_label("Kort begrunnelse")
    expect(item.get_by_text("Skriv en kort begrunnelse.")).to_be_visible()
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    # The flag is whole again: its explanation and the records behind it.
    expect(item).to_contain_text("grense: over 10.")
    expect(records).to_contain_text("(2 registreringer)")
    records.click()
    expect(item.locator(".ds-details li")).to_have_count(2)
    expect(item.locator(".ds-details li").first).to_contain_text("Hele dagen (sykdom)")


def test_a_refused_reason_on_the_pupil_page_keeps_the_records(
    page, live_server, contact_teacher, pupil, flag
):
    login(page, live_server, contact_teacher)
    page.goto(f"/elever/{pupil.uuid}/")
    item = page.locator(f"#flag-{flag.pk}")
    expect(item.locator("summary", has_text="Alt fravær")).to_contain_text("(2 registreringer)")
    refuse_an_empty_reason(page, flag)
    axe_check(page, label="pupil-flag-refused")
    screenshot(page, "flag-acknowledge-refused")

    item.get_by_label("Kort begrunnelse").fill("influensa, avklart med foresatte")
    item.get_by_role("button", name=re.compile("^Kvitter ut")).click()
    expect(item).to_contain_text("Varselet er kvittert ut.")
    expect(item).to_contain_text("«influensa, avklart med foresatte»")
    expect(item.locator("summary", has_text="Alt fravær")).to_be_visible()
    assert_clean_console(page)


def test_a_refused_reason_on_the_start_page_keeps_the_records(
    page, live_server, contact_teacher, pupil, flag
):
    login(page, live_server, contact_teacher)
    # The start page lists flags without their records; the answer adds them.
    expect(page.locator(f"#flag-{flag.pk}")).to_contain_text("grense: over 10.")
    refuse_an_empty_reason(page, flag)
    axe_check(page, label="start-page-flag-refused")
    screenshot(page, "flag-acknowledge-refused-start-page")
    assert_clean_console(page)
