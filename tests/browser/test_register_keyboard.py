"""The class register by keyboard (the most frequent task): a present pupil's row is a
name and a status, its detail fields appear once a status needs them, and Enter in a
row saves the class. Also the register's width at 1280 px after a save."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fravaer.models import AbsenceRecord
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_clean_console,
    axe_check,
    login,
    screenshot,
)
from tests.conftest import make_pupil

pytestmark = pytest.mark.browser

CLASS_SIZE = 25

# What has focus, said so that a failed step reads plainly.
FOCUSED = """(() => {
  const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
          value: el.value || "", id: el.id || "", href: el.getAttribute("href") || ""};
})()"""


@pytest.fixture
def class_of_25(group):
    """A class of 25, in the register's order (by last name)."""
    return [make_pupil(group, first=f"Elev{n:02d}", last=f"Aas{n:02d}") for n in range(CLASS_SIZE)]


class Keyboard:
    """Playwright's keyboard, counting every key press as the user makes it."""

    def __init__(self, page):
        self.page = page
        self.presses = 0

    def press(self, key: str, times: int = 1) -> dict:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.presses += 1
        return self.page.evaluate(FOCUSED)

    def tab_to(self, name: str, *, limit: int = 60) -> dict:
        """Tab until the control named `name` has focus (a user tabbing to a field)."""
        for _ in range(limit):
            focused = self.press("Tab")
            if focused["name"] == name:
                return focused
        pytest.fail(f"never reached {name} by Tab; last focus {focused}")


def register_url(group, day):
    return f"/klasser/{group.pk}/fravaer/?dato={day.isoformat()}"


def test_three_absences_in_a_class_of_25_take_at_most_40_key_presses(
    page, live_server, contact_teacher, group, class_of_25, school_day
):
    first, second, third = class_of_25[:3]
    login(page, live_server, contact_teacher)
    page.goto(register_url(group, school_day))
    screenshot(page, "register-keyboard-1280-start")
    keys = Keyboard(page)

    # The skip link, then into the page's content.
    assert keys.press("Tab")["href"] == "#main"
    keys.press("Enter")
    # Pupil 1: whole day. The status group is one tab stop; the arrows choose.
    keys.tab_to("p0-status")
    assert keys.press("ArrowRight")["value"] == "day"
    # Pupil 2: 2 lessons. Pupil 1's row (whole day) is passed on the way.
    keys.tab_to("p1-status")
    assert keys.press("ArrowRight", 2)["value"] == "lesson"
    assert keys.press("Tab")["name"] == "p1-lessons", "the count follows the status"
    keys.press("2")
    # Pupil 3: 10 minutes late, and Enter saves the class.
    keys.tab_to("p2-status")
    assert keys.press("ArrowRight", 3)["value"] == "late"
    assert keys.press("Tab")["name"] == "p2-minutes_late", "the minutes follow the status"
    keys.press("1")
    keys.press("0")
    with page.expect_response(lambda r: r.request.method == "POST"):
        keys.press("Enter")
    expect(page.locator("#register-body .messages .ds-alert")).to_contain_text("3 nye")

    print(f"\nkey presses for three absences in a class of {CLASS_SIZE}: {keys.presses}")
    saved = {r.pupil_id: r for r in AbsenceRecord.objects.current()}
    assert set(saved) == {first.pk, second.pk, third.pk}
    assert saved[first.pk].kind == AbsenceRecord.Kind.DAY
    assert (saved[second.pk].kind, saved[second.pk].lessons) == (AbsenceRecord.Kind.LESSON, 2)
    assert (saved[third.pk].kind, saved[third.pk].minutes_late) == (AbsenceRecord.Kind.LATE, 10)
    assert keys.presses <= 40
    screenshot(page, "register-keyboard-1280-saved")
    assert_clean_console(page)


def fill_three_absences_by_mouse(page, pupils):
    first, second, third = pupils

    def status(pupil):
        return page.get_by_role("group", name=f"Fravær for {pupil.full_name}")

    status(first).get_by_label("Hele dagen").check()
    status(second).get_by_label("Timer").check()
    page.get_by_label(f"Antall timer for {second.full_name}").fill("2")
    status(third).get_by_label("For sent").check()
    page.get_by_label(f"Minutter for sent for {third.full_name}").fill("10")


def test_register_fits_1280_px_after_a_save_with_undocumented_rows(
    page, live_server, contact_teacher, group, class_of_25, school_day
):
    page.set_viewport_size(DESKTOP)
    login(page, live_server, contact_teacher)
    page.goto(register_url(group, school_day))
    fill_three_absences_by_mouse(page, class_of_25[:3])
    page.get_by_role("button", name=f"Lagre fravær for {school_day:%d.%m.%Y}").click()
    expect(page.locator("#register-body .messages .ds-alert")).to_contain_text("3 nye")
    expect(page.locator("table.register .tag-undocumented")).to_have_count(3)
    screenshot(page, "register-1280-saved")

    sizes = page.evaluate(
        """(() => {
          const wrap = document.querySelector('#register-body .table-wrap');
          const note = [...wrap.querySelectorAll('thead th')]
            .find(th => th.textContent.trim() === 'Merknad');
          const w = wrap.getBoundingClientRect(), n = note.getBoundingClientRect();
          const html = document.documentElement;
          return {scroll: wrap.scrollWidth, client: wrap.clientWidth,
                  page: html.scrollWidth, viewport: html.clientWidth,
                  noteRight: n.right, wrapRight: w.right};
        })()"""
    )
    print(f"\nregister at 1280 px after a save: {sizes}")
    axe_check(page, label="register-1280-saved")
    assert sizes["scroll"] <= sizes["client"], "the register scrolls sideways"
    assert sizes["page"] <= sizes["viewport"], "the page scrolls sideways"
    assert sizes["noteRight"] <= sizes["wrapRight"], "the Merknad column is cut off"
    page.set_viewport_size(PHONE)
    screenshot(page, "register-375-saved")
    assert_clean_console(page)


@pytest.mark.parametrize("where", ["status", "documented"])
def test_enter_on_a_rows_choice_saves_the_class(
    page, live_server, contact_teacher, group, class_of_25, school_day, where
):
    """The page says that Enter in a field saves: also on the status and the checkbox."""
    pupil = class_of_25[0]
    login(page, live_server, contact_teacher)
    page.goto(register_url(group, school_day))
    expect(page.locator("#register-help")).to_contain_text("Enter")
    page.get_by_role("group", name=f"Fravær for {pupil.full_name}").get_by_label(
        "Hele dagen"
    ).check()
    control = {
        "status": page.get_by_role("group", name=f"Fravær for {pupil.full_name}").get_by_label(
            "Hele dagen"
        ),
        "documented": page.get_by_label(f"Dokumentert for {pupil.full_name}"),
    }[where]
    control.focus()
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator("#register-body .messages .ds-alert")).to_contain_text("1 ny,")
    assert AbsenceRecord.objects.current().get().pupil_id == pupil.pk
    assert_clean_console(page)
