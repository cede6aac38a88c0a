"""The municipality's overview: figures read from the rollup, small numbers
suppressed (also by combining filters, and complementarily), no names, only for the
municipality's own administrator, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from fravaer.actions.rollups import recompute_rollups
from fravaer.models import Municipality, School, StaffRole
from fravaer.suppression import Cell, suppress
from tests.conftest import make_pupil, make_user
from tests.factories import raw_record, rollup_absence, rollup_row

OCTOBER = dt.date(2026, 10, 1)


def url(municipality, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("municipality_overview", args=[municipality.pk]) + (f"?{query}" if query else "")


def cells_of(html: str, section: str) -> list[list[str]]:
    """The rows (header and cells) of a section's table, as text."""
    part = html.split(f'id="h-{section}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", part, re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


# --- the rules, without a database ----------------------------------------------------


def test_a_cell_under_five_pupils_is_hidden():
    grid = {("a", "x"): Cell(3, 3), ("a", "y"): Cell(10, 10), ("a", "T"): Cell(13, 13)}
    assert ("a", "x") in suppress(grid, ["a"], ["x", "y", "T"])
    assert grid[("a", "x")].hidden


def test_a_lone_hidden_cell_in_a_row_hides_a_second_one():
    # 20 - 12 - 5 would give the hidden 3 away: the smallest other cell goes too.
    grid = {
        ("a", "x"): Cell(3, 3),
        ("a", "y"): Cell(5, 5),
        ("a", "z"): Cell(12, 12),
        ("a", "T"): Cell(20, 20),
    }
    hidden = suppress(grid, ["a"], ["x", "y", "z", "T"])
    assert hidden == {("a", "x"), ("a", "y")}


def test_complementary_suppression_also_runs_down_the_columns():
    # School b's hidden 2 would show as the municipality's 14 minus a's 12.
    grid = {
        ("a", "x"): Cell(12, 12),
        ("a", "T"): Cell(12, 12),
        ("b", "x"): Cell(2, 2),
        ("b", "T"): Cell(2, 2),
        ("m", "x"): Cell(14, 14),
        ("m", "T"): Cell(14, 14),
    }
    hidden = suppress(grid, ["a", "b", "m"], ["x", "T"])
    assert ("b", "x") in hidden and ("b", "T") in hidden
    # Column x had one hidden cell: a second one went with it, and so for T.
    assert ("a", "x") in hidden and ("a", "T") in hidden
    for line in (["a", "b", "m"],):
        for column in ("x", "T"):
            assert sum((r, column) in hidden for r in line) != 1


# --- the page -------------------------------------------------------------------------


@pytest.fixture
def published(municipality, school, other_school):
    """October: Nordby has 20 pupils in grade 5 and 3 in grade 6; Sørby 30 in grade 5."""
    rollup_absence(school, OCTOBER, 5, absent=100, school_time=2000, pupils=20)
    rollup_absence(school, OCTOBER, 6, absent=30, school_time=300, pupils=3)
    rollup_absence(school, OCTOBER, 0, absent=130, school_time=2300, pupils=23)
    rollup_absence(other_school, OCTOBER, 5, absent=60, school_time=3000, pupils=30)
    rollup_absence(other_school, OCTOBER, 0, absent=60, school_time=3000, pupils=30)
    rollup_row(school, OCTOBER, "flags_raised", "undocumented", 12, 9)
    rollup_row(school, OCTOBER, "flags_raised", "month_days", 2, 2)
    rollup_row(school, OCTOBER, "flags_raised", "*", 14, 10)
    return {"school": school, "other": other_school}


def test_rates_by_grade_and_small_numbers(client_for, municipal_admin, published, municipality):
    page = client_for(municipal_admin).get(url(municipality, maaned="2026-10")).content.decode()
    rows = cells_of(page, "absence")
    assert rows[0] == ["Skole", "5. trinn", "6. trinn", "I alt"]
    # Nordby's grade 6 (3 pupils) is hidden, and so is the municipality's grade 6,
    # which is Nordby's alone. By complement Nordby's grade 5 goes too (its total
    # minus grade 5 would give grade 6 away), and the municipality's grade 5 (its
    # total minus grade 5 would give its grade 6 away).
    assert rows[1] == ["Nordby skole", "<5", "<5", "5,7 %"]
    assert rows[2] == ["Sørby skole", "2,0 %", "–", "2,0 %"]
    assert rows[3] == ["Hele kommunen", "<5", "<5", "3,6 %"]


def test_flags_by_rule_hide_a_rule_under_five_and_its_complement(
    client_for, municipal_admin, published, municipality
):
    html = (
        client_for(municipal_admin)
        .get(url(municipality, maaned="2026-10", tall="flags_raised"))
        .content.decode()
    )
    header, nordby, _sorby, whole = cells_of(html, "flags_raised")
    col = {label: n for n, label in enumerate(header)}
    assert nordby[col["Udokumentert fravær"]] == "<5"  # the complement of month_days
    assert nordby[col["I alt"]] == "14"
    assert whole[col["I alt"]] == "14"


def test_no_filter_narrows_a_cell_below_five(client_for, municipal_admin, published, municipality):
    client = client_for(municipal_admin)
    school = published["school"]
    for params in (
        {"skole": school.pk},
        {"skole": school.pk, "trinn": 6},
        {"trinn": 6},
        {"skole": school.pk, "trinn": 6, "tall": "absence"},
    ):
        html = client.get(url(municipality, maaned="2026-10", **params)).content.decode()
        header, *rows = cells_of(html, "absence")
        six = header.index("6. trinn")
        for row in rows:
            assert row[six] in ("<5", "–"), params
        # The chart of grade 6 (at Nordby, or in the municipality) is the same hidden cell.
        if params.get("trinn") == 6:
            assert ["oktober 2026", "<5"] in cells_of(html, "chart")


def test_one_group_of_figures_by_default_the_others_a_click_away(
    client_for, municipal_admin, published, municipality
):
    client = client_for(municipal_admin)
    school = published["school"]
    html = client.get(url(municipality, maaned="2026-10", skole=school.pk)).content.decode()
    assert 'id="h-absence"' in html
    assert 'id="h-flags_raised"' not in html and 'id="h-cases_open"' not in html
    assert '<option value="absence" selected>' in html
    # Each other group is a link that keeps the month and the school.
    links = dict(re.findall(r'<a class="ds-link" href="\?([^"]+)"[^>]*>([^<]+)</a>', html))
    by_title = {unescape(title): unescape(query) for query, title in links.items()}
    assert by_title["Varsler etter regel"] == f"maaned=2026-10&skole={school.pk}&tall=flags_raised"
    assert by_title["Alle tall"] == f"maaned=2026-10&skole={school.pk}&tall=alle"
    assert 'aria-current="page">Fraværsandel etter trinn</a>' in html
    flags = client.get("?".join([url(municipality), by_title["Varsler etter regel"]]))
    flags_html = flags.content.decode()
    assert 'id="h-flags_raised"' in flags_html and 'id="h-absence"' not in flags_html
    everything = client.get(url(municipality, maaned="2026-10", tall="alle")).content.decode()
    for name in ("absence", "flags_raised", "cases_open", "deadlines", "evaluations"):
        assert f'id="h-{name}"' in everything


def test_a_group_read_alone_is_suppressed_as_among_all(
    client_for, municipal_admin, published, municipality
):
    """Suppression is per table over the whole municipality: reading one group of
    figures, or all of them, shows the same cells."""
    client = client_for(municipal_admin)
    for name in ("absence", "flags_raised"):
        alone = client.get(url(municipality, maaned="2026-10", tall=name)).content.decode()
        among = client.get(url(municipality, maaned="2026-10", tall="alle")).content.decode()
        assert cells_of(alone, name) == cells_of(among, name)
        assert cells_of(alone, "chart") == cells_of(among, "chart")
    assert "<5" in [c for row in cells_of(alone, "flags_raised") for c in row]


def test_an_unknown_group_of_figures_falls_back_to_the_first_in_words(
    client_for, municipal_admin, published, municipality
):
    html = (
        client_for(municipal_admin)
        .get(url(municipality, maaned="2026-10", tall="navn"))
        .content.decode()
    )
    assert "Velg et av tallene i listen." in html
    assert '<option value="absence" selected>' in html
    assert 'id="h-absence"' in html and 'id="h-flags_raised"' not in html


def test_no_pupil_names_on_the_page(
    client_for, municipal_admin, municipality, school, group, leader
):
    pupils = [make_pupil(group, first="Aurora", last=f"Navnesen{n}") for n in range(6)]
    raw_record(pupils[0], dt.date(2026, 10, 6), leader)
    recompute_rollups([OCTOBER, dt.date(2026, 11, 1)])
    html = client_for(municipal_admin).get(url(municipality, maaned="2026-10")).content.decode()
    assert "Nordby skole" in html
    for pupil in pupils:
        assert pupil.first_name not in html and pupil.last_name not in html
        assert pupil.pupil_id not in html and str(pupil.uuid) not in html


def test_the_administrator_of_another_municipality_gets_404(client_for, municipality, published):
    other = Municipality.objects.create(name="Annenvik")
    admin = make_user("admin@annenvik.no")
    StaffRole.objects.create(user=admin, role="municipal_admin", municipality=other)
    assert client_for(admin).get(url(municipality)).status_code == 404


def test_a_school_leader_gets_404(client_for, leader, municipality):
    assert client_for(leader).get(url(municipality)).status_code == 404


def test_ppt_gets_404(client_for, ppt_advisor, municipality):
    assert client_for(ppt_advisor).get(url(municipality)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, municipality):
    assert client.get(url(municipality)).status_code == 302


def test_a_month_outside_the_school_year_is_refused_in_words(
    client_for, municipal_admin, municipality, published
):
    response = client_for(municipal_admin).get(url(municipality, maaned="1999-01", trinn="x"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "«1999-01» er ikke en måned i dette skoleåret. Velg en i listen." in html
    assert "«x» er ikke et trinn. Velg et trinn fra 1 til 10." in html
    assert 'aria-describedby="id_trinn-err"' in html
    # The page falls back to last month, and the select says so.
    assert '<option value="2026-10" selected>' in html
    assert "Fraværsandel etter trinn – oktober 2026" in html


def _grow(municipality, n_schools):
    for _ in range(n_schools):
        school = School.objects.create(
            municipality=municipality, name=f"Skole {School.objects.count()}"
        )
        for grade in range(1, 11):
            rollup_absence(school, OCTOBER, grade, absent=10, school_time=500, pupils=7)
        rollup_row(school, OCTOBER, "flags_raised", "undocumented", 4, 4)


@pytest.mark.parametrize("params", [{}, {"tall": "flags_raised"}, {"tall": "alle"}])
def test_queries_do_not_grow_with_schools(
    client_for, municipal_admin, municipality, django_assert_num_queries, params
):
    client = client_for(municipal_admin)
    _grow(municipality, 1)
    client.get(url(municipality, **params))  # the session, once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url(municipality, **params))
    _grow(municipality, 6)
    with django_assert_num_queries(len(small)):
        client.get(url(municipality, **params))


def test_rates_side_by_side_are_complemented_down_their_columns_only():
    # Before and after a plan: no row total. School b's hidden rate would show as the
    # municipality's minus a's, so a's goes too; a's row needs nothing more.
    grid = {
        ("a", "before"): Cell(10, 6, 100),
        ("a", "after"): Cell(5, 6, 100),
        ("b", "before"): Cell(3, 2, 40),
        ("b", "after"): Cell(1, 2, 40),
        ("m", "before"): Cell(13, 8, 140),
        ("m", "after"): Cell(6, 8, 140),
    }
    hidden = suppress(grid, ["a", "b", "m"], ["before", "after"], rows_add_up=False)
    assert hidden == {("b", "before"), ("b", "after"), ("a", "before"), ("a", "after")}
