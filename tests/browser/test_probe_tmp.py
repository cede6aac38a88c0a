import pytest, json, re
from playwright.sync_api import expect
from tests.browser.conftest import login, screenshot, axe_check
from tests.conftest import make_pupil

@pytest.mark.browser
def test_probe(page, live_server, contact_teacher, pupil, school_day, group):
    login(page, live_server, contact_teacher)
    page.goto(f"/klasser/{group.pk}/fravaer/?dato={school_day.isoformat()}")
    n = "document.querySelectorAll('[style]').length"
    print("load", page.evaluate(n))
    page.get_by_role("group", name="Fravær for Ola Nordmann").get_by_label("Hele dagen").check()
    print("check", page.evaluate(n))
    page.screenshot(path="/tmp/x.png", caret="initial")
    print("shot", page.evaluate(n))
    page.screenshot(path="/tmp/x.png", full_page=True, caret="initial")
    print("fullshot", page.evaluate(n), page.evaluate("[...document.querySelectorAll('[style]')].slice(0,3).map(e=>e.outerHTML)"))
    page.problems.clear()
