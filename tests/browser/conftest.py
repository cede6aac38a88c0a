"""Playwright (sync API) on Debian's Chromium against pytest-django's live server.

Browser tests run on real time (the suite's frozen clock would not reach the live
server's thread), so every date here is computed from `timezone.localdate()`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from cases.actions.consent import record_consent, refer_to_ppt
from cases.actions.core import change_level, open_case
from cases.actions.meetings import schedule_meeting
from cases.models import Case, Meeting
from fravaer.models import Flag, Group, Pupil, SchoolYear, User
from tests.cases.conftest import logged_conversation
from tests.conftest import make_pupil

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-Test-123!"  # what tests/conftest.py's make_user sets
SHOTS = Path("/tmp/shots")  # noqa: S108 - a fixed place people look at after a run
BLOCKING_IMPACTS = ("serious", "critical")
# Chromium reports a blocked inline script/style, eval or foreign resource like this.
CSP_MESSAGE = re.compile(r"Content[ -]Security[ -]Policy", re.IGNORECASE)


# The two widths the pages are checked at: a phone and a desktop.
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const el = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 200) : "";
  window.__cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:` +
    `${e.lineNumber}:${e.columnNumber} sample=${JSON.stringify(e.sample)} element=${el}`);
});
"""


def school_day_before(day: dt.date) -> dt.date:
    """The most recent weekday on or before `day` (no non-school days are created)."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def weekend_day_before(day: dt.date) -> dt.date:
    """The most recent Saturday or Sunday on or before `day`."""
    while day.weekday() < 5:
        day -= dt.timedelta(days=1)
    return day


@pytest.fixture
def school_day() -> dt.date:
    return school_day_before(timezone.localdate())


@pytest.fixture
def school_year(db) -> SchoolYear:
    """Overrides the suite's fixed 2026–2027 year: the school year containing today."""
    start, end = SchoolYear.bounds_for(timezone.localdate())
    return SchoolYear.objects.create(start=start, end=end)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the browser tests", pytrace=False)
        pytest.skip(message)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs on greenlets, which carry their own context; Django
    # keeps a connection per context, so one opened before Playwright starts would be
    # left open (and block dropping the test database). Close it first, and after.
    connections.close_all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    connections.close_all()


@contextmanager
def watched_page(browser, live_server) -> Iterator:
    """A fresh browser context (its own cookies: one person) in Norwegian and Oslo
    time.

    Collects Content-Security-Policy violations (a blocked inline script or style
    shows up as a console error), uncaught JavaScript errors and failed requests for
    our own files; any of them fails the test when the page is done with. Tests that
    want the failure at a precise step call `assert_clean_console(page)`.
    """
    context = browser.new_context(
        locale="nb-NO",
        timezone_id="Europe/Oslo",
        viewport=DESKTOP,
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    # The DOM event says which element or source broke the policy; the console only
    # says that something did.
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]

    def on_console(message):
        if message.type in ("error", "warning") and CSP_MESSAGE.search(message.text):
            page.problems.append(f"CSP ({page.url}): {message.text}")

    def on_response(response):
        ours = response.url.startswith(live_server.url)
        # Pages may answer 4xx on purpose (a test can check a 404); files may not.
        if ours and response.status >= 400 and response.request.resource_type != "document":
            page.problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.problems.append(f"JS error ({page.url}): {error}"))
    page.on("response", on_response)
    try:
        yield page
        problems = list(page.problems) + _csp_events(page)
    finally:
        context.close()
    if problems:
        pytest.fail("Browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """The test's browser page (`watched_page`); a second person's comes from
    `watched_page` directly."""
    with watched_page(browser, live_server) as page:
        yield page


def _csp_events(page) -> list[str]:
    try:
        events = page.evaluate("window.__cspViolations ? window.__cspViolations.splice(0) : []")
    except Exception:  # noqa: BLE001 - the page may be closed or navigating
        return []
    return [f"CSP event ({page.url}): {e}" for e in events]


def assert_clean_console(page) -> None:
    """No CSP violation, JavaScript error or failed static file so far."""
    problems = list(page.problems) + _csp_events(page)
    page.problems.clear()
    assert not problems, "\n".join(problems)


def assert_styled(page) -> None:
    """Designsystemet's theme and components are loaded (not unstyled HTML)."""
    accent = page.evaluate(
        "getComputedStyle(document.documentElement)"
        ".getPropertyValue('--ds-color-accent-base-default').trim()"
    )
    assert accent, "Designsystemet theme variables are missing: is static/vendor installed?"
    radius = page.evaluate(
        "(() => { const b = document.querySelector('.ds-button');"
        " return b ? getComputedStyle(b).borderTopLeftRadius : 'n/a'; })()"
    )
    assert radius != "0px", "a .ds-button has no Designsystemet styling"


def login(page, live_server, user: User) -> None:
    """Log in through the real login form and land on the start page."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/logg-inn/")
    page.get_by_label("Brukernavn (e-post)").fill(user.username)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn", exact=True).click()
    # "Logg ut" is in the header's menu (templates/base.html), closed until opened.
    expect(page.locator(".user-menu > summary")).to_be_visible()
    expect(page.locator(".user-menu form[action='/logg-ut/']")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/")


def open_user_menu(page) -> None:
    """Open the header's menu (language, settings, password, log out) by keyboard."""
    page.locator(".user-menu > summary").focus()
    page.keyboard.press("Enter")


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # caret="initial": hiding the caret makes Playwright leave style="" on every
    # input, which htmx's settle then copies with setAttribute; the strict CSP blocks
    # that and the test would report a violation no user can cause.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def _describe(violation: dict) -> str:
    targets = "; ".join(" ".join(str(t) for t in node["target"]) for node in violation["nodes"])
    return (
        f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
        f"    {len(violation['nodes'])} node(s): {targets}"
    )


def axe_check(page, *, label: str = "") -> list[dict]:
    """Run axe-core on the current page; fail listing every serious or critical
    violation (rule, help text, target nodes). Returns all violations, so minor and
    moderate findings can be read in the captured output."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    where = label or page.url
    for violation in violations:
        print(f"axe {where}: {_describe(violation)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(
            f"axe-core found {len(blocking)} serious/critical violation(s) on {where}:\n"
            + "\n".join(_describe(v) for v in blocking),
            pytrace=False,
        )
    return violations


def assert_focus_never_under_the_save_bar(page, *, max_tabs: int) -> None:
    """Tab from the focused element to the register's save bar; fail if any control
    focused on the way is hidden under the sticky bar (WCAG 2.4.11)."""
    hidden = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """(() => {
              const el = document.activeElement, bar = document.querySelector('.save-bar');
              return {name: el.id || el.textContent.trim(), inBar: bar.contains(el),
                      bottom: el.getBoundingClientRect().bottom,
                      barTop: bar.getBoundingClientRect().top};
            })()"""
        )
        if state["inBar"]:
            break
        if state["bottom"] > state["barTop"]:
            hidden.append(state["name"])
    else:
        pytest.fail("never reached the save button by tabbing")
    assert not hidden, f"focused but hidden under the save bar: {hidden}"


def wait_until(target, expression: str, *, timeout: float = 5.0) -> None:
    """Poll `expression` on `target` (a page, or a locator whose element the function
    gets) until it is true; fail after `timeout` seconds. Playwright's
    `wait_for_function` polls its predicate through eval, which the site's
    Content-Security-Policy forbids once the first check is false."""
    deadline = time.monotonic() + timeout
    while not target.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


# --- the case workflow: a flagged pupil, and a case referred to PPT ---------------------


@dataclass
class Scene:
    group: Group
    pupil: Pupil
    flag: Flag
    other_pupil: Pupil
    other_case: Case


def flag_raised_today(pupil: Pupil, group: Group, today: dt.date) -> Flag:
    """An active month_days flag raised today, as the nightly scan makes it."""
    start = today.replace(day=1)
    return Flag.objects.create(
        pupil=pupil,
        school=group.school,
        group=group,
        rule="month_days",
        status="active",
        period_key=f"{today:%Y-%m}",
        period_start=start,
        period_end=today,
        value=Decimal(4),
        threshold=Decimal(3),
        as_of=today,
        raised_at=timezone.now(),
    )


@pytest.fixture
def scene(group, pupil, contact_teacher, team_member, leader, ppt_advisor) -> Scene:
    """5A: Ola Nordmann (guardian Kari Nordmann) has an active flag and no case; Ada
    Berg has an open nivå 0 case that is not referred. The municipality has one PPT
    advisor; a PPT advisor in another municipality must never see Ola's case."""
    today = timezone.localdate()
    flag = flag_raised_today(pupil, group, today)
    ada = make_pupil(group, first="Ada", last="Berg")
    other_case = open_case(
        ada, school=group.school, concern="Ofte borte på fredager.", by=contact_teacher
    )
    return Scene(group=group, pupil=pupil, flag=flag, other_pupil=ada, other_case=other_case)


@pytest.fixture
def referred(scene, contact_teacher) -> Case:
    """Ola's case, opened from the flag, taken through nivå 0 and 1 to PPT with the
    actions the pages call: one conversation, a meeting, PPT consent, a referral."""
    today = timezone.localdate()
    case = open_case(
        scene.pupil,
        school=scene.group.school,
        concern=scene.flag.explanation(),
        by=contact_teacher,
        flag=scene.flag,
    )
    logged_conversation(
        case,
        held_on=today,
        answers={"pupil_thriving": "Ikke i friminuttene."},
        summary="Vi møtes neste uke.",
        by=contact_teacher,
    )
    case = change_level(
        case, to="1", by=contact_teacher, reason="Fraværet fortsetter.", version=case.version
    )
    guardian = scene.pupil.guardians.get()
    schedule_meeting(
        case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=timezone.now() + dt.timedelta(days=2),
        place="Møterom 2",
        guardians=[guardian],
        by=contact_teacher,
    )
    record_consent(
        case,
        service="ppt",
        purpose="Pedagogisk analyse",
        guardians=[guardian],
        given_on=today,
        by=contact_teacher,
    )
    refer_to_ppt(case, reason="Ønsker en pedagogisk analyse.", by=contact_teacher)
    case.refresh_from_db()
    return case
