"""The case page shows what an upper app adds to it (`settings.PAGE_PANELS["case_detail"]`,
where `plans` plugs in), with the case and the user's grant."""

from django.urls import reverse

from fravaer.panels import Panel
from tests.pages import html_of

SEEN = []


def case_panel(request, *, case, grant, **page):
    SEEN.append((case.pk, grant.case.pk, request.user.pk))
    return Panel("cases/includes/_flag_open_case.html", {"pupil": case.pupil, "flag": None})


def test_the_case_page_renders_its_panels(settings, client_for, contact_teacher, case):
    settings.PAGE_PANELS = {"case_detail": ["tests.cases.test_case_panels.case_panel"]}
    SEEN.clear()
    html = html_of(client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid])))
    assert [(case.pk, case.pk, contact_teacher.pk)] == SEEN
    assert reverse("cases:case_open", args=[case.pupil.uuid]) in html


def test_the_case_page_has_only_the_plans_apps_panels(settings, client_for, contact_teacher, case):
    # `plans` is the only app above `cases`.
    assert all(path.startswith("plans.") for path in settings.PAGE_PANELS["case_detail"])
    html = html_of(client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid])))
    assert reverse("cases:case_open", args=[case.pupil.uuid]) not in html
