"""After a save that returns the user to a section of a long page, the message and the
focus are in that section, in view: not at the top of the page, far above it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.actions.core import open_case
from cases.models import Case
from tests.browser.conftest import assert_clean_console, axe_check, login, screenshot

pytestmark = pytest.mark.browser

# Where the focused element is, against the window, and how far the view moved.
FOCUS_PLACE = """(() => {
  const el = document.activeElement, box = el.getBoundingClientRect();
  return {text: el.textContent.trim(), inSection: !!el.closest('#samtaler'),
          top: box.top, bottom: box.bottom, height: window.innerHeight,
          scrollY: window.scrollY};
})()"""


@pytest.fixture
def case_(group, pupil, contact_teacher) -> Case:
    return open_case(pupil, school=group.school, concern="Mye fravær.", by=contact_teacher)


def test_saved_conversation_focuses_its_message_in_the_conversations_section_in_view(
    page, live_server, case_, contact_teacher
):
    login(page, live_server, contact_teacher)
    page.goto(f"/saker/{case_.uuid}/samtaler/ny/")
    page.get_by_role("group", name="Samtale med").get_by_label("Eleven", exact=True).check()
    page.get_by_role("group", name="Form").get_by_label("Telefon").check()
    page.get_by_label("Oppsummering og veien videre").fill("Vi følger opp.")
    page.get_by_role("button", name="Lagre samtalen").click()

    message = page.locator("#samtaler .messages .ds-alert")
    expect(message).to_have_text("Samtalen er registrert.")
    expect(message).to_be_focused()
    place = page.evaluate(FOCUS_PLACE)
    print(f"\nfocus after 'Lagre samtalen': {place}")
    assert place["inSection"], place
    assert place["top"] >= 0 and place["bottom"] <= place["height"], "the message is out of view"
    # The page went to the section (it is not at the top), and the message is the only one.
    assert place["scrollY"] > 0
    expect(page.locator(".messages")).to_have_count(1)
    screenshot(page, "conversation-saved-focus")
    axe_check(page, label="conversation-saved")
    assert_clean_console(page)
