"""The pupil page's year calendar: the "Timefravær" fill stands out from the days around
it (3:1, WCAG 1.4.11), and its digit is readable on it (4.5:1)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fravaer.actions import AbsenceInput, record_absence
from fravaer.models import AbsenceReason
from fravaer.schooldays import SchoolCalendar
from tests.browser.conftest import assert_clean_console, login

pytestmark = pytest.mark.browser

COLOURS = """(() => {
  const style = (selector, prop) => {
    const el = document.querySelector(selector);
    return el ? getComputedStyle(el)[prop] : null;
  };
  return {lesson: style('.month td.abs-lesson', 'backgroundColor'),
          digit: style('.month td.abs-lesson', 'color'),
          closed: style('.month td.closed', 'backgroundColor'),
          page: getComputedStyle(document.body).backgroundColor,
          swatch: style('.swatch.abs-lesson', 'backgroundColor')};
})()"""


def luminance(css: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_lesson_absence_in_the_year_calendar_has_enough_contrast(
    page, live_server, contact_teacher, group, pupil, school_day
):
    reasons = {
        r.code: r for r in AbsenceReason.objects.filter(municipality=group.school.municipality)
    }
    record_absence(
        pupil,
        day=school_day,
        by=contact_teacher,
        calendar=SchoolCalendar.from_days([]),
        lessons_per_day=group.lessons_per_day,
        data=AbsenceInput(kind="lesson", lessons=2, documented=True, reason=reasons["illness"]),
    )
    login(page, live_server, contact_teacher)
    page.goto(f"/elever/{pupil.uuid}/")
    expect(page.locator(".month td.abs-lesson")).to_have_count(1)
    colours = page.evaluate(COLOURS)
    ratios = {
        "against the page": contrast(colours["lesson"], colours["page"]),
        "against a closed day": contrast(colours["lesson"], colours["closed"]),
        "digit": contrast(colours["lesson"], colours["digit"]),
    }
    print(f"\nTimefravær {colours}: {ratios}")
    assert ratios["against the page"] >= 3
    assert ratios["against a closed day"] >= 3
    assert ratios["digit"] >= 4.5
    assert colours["swatch"] == colours["lesson"], "the legend shows the same fill"
    assert_clean_console(page)
