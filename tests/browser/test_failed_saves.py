"""An in-place (htmx) save that fails says so where the user is: a save refused for its
content puts "Feil:" first in the title, as a full page load does; a save that gets no
answer to show (a refused security check after a login in another tab) says beside the
form that nothing was saved, and takes focus there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fravaer.models import AbsenceRecord
from tests.browser.conftest import assert_clean_console, login
from tests.conftest import make_pupil

pytestmark = pytest.mark.browser


def register_url(group, day):
    return f"/klasser/{group.pk}/fravaer/?dato={day.isoformat()}"


@pytest.fixture
def two_pupils(group):
    return [
        make_pupil(group, first="Anna", last="Berg"),
        make_pupil(group, first="Bo", last="Dahl"),
    ]


def test_an_in_place_save_with_errors_says_feil_in_the_title_and_a_good_one_takes_it_away(
    page, live_server, contact_teacher, group, two_pupils, school_day
):
    anna = two_pupils[0]
    login(page, live_server, contact_teacher)
    page.goto(register_url(group, school_day))
    title = page.title()
    assert not title.startswith("Feil")
    row = page.get_by_role("group", name=f"Fravær for {anna.full_name}")
    row.get_by_label("Timer").check()
    # No number of lessons: refused at the row, answered in place.
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_label(f"Merknad for {anna.full_name}").press("Enter")
    expect(page.locator("main .ds-error-summary")).to_be_visible()
    expect(page).to_have_title(f"Feil: {title}")

    page.get_by_label(f"Antall timer for {anna.full_name}").fill("2")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_label(f"Merknad for {anna.full_name}").press("Enter")
    expect(page.locator("main .ds-error-summary")).to_have_count(0)
    expect(page).to_have_title(title)
    assert AbsenceRecord.objects.filter(pupil=anna, lessons=2).exists()


def test_an_in_place_save_refused_by_the_security_check_says_nothing_was_saved(
    page, live_server, contact_teacher, group, two_pupils, school_day
):
    anna = two_pupils[0]
    login(page, live_server, contact_teacher)
    page.goto(register_url(group, school_day))
    # As after a login or logout in another tab: the token this page holds no longer
    # matches the browser's security cookie (here: the cookie is a new one).
    page.context.clear_cookies(name="csrftoken")
    page.context.add_cookies([{"name": "csrftoken", "value": "n" * 32, "url": live_server.url}])
    page.get_by_role("group", name=f"Fravær for {anna.full_name}").get_by_label(
        "Hele dagen"
    ).check()
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_label(f"Merknad for {anna.full_name}").press("Enter")
    assert answered.value.status == 403
    alert = page.locator(".request-failed")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("ikke lagret")
    expect(alert).to_contain_text("Last inn siden på nytt")
    expect(alert).to_be_focused()
    assert not AbsenceRecord.objects.filter(pupil=anna).exists()
    # The refused POST itself is the one error the console may show.
    page.problems[:] = [p for p in page.problems if "403" not in p]
    assert_clean_console(page)
