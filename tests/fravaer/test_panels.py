"""`fravaer.panels`: a page shows what `settings.PAGE_PANELS` names for it, in order,
each panel where its slot is; a panel function that returns None adds nothing."""

import uuid
from types import SimpleNamespace

from django.test import RequestFactory
from django.urls import reverse

from fravaer.panels import Panel, panels_for
from tests.factories import make_flag
from tests.pages import html_of

FIRST, SECOND = uuid.uuid4(), uuid.uuid4()
LINK = "cases/includes/_pupil_case_link.html"  # "Gå til saken" for open_cases[pupil]
CALLED = []


def first(request, *, pupil, **page):
    CALLED.append(("first", sorted(page)))
    return Panel(LINK, {"open_cases": {pupil.pk: SimpleNamespace(uuid=FIRST)}})


def second(request, *, pupil, **page):
    return [
        Panel(LINK, {"open_cases": {pupil.pk: SimpleNamespace(uuid=SECOND)}}),
        Panel(LINK, {"open_cases": {}}, slot="flag_actions"),
    ]


def card_link(request, *, flagged_pupils, **page):
    cases = {e.pupil.pk: SimpleNamespace(uuid=FIRST) for e in flagged_pupils}
    return Panel(LINK, {"open_cases": cases}, slot="pupil_links")


def nothing(request, **page):
    CALLED.append(("nothing", sorted(page)))


def test_panels_for_calls_the_pages_functions_in_order_and_groups_them_by_slot(settings, pupil):
    settings.PAGE_PANELS = {
        "pupil_detail": [
            "tests.fravaer.test_panels.nothing",
            "tests.fravaer.test_panels.first",
            "tests.fravaer.test_panels.second",
        ]
    }
    CALLED.clear()
    request = RequestFactory().get("/")
    panels = panels_for("pupil_detail", request, pupil=pupil, grant=None)
    assert CALLED == [("nothing", ["grant", "pupil"]), ("first", ["grant"])]
    assert [p.context["open_cases"][pupil.pk].uuid for p in panels["main"]] == [FIRST, SECOND]
    assert [p.slot for p in panels["flag_actions"]] == ["flag_actions"]
    assert panels["school"] == []  # a slot nobody fills
    assert panels_for("page_without_panels", request) == {}


def test_the_pupil_page_renders_its_panels_in_order(settings, client_for, contact_teacher, pupil):
    settings.PAGE_PANELS = {
        "pupil_detail": ["tests.fravaer.test_panels.first", "tests.fravaer.test_panels.second"]
    }
    html = html_of(client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])))
    first_at, second_at = html.find(str(FIRST)), html.find(str(SECOND))
    assert html.find('id="h-totals"') < first_at < second_at


def test_a_panel_that_returns_none_adds_nothing(settings, client_for, contact_teacher, pupil):
    make_flag(pupil)
    url = reverse("pupil", args=[pupil.uuid])
    client = client_for(contact_teacher)
    with_case_panel = html_of(client.get(url))
    assert 'id="h-pupil-case"' in with_case_panel  # cases.panels.pupil_case
    assert "Opprett sak" in with_case_panel
    settings.PAGE_PANELS = {"pupil_detail": ["tests.fravaer.test_panels.nothing"]}
    without = html_of(client.get(url))
    assert 'id="h-pupil-case"' not in without
    assert "Opprett sak" not in without
    assert 'id="h-flags"' in without  # the page's own sections stay


def test_the_start_page_renders_its_panels(settings, client_for, contact_teacher, pupil):
    make_flag(pupil)
    settings.PAGE_PANELS = {
        "home": [],
        "flagged_pupils": ["tests.fravaer.test_panels.card_link"],
    }
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    assert reverse("cases:case", args=[FIRST]) in html  # in the pupil's card
    assert "Opprett sak" not in html  # cases.panels.flagged_pupils_cases is not there
