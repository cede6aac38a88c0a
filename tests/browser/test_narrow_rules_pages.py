"""A phone (375 px) on the municipality's rules page (a card per rule, the threshold
with its unit and range on screen) and the school's flags page (the rule × class
counts scroll under a fixed rule column, the list is cards); and the pupil page's
"Registrer fravær" form, which shows only the chosen kind's fields, by CSS alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fravaer.models import AbsenceRecord
from tests.browser.conftest import (
    DESKTOP,
    PASSWORD,
    PHONE,
    assert_clean_console,
    axe_check,
    login,
    screenshot,
    wait_until,
)
from tests.conftest import make_group, make_pupil
from tests.factories import make_flag, saved_before_the_ranges

pytestmark = pytest.mark.browser


# Every rect of these elements inside the window's width, and no box wider than its box.
OFF_SCREEN_JS = """(selectors) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width && (r.left < -0.5 || r.right > width + 0.5)) {
        out.push(`${sel} #${el.id || ''} "${el.textContent.trim().slice(0, 40)}" ` +
                 `${Math.round(r.left)}..${Math.round(r.right)} of ${width}`);
      }
    }
  }
  return out;
}"""


def sideways(page) -> dict:
    return page.evaluate(
        """(() => {
          const de = document.documentElement;
          return {page: de.scrollWidth - de.clientWidth,
                  wraps: [...document.querySelectorAll('.table-wrap')].map(
                    w => [w.querySelector('table').className, w.scrollWidth - w.clientWidth])};
        })()"""
    )


def assert_on_screen(page, *selectors: str) -> None:
    off = page.evaluate(OFF_SCREEN_JS, list(selectors))
    assert not off, "off screen:\n" + "\n".join(off)


# --- the municipality's rules ---------------------------------------------------------


def test_rules_are_cards_with_the_threshold_its_unit_and_range_on_a_phone(
    page, live_server, municipal_admin, municipality
):
    # A threshold saved before the ranges: its warning is the longest text in a card.
    saved_before_the_ranges(municipality, municipal_admin)
    page.set_viewport_size(PHONE)
    login(page, live_server, municipal_admin)
    page.goto(f"/kommune/{municipality.pk}/regler/")
    expect(page.get_by_role("heading", name="Regler og grenser")).to_be_visible()
    widths = sideways(page)
    assert widths["page"] <= 0 and all(w <= 0 for _, w in widths["wraps"]), widths
    table = page.locator("table.rules-table")
    expect(table.locator("thead")).to_be_hidden()
    # Each threshold's input, unit and range (and the warning) on screen.
    fields = table.locator(".ds-field-affixes > .ds-input")
    assert fields.count() == 12  # every rule but "Udokumentert fravær" has a threshold
    assert_on_screen(
        page,
        ".rules-table .ds-field-affixes > .ds-input",
        ".rules-table .ds-field-affix",
        ".rules-table [id$='_threshold-hint']",
        ".rules-table [id$='_threshold-hint'] strong",
        ".rules-table .cell-label",
        ".rules-table th[scope=row] > *",
    )
    expect(table.get_by_text("Grensen som gjelder nå, er utenfor dette.")).to_be_visible()
    card = table.locator("tbody tr", has_text="Dager i en måned").first
    for label in ("På", "Grense", "Standard og kilde"):
        expect(card.locator(".cell-label", has_text=label)).to_be_visible()
    # The unit beside its input, the range under it; still filled in and named in full.
    threshold = page.get_by_label("Grense for «Dager i en måned» (dager)")
    unit = card.locator(".ds-field-affix")
    expect(unit).to_have_text("dager")
    box, unit_box = threshold.bounding_box(), unit.bounding_box()
    assert abs(box["y"] - unit_box["y"]) < 2 and unit_box["x"] >= box["x"] + box["width"] - 1
    assert box["width"] >= 60, box  # room for the number itself
    threshold.fill("4")
    # "På" is part of the switch's label: a tap on it turns the rule off.
    switch = page.get_by_label("På: Dager i en måned")
    expect(switch).to_be_checked()
    card.locator(".cell-label", has_text="På").click()
    expect(switch).not_to_be_checked()
    axe_check(page, label="narrow-rules")
    screenshot(page, "narrow-rules")

    page.set_viewport_size(DESKTOP)
    expect(page.get_by_role("columnheader", name="Standard og kilde")).to_be_visible()
    expect(card.locator(".cell-label").first).to_be_hidden()
    widths = sideways(page)
    assert all(w <= 0 for _, w in widths["wraps"]), widths
    screenshot(page, "wide-rules")
    assert_clean_console(page)


# --- the school's flags ---------------------------------------------------------------


@pytest.fixture
def flags_in_many_classes(school, school_year):
    """Eight classes with active flags: more count columns than a phone has room for."""
    pupils = []
    for grade in range(1, 9):
        group = make_group(school, school_year, name=f"{grade}A", grade=grade)
        pupil = make_pupil(group, first=f"Elev{grade}", last="Berg")
        make_flag(pupil, "month_days")
        make_flag(pupil, "fifteen_weeks_days")
        pupils.append(pupil)
    return pupils


def test_the_flag_counts_keep_the_rule_in_view_and_the_list_is_cards_on_a_phone(
    page, live_server, leader, school, flags_in_many_classes
):
    page.set_viewport_size(PHONE)
    login(page, live_server, leader)
    page.goto(f"/skole/{school.pk}/varsler/")
    matrix = page.locator("table.flag-matrix")
    expect(matrix).to_be_visible()
    assert sideways(page)["page"] <= 0
    # The counts scroll inside their box, a focusable group named by the caption.
    wrap = page.locator(".table-wrap", has=matrix)
    expect(wrap).to_have_attribute("role", "group")
    expect(wrap).to_have_attribute("tabindex", "0")
    expect(wrap).to_have_attribute("aria-label", "Antall aktive varsler per regel og klasse")
    rule = matrix.get_by_role("rowheader", name="Dager i en måned")
    start = rule.bounding_box()
    wrap_box = wrap.bounding_box()
    assert start["width"] <= PHONE["width"] / 2, start  # room left for the counts
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    wait_until(wrap, "w => w.scrollLeft > 0")
    # Scrolled to the last class, the rule's name is still at the left, over the counts.
    expect(matrix.get_by_role("columnheader", name="8A")).to_be_in_viewport()
    after = rule.bounding_box()
    assert abs(after["x"] - wrap_box["x"]) < 1, (after, wrap_box)
    on_top = page.evaluate(
        """(el) => { const r = el.getBoundingClientRect();
                     const hit = document.elementFromPoint(r.left + 5, r.top + r.height / 2);
                     return el.contains(hit); }""",
        rule.element_handle(),
    )
    assert on_top, "a count shows through the fixed rule column"
    for header in (matrix.locator("thead th").first, matrix.locator("tfoot th").first):
        assert abs(header.bounding_box()["x"] - wrap_box["x"]) < 1, header.text_content()

    flags = page.locator("table.flag-list")
    expect(flags.locator("thead")).to_be_hidden()
    assert [w for cls, w in sideways(page)["wraps"] if "flag-list" in cls] == [0]
    card = flags.locator("tbody tr").first
    for label in ("Klasse", "Regel", "Forklaring", "Varslet"):
        expect(card.locator(".cell-label", has_text=label)).to_be_visible()
    assert_on_screen(page, ".flag-list .cell-label", ".flag-list td", ".flag-list th")
    axe_check(page, label="narrow-school-flags")
    screenshot(page, "narrow-school-flags")

    page.set_viewport_size(DESKTOP)
    expect(flags.get_by_role("columnheader", name="Forklaring")).to_be_visible()
    expect(card.locator(".cell-label").first).to_be_hidden()
    wait_until(wrap, "w => !w.hasAttribute('tabindex')")
    screenshot(page, "wide-school-flags")
    assert_clean_console(page)


# --- the pupil page's "Registrer fravær" ----------------------------------------------

KIND_FIELDS = {
    "Hele dagen": (),
    "Timefravær": ("lessons", "subject"),
    "Forsentkomming": ("minutes_late", "subject"),
}


def assert_fields_for(form, kind: str) -> None:
    # By id: a label lookup that finds nothing would pass "hidden" by mistake.
    for name in ("lessons", "subject", "minutes_late"):
        field = form.locator(f"#id_{name}")
        expect(field).to_have_count(1)
        if name in KIND_FIELDS[kind]:
            expect(field, f"{name} with {kind}").to_be_visible()
        else:
            expect(field, f"{name} with {kind}").to_be_hidden()
    for name in ("date", "reason", "note", "documented"):
        expect(form.locator(f"#id_{name}")).to_be_visible()


def test_the_absence_form_shows_the_chosen_kinds_fields_without_javascript(
    browser, live_server, contact_teacher, pupil
):
    context = browser.new_context(
        java_script_enabled=False, locale="nb-NO", viewport=PHONE, base_url=live_server.url
    )
    try:
        page = context.new_page()
        page.goto("/logg-inn/")
        page.get_by_label("Brukernavn (e-post)").fill(contact_teacher.username)
        page.get_by_label("Passord").fill(PASSWORD)
        page.get_by_role("button", name="Logg inn", exact=True).click()
        page.goto(f"/elever/{pupil.uuid}/")
        form = page.locator("form", has=page.get_by_role("heading", name="Registrer fravær"))
        assert_fields_for(form, "Hele dagen")
        for kind in ("Timefravær", "Forsentkomming", "Hele dagen", "Timefravær"):
            form.get_by_label(kind, exact=True).check()
            assert_fields_for(form, kind)
        # Required for lesson absence: not called optional, and the hint says when.
        expect(form.locator("label[for=id_lessons]")).to_have_text("Antall timer")
        expect(form.get_by_label("Antall timer", exact=True)).to_have_accessible_description(
            "Må fylles ut ved timefravær. Var eleven borte alle timene, velg «Hele dagen»."
        )
        assert_on_screen(page, ".record-form .ds-input", ".record-form .ds-label")
    finally:
        context.close()


def test_the_absence_form_saves_only_the_chosen_kinds_fields(
    page, live_server, contact_teacher, pupil, school_day
):
    login(page, live_server, contact_teacher)
    page.goto(f"/elever/{pupil.uuid}/")
    form = page.locator("form", has=page.get_by_role("heading", name="Registrer fravær"))
    form.get_by_label("Dato").fill(school_day.isoformat())
    form.get_by_label("Forsentkomming", exact=True).check()
    form.get_by_label("Minutter for sent").fill("10")
    form.get_by_label("Timefravær", exact=True).check()  # the minutes are now hidden
    form.get_by_role("button", name="Registrer", exact=True).click()

    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_text(["Antall timer: Oppgi antall timer."])
    form = page.locator("form", has=page.get_by_role("heading", name="Registrer fravær"))
    count = form.get_by_label("Antall timer", exact=True)
    expect(count).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#id_lessons-err")).to_have_text("Oppgi antall timer.")
    expect(form.get_by_label("Minutter for sent")).to_be_hidden()
    axe_check(page, label="pupil-record-form-error")
    screenshot(page, "pupil-record-form-error")

    count.fill("2")
    form.get_by_role("button", name="Registrer", exact=True).click()
    expect(page.get_by_text("Fraværet er registrert.")).to_be_visible()
    record = AbsenceRecord.objects.get(pupil=pupil)
    assert (record.kind, record.lessons, record.minutes_late) == ("lesson", 2, None)
    assert_clean_console(page)
