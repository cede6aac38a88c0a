import pytest, json
from tests.browser.conftest import login, screenshot, axe_check
from tests.conftest import make_pupil

@pytest.mark.browser
def test_probe(page, live_server, contact_teacher, pupil, school_day, group):
    ada = make_pupil(group, first="Ada", last="Berg")
    page.context.add_init_script("""
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', e => window.__csp.push({
        dir: e.violatedDirective, src: e.sourceFile, line: e.lineNumber, col: e.columnNumber,
        sample: e.sample, blocked: e.blockedURI, el: e.target && e.target.outerHTML && e.target.outerHTML.slice(0,300)}));
    """)
    login(page, live_server, contact_teacher)
    page.goto(f"/klasser/{group.pk}/fravaer/?dato={school_day.isoformat()}")
    def dump(tag):
        print(tag, json.dumps(page.evaluate("window.__csp.splice(0)"), indent=1)[:1500])
    page.get_by_role("group", name=f"Fravær for {ada.full_name}").get_by_label("Timer").check(); dump("timer")
    page.get_by_label(f"Antall timer for {ada.full_name}").fill("2"); dump("antall")
    page.get_by_label(f"Fag for {ada.full_name}").fill("Matematikk"); dump("fag")
    page.wait_for_timeout(300); dump("fag-wait")
    page.get_by_label(f"Dokumentert for {ada.full_name}").check(); dump("dok")
    page.get_by_label(f"Årsak for {ada.full_name}").select_option(label="Sykdom"); dump("arsak")
    page.get_by_label(f"Minutter for sent for {ada.full_name}").fill("10"); dump("min")
    screenshot(page, "probe"); dump("shot")
    page.screenshot(path="/tmp/probe2.png", caret="initial"); dump("shot-caret-initial")
    page.screenshot(path="/tmp/probe2.png", full_page=True, caret="initial"); dump("shot-full-caret-initial")
    print(page.problems)
    page.problems.clear()
