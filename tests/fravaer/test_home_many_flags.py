"""The start page with many flags (issue #15, §2): pupils in order of urgency, whole
cards for the first few within a budget of flags, one line for each of the rest, and
their cards on demand ("Vis alle": htmx in place, or `?alle=1` without JavaScript)."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from fravaer import queries
from tests.conftest import make_pupil
from tests.factories import make_flag
from tests.pages import html_of, query_count

HOME = reverse("home")


def flagged(group, n, rules=("month_days", "month_hours", "month_late")):
    """`n` pupils, each with a flag of every one of `rules`, the later pupils newer."""
    pupils = []
    start = timezone.now() - dt.timedelta(days=1)
    for i in range(n):
        p = make_pupil(group, first=f"Elev{i:02d}")
        for rule in rules:
            make_flag(p, rule, raised_at=start + dt.timedelta(minutes=i))
        pupils.append(p)
    return pupils


def test_undocumented_absence_comes_first_then_the_most_severe_rule_then_the_newest(
    client_for, contact_teacher, group
):
    now = timezone.now()
    late = make_pupil(group, first="Late")
    make_flag(late, "month_late", raised_at=now)
    leaders = make_pupil(group, first="Leaders")
    make_flag(leaders, "year_days_leadership", raised_at=now - dt.timedelta(days=2))
    undocumented = make_pupil(group, first="Undocumented")
    make_flag(undocumented, "undocumented", raised_at=now - dt.timedelta(days=5))
    older_days = make_pupil(group, first="OlderDays")
    make_flag(older_days, "month_days", raised_at=now - dt.timedelta(days=3))
    newer_days = make_pupil(group, first="NewerDays")
    make_flag(newer_days, "month_days", raised_at=now - dt.timedelta(days=1))
    entries = client_for(contact_teacher).get(HOME + "?alle=1").context["flagged_pupils"]
    assert [e.pupil for e in entries] == [undocumented, leaders, newer_days, older_days, late]


def test_many_flagged_pupils_show_a_few_whole_cards_and_a_line_for_the_rest(
    client_for, contact_teacher, group
):
    pupils = flagged(group, 30)  # 90 flags
    response = client_for(contact_teacher).get(HOME)
    whole, rest = response.context["flagged_pupils"], response.context["more_pupils"]
    assert len(whole) == queries.HOME_FLAGS // 3 and len(whole) + len(rest) == 30
    # The newest first (all have the same rules), each a line with its rules.
    assert [e.pupil for e in whole] == pupils[::-1][: len(whole)]
    html = html_of(response)
    assert len(re.findall(r'<li class="ds-card flagged-pupil"', html)) == len(whole)
    assert len(re.findall(r'<div id="flag-\d+" class="stack">', html)) == queries.HOME_FLAGS
    line = html[html.index('id="more-pupils"') :]
    for e in rest:
        assert reverse("pupil", args=[e.pupil.uuid]) in line
    assert "Dager i en måned, Timer i en måned, Forsentkomminger i en måned" in line
    assert f"{len(rest)} elever til med aktive varsler" in html
    assert 'href="/?alle=1#varsler"' in html and 'hx-get="/?alle=1"' in html
    assert "Vis alle (30)" in html


def test_the_first_card_is_whole_however_many_flags_it_has(client_for, contact_teacher, group):
    rules = ("month_days", "month_hours", "month_late")
    pupil = make_pupil(group)
    for month in range(1, 6):
        for rule in rules:
            make_flag(pupil, rule, period_start=dt.date(2026, month, 1))
    flagged(group, 3)
    response = client_for(contact_teacher).get(HOME)
    [whole] = response.context["flagged_pupils"]
    assert len(whole.flags) == 15 > queries.HOME_FLAGS
    assert len(response.context["more_pupils"]) == 3


def test_few_flagged_pupils_are_all_whole_cards(client_for, contact_teacher, group):
    flagged(group, 3, rules=("month_days",))
    response = client_for(contact_teacher).get(HOME)
    assert len(response.context["flagged_pupils"]) == 3
    assert response.context["more_pupils"] == []
    assert 'id="more-pupils"' not in html_of(response)


def test_show_all_without_javascript_shows_every_card_whole(client_for, contact_teacher, group):
    flagged(group, 12)
    response = client_for(contact_teacher).get(HOME + "?alle=1")
    assert len(response.context["flagged_pupils"]) == 12
    assert response.context["more_pupils"] == []
    html = html_of(response)
    assert "<html" in html and "Vis alle" not in html


def test_show_all_with_htmx_answers_with_the_rest_of_the_cards_and_moves_focus(
    client_for, contact_teacher, group
):
    flagged(group, 12)
    client = client_for(contact_teacher)
    shown = {e.pupil.pk for e in client.get(HOME).context["flagged_pupils"]}
    response = client.get(HOME + "?alle=1", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = html_of(response)
    assert "<html" not in html
    assert html.lstrip().startswith(
        '<ul class="ds-list--unstyled flagged-pupils" id="more-pupils">'
    )
    cards = response.context["flagged_pupils"]
    assert len(cards) == 12 - len(shown) and not {e.pupil.pk for e in cards} & shown
    assert html.count("data-focus-on-load") == 1
    first = cards[0].pupil
    heading = re.search(r"<h3[^>]*data-focus-on-load[^>]*>([^<]*)", html)
    assert heading and heading[1].strip() == first.full_name


def test_show_all_with_htmx_shows_nobody_elses_pupils(client_for, outsider, pupil, group):
    make_flag(pupil, "month_days")
    response = client_for(outsider).get(HOME + "?alle=1", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert pupil.full_name not in html_of(response)


def test_the_start_pages_queries_and_size_do_not_grow_with_89_flags(
    client_for, contact_teacher, group
):
    client = client_for(contact_teacher)
    flagged(group, 5)
    few = query_count(client, HOME)
    small = len(client.get(HOME).content)
    flagged(group, 25)  # 90 flags in all
    assert query_count(client, HOME) == few
    # The same budget of whole cards; the rest adds a line a pupil.
    assert len(client.get(HOME).content) < small + 25 * 1000
