"""Recording an evaluation in a real browser: from the case page's "Registrer
evaluering", a form sent with the pupil's view and a why missing shows the messages at
their fields with focus on the summary and nothing typed lost; once fixed, the outcome
"continue" is saved and the evaluation page shows the outcome and the effect, and the
next version of the plan lists the measure found not working."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.actions.core import open_case
from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot
from tests.factories import agreed_version, at_level

pytestmark = pytest.mark.browser


def school_days_ahead(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


@pytest.fixture
def plan(group, pupil, contact_teacher):
    case = open_case(pupil, school=group.school, concern="Mye fravær.", by=contact_teacher)
    at_level(case, "1", by=contact_teacher)
    today = timezone.localdate()
    version = agreed_version(
        case, by=contact_teacher, agreed_on=today - dt.timedelta(days=14), measures=2
    )
    return case, version


def test_record_an_evaluation_with_outcome_continue(page, live_server, plan, contact_teacher):
    case, version = plan
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{case.uuid}/")
    page.get_by_role("link", name="Registrer evaluering").first.click()
    expect(page.get_by_role("heading", name="Registrer evaluering", level=1)).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Fravær før og etter planen"))).to_be_visible()

    page.get_by_label("Delvis nådd").check()
    page.get_by_label("Virket ikke", exact=True).first.check()
    page.get_by_label("Virket", exact=True).nth(1).check()
    # The new evaluation date shows only when "continue" is chosen.
    expect(page.locator("#id_next_evaluation_date")).to_be_hidden()
    page.get_by_role("radio", name="Delvis: fortsett samme plan med ny evalueringsdato").check()
    expect(page.locator("#id_next_evaluation_date")).to_be_visible()
    page.get_by_label("Begrunnelse for utfallet").fill("Bedre, men ikke godt nok ennå.")
    page.get_by_role("button", name="Lagre evalueringen").click()

    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#id_pupil_view-err")).to_contain_text("Skriv elevens egen stemme.")
    first = version.measures.first()
    expect(page.locator(f"#id_measure_{first.pk}_why-err")).to_contain_text("Skriv kort hvorfor")
    expect(page.get_by_label("Begrunnelse for utfallet")).to_have_value(
        "Bedre, men ikke godt nok ennå."
    )
    axe_check(page, label="evaluation-form-errors")
    screenshot(page, "evaluation-form-errors")

    page.locator("#id_pupil_view").fill("Det hjelper at noen venter på meg.")
    page.locator(f"#id_measure_{first.pk}_why").fill("Biblioteket var stengt.")
    next_date = school_days_ahead(timezone.localdate(), 10)
    page.locator("#id_next_evaluation_date").fill(next_date.isoformat())
    page.get_by_role("button", name="Lagre evalueringen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Evaluering "))
    expect(page.locator("section[aria-labelledby=h-outcome]")).to_contain_text(
        f"ny evaluering {next_date:%d.%m.%Y}"
    )
    expect(page.get_by_role("table", name="Virket tiltakene?")).to_contain_text(
        "Biblioteket var stengt."
    )
    axe_check(page, label="evaluation-page")
    screenshot(page, "evaluation-page")

    # The next version lists the measure the evaluation found not working.
    page.get_by_role("link", name="Til tiltaksplanen").click()
    page.get_by_role("button", name="Endre planen (ny versjon)").click()
    failed = page.locator("section[aria-labelledby=h-failed]")
    expect(failed).to_contain_text(first.what)
    expect(failed).to_contain_text("Biblioteket var stengt.")
    assert_clean_console(page)
