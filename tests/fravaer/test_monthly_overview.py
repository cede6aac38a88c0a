"""The monthly overview's figures (`fravaer.overviews`) against hand-computed values on
the small fixed data of `tests.factories.october_scene`, and against the class page's
totals (one definition)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.actions.core import open_case
from fravaer.models import Enrollment, Pupil
from fravaer.overviews import default_month, monthly_overview, parse_month
from fravaer.queries import group_year_totals, period_totals
from fravaer.schooldays import SchoolCalendar
from tests.conftest import TODAY, make_pupil
from tests.factories import OCTOBER, absence, class_comment, make_flag, october_scene


@pytest.fixture
def scene(group, leader):
    return october_scene(group, leader)


def _class(overview, group):
    return next(c for c in overview.classes if c.group.pk == group.pk)


def _row(klass, pupil):
    return next(r for r in klass.rows if r.pupil.pk == pupil.pk)


def test_the_default_month_is_last_month():
    assert default_month(TODAY) == dt.date(2026, 10, 1)
    assert default_month(dt.date(2027, 1, 4)) == dt.date(2026, 12, 1)


def test_parse_month_accepts_iso_and_norwegian_and_refuses_the_rest():
    assert parse_month("2026-10") == OCTOBER
    assert parse_month("10.2026") == OCTOBER
    assert parse_month("2026-13") is None
    assert parse_month("oktober") is None
    assert parse_month("") is None


def test_a_month_with_a_planning_day_counts_its_school_days(scene, school):
    overview = monthly_overview(school, OCTOBER, today=TODAY)
    assert overview.school_days == 21  # 22 weekdays minus Friday 2 October


def test_a_pupil_all_month_in_one_class(scene, school, group):
    row = _row(_class(monthly_overview(school, OCTOBER, today=TODAY), group), scene.stayer)
    t = row.totals
    # Two whole days (the removed one and September's not counted), 2 lessons, 1 late.
    assert (t.days, t.days_documented, t.hours, t.hours_documented) == (2, 1, 2, 2)
    assert (t.late, t.late_documented) == (1, 0)
    assert t.absent_lessons == 2 * 5 + 2
    assert (t.school_days, t.scheduled_lessons) == (21, 105)
    assert t.percent == 11.4  # 12 of 105 lessons
    assert row.undocumented_records == 2  # 5 October and the late arrival
    assert row.reasons == [("Sykdom", 2), ("Ukjent", 2)]
    assert row.whole_month


def test_a_pupil_who_changed_class_counts_in_each_for_their_days(scene, school, group):
    overview = monthly_overview(school, OCTOBER, today=TODAY)
    before = _row(_class(overview, group), scene.mover)
    after = _row(_class(overview, scene.second), scene.mover)
    assert (before.first, before.last) == (OCTOBER, dt.date(2026, 10, 14))
    assert not before.whole_month
    # 1–14 October: 1 October and 5–14 October, 9 school days of 5 lessons.
    assert (before.totals.days, before.totals.absent_lessons) == (1, 5)
    assert (before.totals.school_days, before.totals.scheduled_lessons) == (9, 45)
    assert before.totals.percent == 11.1
    # 15–31 October: 12 school days of 6 lessons; a whole day is 6 lessons there.
    assert (after.first, after.last) == (dt.date(2026, 10, 15), dt.date(2026, 10, 31))
    assert (after.totals.days, after.totals.hours, after.totals.absent_lessons) == (1, 3, 9)
    assert (after.totals.school_days, after.totals.scheduled_lessons) == (12, 72)
    assert after.totals.percent == 12.5


def test_class_totals_count_every_pupil_s_school_time(scene, school, group):
    klass = _class(monthly_overview(school, OCTOBER, today=TODAY), group)
    t = klass.totals
    assert (t.days, t.hours, t.late, t.absent_lessons) == (3, 2, 1, 17)
    assert t.scheduled_lessons == 105 + 45 + 105  # the stayer, the mover's part, the quiet
    assert t.percent == 6.7
    assert [r.pupil for r in klass.absent_rows] == [scene.stayer, scene.mover]


def test_the_class_s_earlier_months_and_the_school_s_trend(scene, school, group):
    overview = monthly_overview(school, OCTOBER, today=TODAY)
    klass = _class(overview, group)
    assert [m.first for m in klass.months] == [
        dt.date(2026, 8, 1),
        dt.date(2026, 9, 1),
        OCTOBER,
    ]
    september = klass.months[1]
    assert (september.totals.days, september.totals.absent_lessons) == (1, 5)
    assert [m.first for m in overview.trend] == [m.first for m in klass.months]
    october = overview.trend[-1].totals
    assert (october.days, october.absent_lessons) == (4, 17 + 9)
    assert overview.chart.bars[-1].selected
    assert overview.chart.bars[-1].value == f"{october.percent:.1f}".replace(".", ",") + " %"


def test_the_same_figures_as_the_class_page_for_the_same_period(scene, school, group):
    """One definition: the class page's year totals (`group_year_totals`) and the
    overview's month figures agree for a pupil who stayed in the class."""
    year = group.school_year
    october_end = dt.date(2026, 10, 31)
    overview_row = _row(_class(monthly_overview(school, OCTOBER, today=TODAY), group), scene.stayer)
    same_period = period_totals(
        [scene.stayer.pk], start=OCTOBER, end=october_end, lessons_per_day=5
    )[scene.stayer.pk]
    for name in ("days", "days_documented", "hours", "hours_documented", "late", "absent_lessons"):
        assert getattr(overview_row.totals, name) == getattr(same_period, name)
    # The class page's year totals are the same read over the school year.
    year_page = group_year_totals(group, until=october_end)[scene.stayer.pk]
    from_start = period_totals(
        [scene.stayer.pk], start=year.start, end=october_end, lessons_per_day=5
    )[scene.stayer.pk]
    assert year_page == from_start
    assert (year_page.days, year_page.absent_lessons) == (3, 17)


def test_flags_of_the_month_and_not_of_august(scene, school, group):
    october = make_flag(
        scene.stayer,
        "month_days",
        period_start=OCTOBER,
        period_end=dt.date(2026, 10, 31),
        period_key="2026-10",
    )
    make_flag(
        scene.stayer,
        "month_late",
        period_start=dt.date(2026, 8, 1),
        period_end=dt.date(2026, 8, 31),
        period_key="2026-08",
    )
    make_flag(scene.stayer, "pattern_monday", period_key="episode:x")
    row = _row(_class(monthly_overview(school, OCTOBER, today=TODAY), group), scene.stayer)
    assert row.flags == [october]


def test_which_classes_have_commented(scene, school, group, leader):
    class_comment(group, leader, text="Influensa i uke 41.")
    overview = monthly_overview(school, OCTOBER, today=TODAY)
    assert [c.group for c in overview.commented] == [group]
    assert _class(overview, group).comment.text == "Influensa i uke 41."
    assert _class(overview, scene.second).comment is None


def test_a_month_outside_the_school_years_is_empty(school):
    overview = monthly_overview(school, dt.date(2020, 1, 1), today=TODAY)
    assert overview.school_year is None and overview.classes == []


def _grow(group, leader, n):
    for i in range(n):
        pupil = make_pupil(group)
        absence(pupil, dt.date(2026, 10, 5 + i % 3), leader, kind="late")


def test_a_fixed_number_of_queries_whatever_the_number_of_pupils(
    scene, school, group, leader, django_assert_num_queries
):
    _grow(group, leader, 2)
    with CaptureQueriesContext(connection) as small:
        monthly_overview(school, OCTOBER, today=TODAY)
    _grow(group, leader, 12)
    _grow(scene.second, leader, 5)
    with django_assert_num_queries(len(small.captured_queries)):
        overview = monthly_overview(school, OCTOBER, today=TODAY)
    assert len(overview.rows) > 20


def test_enrollments_are_left_unchanged_by_reading(scene):
    assert Enrollment.objects.filter(pupil=scene.mover).count() == 2


def test_calendar_agrees(scene, school):
    calendar = SchoolCalendar.for_school(school.pk, OCTOBER, dt.date(2026, 10, 31))
    assert calendar.count_school_days(OCTOBER, dt.date(2026, 10, 31)) == 21


def test_the_page_runs_a_fixed_number_of_queries_with_cases(
    scene, school, group, leader, client_for, django_assert_num_queries
):
    """The page, its case column (the cases app's panel) and its comments: the same
    number of queries for 3 pupils with absence and for 20."""
    client = client_for(leader)
    url = reverse("fravaer:monthly_overview_month", args=[school.pk, "2026-10"])
    open_case(scene.stayer, school=school, concern="Mye fravær", by=leader)
    class_comment(group, leader)
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert "Nivå 0" in response.content.decode()
    _grow(group, leader, 10)
    _grow(scene.second, leader, 7)
    for pupil in Pupil.objects.filter(enrollments__group=group).order_by("-pk")[:5]:
        open_case(pupil, school=school, concern="Fravær", by=leader)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("Nivå 0") == 6


def test_the_overview_reads_import_no_writes_and_nothing_above_fravaer():
    root = Path(__file__).resolve().parents[2]
    tree = ast.parse((root / "fravaer" / "overviews.py").read_text(encoding="utf-8"))
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in modules if m.startswith(("fravaer.actions", "cases", "plans"))}


def test_a_flag_settled_before_the_month_is_not_in_it_and_one_settled_during_it_is(
    scene, school, group
):
    year = {"period_start": dt.date(2026, 8, 1), "period_end": dt.date(2027, 7, 31)}
    settled_before = make_flag(
        scene.stayer,
        "year_days_notice",
        status="cleared",
        cleared_at=dt.datetime(2026, 9, 20, 12, tzinfo=dt.UTC),
        raised_at=dt.datetime(2026, 9, 10, 12, tzinfo=dt.UTC),
        **year,
    )
    settled_during = make_flag(
        scene.stayer,
        "year_days_leadership",
        status="cleared",
        cleared_at=dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC),
        raised_at=dt.datetime(2026, 10, 2, 12, tzinfo=dt.UTC),
        **year,
    )
    raised_after = make_flag(
        scene.stayer,
        "fifteen_weeks_days",
        raised_at=dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC),
        **year,
    )
    row = _row(_class(monthly_overview(school, OCTOBER, today=TODAY), group), scene.stayer)
    assert settled_during in row.flags
    assert settled_before not in row.flags and raised_after not in row.flags


def test_the_pdf_export_runs_a_fixed_number_of_queries(
    scene, school, group, leader, client_for, django_assert_num_queries
):
    """The PDF for the meeting (in bench_pages): as many queries for 20 pupils as for 3."""
    client = client_for(leader)
    url = reverse("fravaer:monthly_overview_export", args=[school.pk, "2026-10", "pdf"])
    open_case(scene.stayer, school=school, concern="Mye fravær", by=leader)
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.content.startswith(b"%PDF")
    _grow(group, leader, 10)
    _grow(scene.second, leader, 7)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.startswith(b"%PDF")
