"""The walkthrough's double submit: a double click on "Sett opp møtet" made two
meetings. static/js/app.js now sends a form once while its request is on its way, and
gives every POST form a key the server saves once (tests/fravaer/test_submissions.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.actions.core import open_case
from cases.models import Case, Meeting
from fravaer.models import ContactLog, SubmissionKey
from tests.browser.conftest import assert_clean_console, login

pytestmark = pytest.mark.browser

UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
POST_FORM_KEYS = """() => Array.from(document.forms)
  .filter((form) => form.method === "post")
  .map((form) => {
    const input = form.elements.namedItem("_submission");
    return input ? input.value : null;
  })"""


@pytest.fixture
def open_case_(group, pupil, contact_teacher) -> Case:
    return open_case(pupil, school=group.school, concern="Mye fravær.", by=contact_teacher)


def fill_meeting(page, case) -> None:
    page.goto(f"/saker/{case.uuid}/moter/nytt/")
    day = timezone.localdate() + dt.timedelta(days=2)
    page.get_by_label("Dato", exact=True).fill(day.isoformat())
    page.get_by_label("Klokkeslett").fill("10:00")
    page.get_by_label("Sted", exact=True).fill("Møterom 2")


def posts_to(page, path: str) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and path in r.url else 0)
    return sent


def test_double_click_on_sett_opp_motet_schedules_one_meeting(
    page, live_server, open_case_, contact_teacher
):
    login(page, live_server, contact_teacher)
    fill_meeting(page, open_case_)
    sent = posts_to(page, "/moter/nytt/")
    button = page.get_by_role("button", name="Sett opp møtet")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # The walkthrough's double click: the second click comes once the first request
    # is on its way (a click on the same page a few milliseconds later).
    with page.expect_request(lambda request: request.method == "POST"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)

    expect(page).to_have_url(re.compile(rf"/saker/{open_case_.uuid}/moter/[0-9a-f-]{{36}}/$"))
    expect(page.get_by_text("Møtet er satt opp.")).to_be_visible()
    assert len(sent) == 1
    assert Meeting.objects.filter(case=open_case_).count() == 1
    assert SubmissionKey.objects.filter(user=contact_teacher).count() == 1
    assert_clean_console(page)


def test_form_on_its_way_is_marked_and_not_sent_again(
    page, live_server, open_case_, contact_teacher
):
    login(page, live_server, contact_teacher)
    fill_meeting(page, open_case_)
    # Count what the browser would send, and stay on the page: the last listener (on
    # the window) sees each submit after app.js's and stops the navigation.
    page.evaluate(
        """() => {
          window.__sent = 0;
          window.addEventListener("submit", (event) => {
            if (!event.defaultPrevented) window.__sent += 1;
            event.preventDefault();
          });
        }"""
    )
    button = page.get_by_role("button", name="Sett opp møtet")

    button.click()
    expect(button).to_have_attribute("aria-disabled", "true")
    button.click(force=True)
    page.get_by_label("Sted", exact=True).press("Enter")
    assert page.evaluate("window.__sent") == 1

    # Back to the page from the browser's cache: the form can be sent again.
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    button.click()
    assert page.evaluate("window.__sent") == 2
    assert not Meeting.objects.exists()
    assert_clean_console(page)


def test_every_post_form_has_a_key_after_load_and_after_an_htmx_swap(
    page, live_server, contact_teacher, pupil
):
    login(page, live_server, contact_teacher)
    page.goto(f"/elever/{pupil.uuid}/kontakt/")
    keys = page.evaluate(POST_FORM_KEYS)
    assert len(keys) >= 3  # the contact form, the language choice, "Logg ut"
    assert all(key and UUID.match(key) for key in keys), keys
    assert len(set(keys)) == len(keys)
    before = page.locator("#contact-log form input[name=_submission]").input_value()
    sent = posts_to(page, "/kontakt/")

    page.get_by_label("Hva ble sagt").fill("Ringte mor, alt i orden.")
    page.get_by_label("Utfall").select_option("clarified")
    page.get_by_role("button", name="Lagre kontakt").dblclick()

    expect(page.locator("#contact-log")).to_contain_text("Ringte mor, alt i orden.")
    assert len(sent) == 1
    assert ContactLog.objects.filter(pupil=pupil).count() == 1
    after = page.locator("#contact-log form input[name=_submission]").input_value()
    assert UUID.match(after) and after != before
    keys = page.evaluate(POST_FORM_KEYS)
    assert all(key and UUID.match(key) for key in keys), keys
    # An htmx form its answer leaves in place gets a new key once answered.
    first, second = page.evaluate(
        """() => {
          const form = document.querySelector("#contact-log form");
          const first = form.elements.namedItem("_submission").value;
          form.dispatchEvent(new CustomEvent("htmx:afterRequest",
            {bubbles: true, detail: {elt: form, successful: true}}));
          return [first, form.elements.namedItem("_submission").value];
        }"""
    )
    assert UUID.match(second) and second != first
    assert_clean_console(page)
