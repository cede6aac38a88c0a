"""The contact teacher's start page in a browser: a pupil's many flags fold behind one
keyboard-operable disclosure, one line a rule; acknowledging one on the card swaps the
card (focus on the status) and, with nothing left, leaves only the status."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fravaer.models import Flag
from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot
from tests.conftest import make_pupil
from tests.factories import make_flag

pytestmark = pytest.mark.browser


def months_back(n: int) -> list[dt.date]:
    """The first days of the `n` months before this one, oldest first."""
    first = timezone.localdate().replace(day=1)
    days = []
    for _i in range(n):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        days.append(first)
    return days[::-1]


def month_flag(pupil, first: dt.date) -> Flag:
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return make_flag(
        pupil,
        "month_days",
        period_key=first.strftime("%Y-%m"),
        period_start=first,
        period_end=last,
        as_of=last,
    )


def undocumented_flag(pupil) -> Flag:
    day = timezone.localdate() - dt.timedelta(days=1)
    return make_flag(
        pupil,
        "undocumented",
        period_key=f"record:{day.isoformat()}",
        period_start=day,
        period_end=day,
        as_of=day,
    )


@pytest.fixture
def flags(pupil) -> dict:
    return {
        "undocumented": undocumented_flag(pupil),
        "months": [month_flag(pupil, first) for first in months_back(3)],
    }


def card_of(page, pupil):
    return page.locator(f"#elev-{pupil.uuid}")


def test_many_flags_fold_one_line_a_rule_and_a_month_can_be_acknowledged(
    page, live_server, contact_teacher, pupil, flags
):
    login(page, live_server, contact_teacher)
    card = card_of(page, pupil)
    expect(card).to_contain_text("4 aktive varsler")
    expect(card).to_contain_text("Dager i en måned (3)")
    # The undocumented absence is open with its actions; the months are folded.
    expect(card.locator(f"#flag-{flags['undocumented'].pk}")).to_be_visible()
    expect(card.get_by_role("button", name=re.compile("^Opprett sak")).first).to_be_visible()
    first_month = card.locator(".flag-period > summary").first
    expect(first_month).to_be_hidden()

    more = card.locator("summary", has_text="Vis 3 varsler til")
    more.focus()
    page.keyboard.press("Enter")  # a native disclosure: the keyboard opens it
    expect(first_month).to_be_visible()
    expect(card.locator(".flag-rules > li")).to_have_count(1)  # one line for the rule
    expect(card.locator(".flag-period")).to_have_count(3)
    axe_check(page, label="start-page-folded-open")

    month = flags["months"][0]
    first_month.click()
    item = card.locator(f"#flag-{month.pk}")
    expect(item).to_be_visible()
    screenshot(page, "home-density-month-open")
    item.locator("summary", has_text="Kvitter ut").click()
    item.get_by_label("Kort begrunnelse").fill("sykdom, avklart med foresatte")
    item.get_by_role("button", name=re.compile("^Kvitter ut")).click()

    status = card.get_by_text("Varselet er kvittert ut.")
    expect(status).to_be_visible()
    expect(card.locator("[data-focus-on-load]").first).to_be_focused()
    expect(card).to_contain_text("3 aktive varsler")
    expect(card.locator(f"#flag-{month.pk}")).to_have_count(0)
    # The list stays open where the teacher was working.
    expect(card.locator(".flag-period")).to_have_count(2)
    expect(card.locator(".flag-period > summary").first).to_be_visible()
    month.refresh_from_db()
    assert month.status == Flag.Status.ACKNOWLEDGED
    assert_clean_console(page)


def test_acknowledging_the_last_flag_takes_its_open_case_button_away(
    page, live_server, contact_teacher, group, pupil
):
    flag = undocumented_flag(pupil)
    other = make_pupil(group, first="Kari", last="Berg")
    undocumented_flag(other)
    login(page, live_server, contact_teacher)
    card = card_of(page, pupil)
    expect(card.get_by_role("button", name=re.compile("^Opprett sak"))).to_be_visible()

    card.locator("summary", has_text="Kvitter ut").click()
    card.get_by_label("Kort begrunnelse").fill("influensa")
    card.get_by_role("button", name=re.compile("^Kvitter ut")).click()

    expect(card).to_contain_text(f"{pupil.full_name} har ingen flere aktive varsler.")
    expect(card.locator("[data-focus-on-load]").first).to_be_focused()
    expect(card.get_by_role("button", name=re.compile("^Opprett sak"))).to_have_count(0)
    expect(card.get_by_role("button", name=re.compile("^Kvitter ut"))).to_have_count(0)
    # The other pupil's card is untouched.
    open_other = card_of(page, other).get_by_role("button", name=re.compile("^Opprett sak"))
    expect(open_other).to_be_visible()
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    axe_check(page, label="start-page-card-emptied")
    assert_clean_console(page)


@pytest.mark.parametrize("width", [1280, 375])
def test_the_start_page_stays_short_with_many_flags(
    page, live_server, contact_teacher, group, pupil, flags, width
):
    for i in range(4):
        other = make_pupil(group, first=f"Elev{i}")
        for first in months_back(4):
            month_flag(other, first)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, contact_teacher)
    cards = page.locator("li.flagged-pupil")
    # 20 flags: whole cards up to the budget of 12 flags, a line each for the rest.
    expect(cards).to_have_count(3)
    expect(page.locator("#more-pupils li")).to_have_count(2)
    # Four months of one rule, folded, take a line, not four cards' worth of forms.
    heights = [box["height"] for box in (c.bounding_box() for c in cards.all())]
    assert max(heights) < (900 if width == 375 else 600), heights
    assert page.locator(".flag-period:visible").count() == 0
    # The folded rules are named on the summary line where there is room for them.
    rules = page.locator(".flag-summary__rules").first
    if width == 375:
        expect(rules).to_be_hidden()
    else:
        expect(rules).to_be_visible()
    axe_check(page, label=f"start-page-dense-{width}")
    screenshot(page, f"home-density-{width}")
    assert_clean_console(page)
