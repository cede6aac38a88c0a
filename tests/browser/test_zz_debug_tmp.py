import pytest, re
from playwright.sync_api import expect
from tests.browser.conftest import login

@pytest.mark.browser
def test_dbg(page, live_server, contact_teacher, pupil, group, school_day):
    page.on("framenavigated", lambda f: print("NAV", f.url))
    page.on("request", lambda r: print("REQ", r.method, r.url) if "/static/" not in r.url else None)
    login(page, live_server, contact_teacher)
    page.get_by_role("link", name="Registrer fravær i dag – 5A").click()
    expect(page.get_by_role("heading", name="Fravær – 5A", level=1)).to_be_visible()
    print("count", page.locator("#register-body [role=status]").count())
    page.get_by_role("link", name="Forrige skoledag").click()
    page.wait_for_timeout(1500)
    print("URL", page.url)
    from fravaer.models import NonSchoolDay; print(list(NonSchoolDay.objects.all()))
    page.problems.clear()
