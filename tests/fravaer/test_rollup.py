"""The monthly rollup: figures on small fixed data computed by hand, the nightly task
run twice leaves the same rows, the backfill command, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Deadline
from fravaer.actions.rollups import recompute_rollups
from fravaer.models import MonthlyRollup, NonSchoolDay, School
from fravaer.rollups import ABSENT, TOTAL
from fravaer.tasks import rollup_recent_months
from tests.conftest import make_group, make_pupil
from tests.factories import case_at, make_flag, moved_class, raw_record, rollup_cells

OCTOBER = dt.date(2026, 10, 1)


def aware(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def october(school, school_year, group, contact_teacher):
    """5A (grade 5, 5 lessons a day) with three pupils, one of whom moves to 6A
    (grade 6) after 15 October; 5 October is a holiday. October 2026 has 22
    weekdays, so 21 school days: 10 up to the 15th, 11 after."""
    NonSchoolDay.objects.create(school=school, date=dt.date(2026, 10, 5), kind="holiday")
    sixth = make_group(school, school_year, name="6A", grade=6)
    p1, p2, p3 = (make_pupil(group) for _ in range(3))
    moved_class(p3, sixth, last_day=dt.date(2026, 10, 15))
    by = contact_teacher
    raw_record(p1, dt.date(2026, 10, 6), by)  # 5 lessons
    raw_record(p1, dt.date(2026, 10, 7), by, "lesson", lessons=2)
    raw_record(p1, dt.date(2026, 10, 8), by, "late")  # a late arrival is no lesson lost
    raw_record(p2, dt.date(2026, 10, 9), by, deleted=True)  # removed: not counted
    raw_record(p3, dt.date(2026, 10, 14), by)  # in 5A: 5 lessons
    raw_record(p3, dt.date(2026, 10, 20), by)  # in 6A: 5 lessons
    raw_record(p1, dt.date(2026, 11, 2), by)  # another month
    return {"school": school, "pupils": (p1, p2, p3), "sixth": sixth}


def test_absence_by_grade_counts_school_time_and_class_moves(october):
    recompute_rollups([OCTOBER])
    cells = {
        r.grade: (r.value, r.base, r.pupils)
        for r in MonthlyRollup.objects.filter(
            school=october["school"], metric="absence", key=ABSENT, month=OCTOBER
        )
    }
    assert cells == {
        # 5A: p1 and p2 21 days, p3 10 days, 5 lessons a day; absent 5 + 2 (p1) + 5 (p3).
        5: (12, 260, 3),
        # 6A: p3's 11 days there, and the day absent there.
        6: (5, 55, 1),
        # The school: three distinct pupils.
        0: (17, 315, 3),
    }


def test_flags_raised_in_the_month_by_rule(october):
    p1, p2, p3 = october["pupils"]
    make_flag(p1, "month_days", raised_at=aware(dt.date(2026, 10, 31), 23))
    make_flag(p1, "undocumented", raised_at=aware(dt.date(2026, 10, 2)))
    make_flag(p2, "undocumented", raised_at=aware(dt.date(2026, 10, 3)))
    make_flag(p3, "undocumented", raised_at=aware(dt.date(2026, 11, 1), 0))  # November
    recompute_rollups([OCTOBER])
    school = october["school"].pk
    cells = rollup_cells(metric="flags_raised", month=OCTOBER)
    assert cells == {
        (school, OCTOBER, 0, "flags_raised", "month_days"): (1, 1),
        (school, OCTOBER, 0, "flags_raised", "undocumented"): (2, 2),
        (school, OCTOBER, 0, "flags_raised", TOTAL): (3, 2),
    }


def test_cases_per_level_opened_closed_escalated_and_deadlines(october, team_member):
    p1, p2, p3 = october["pupils"]
    school = october["school"]
    a = case_at(
        p1,
        school,
        team_member,
        opened=dt.date(2026, 9, 10),
        level="1",
        moves=[(dt.date(2026, 10, 12), "0", "1")],
    )
    case_at(p2, school, team_member, opened=dt.date(2026, 10, 5))
    case_at(p3, school, team_member, opened=dt.date(2026, 9, 1), closed=dt.date(2026, 10, 20))
    common = {"case": a, "created_at": aware(dt.date(2026, 10, 1))}
    Deadline.objects.create(
        kind="level1_meeting",
        due=dt.date(2026, 10, 9),
        met_at=aware(dt.date(2026, 10, 9)),
        **common,
    )
    Deadline.objects.create(
        kind="plan_evaluation",
        due=dt.date(2026, 10, 9),
        met_at=aware(dt.date(2026, 10, 12)),
        **common,
    )
    Deadline.objects.create(kind="evaluation_2a", due=dt.date(2026, 10, 30), **common)  # missed
    Deadline.objects.create(
        kind="evaluation_2b",
        due=dt.date(2026, 10, 30),
        cancelled_at=aware(dt.date(2026, 10, 2)),
        **common,
    )
    recompute_rollups([OCTOBER])
    s = school.pk
    cells = rollup_cells(month=OCTOBER, metric__startswith="cases")
    assert cells[(s, OCTOBER, 0, "cases_open", "1")] == (1, 1)  # a, on level 1 at the end
    assert cells[(s, OCTOBER, 0, "cases_open", "0")] == (1, 1)  # the one opened in October
    assert cells[(s, OCTOBER, 0, "cases_open", TOTAL)] == (2, 2)
    assert cells[(s, OCTOBER, 0, "cases_opened", "0")] == (1, 1)
    assert cells[(s, OCTOBER, 0, "cases_closed", "0")] == (1, 1)
    assert cells[(s, OCTOBER, 0, "cases_escalated", "1")] == (1, 1)
    deadlines = rollup_cells(month=OCTOBER, metric="deadlines")
    assert deadlines[(s, OCTOBER, 0, "deadlines", "met")] == (1, 1)
    assert deadlines[(s, OCTOBER, 0, "deadlines", "missed")] == (2, 1)


def test_nightly_task_is_idempotent(october, eager_tasks):
    make_flag(october["pupils"][0], "undocumented", raised_at=timezone.now())
    rollup_recent_months.delay()
    first = rollup_cells()
    rollup_recent_months.delay()
    assert rollup_cells() == first
    assert {month for (_s, month, *_rest) in first} == {OCTOBER, dt.date(2026, 11, 1)}
    assert MonthlyRollup.objects.count() == len(first)


def test_backfill_command_from_a_month(october):
    call_command("rollup_months", "--from", "2026-09")
    months = set(MonthlyRollup.objects.values_list("month", flat=True))
    assert months == {dt.date(2026, 9, 1), OCTOBER, dt.date(2026, 11, 1)}


def _schools(municipality, school_year, teacher, n_schools, n_pupils):
    for _i in range(n_schools):
        n = School.objects.count()
        school = School.objects.create(municipality=municipality, name=f"Skole {n}")
        for grade in (1, 8):
            g = make_group(school, school_year, grade=grade)
            for _ in range(n_pupils):
                p = make_pupil(g)
                raw_record(p, dt.date(2026, 10, 6), teacher)
                make_flag(p, "undocumented", raised_at=aware(dt.date(2026, 10, 6)))


def test_rollup_queries_do_not_grow_with_schools_or_pupils(
    municipality, school_year, contact_teacher, django_assert_num_queries
):
    _schools(municipality, school_year, contact_teacher, 1, 1)
    with CaptureQueriesContext(connection) as small:
        recompute_rollups([OCTOBER])
    _schools(municipality, school_year, contact_teacher, 3, 4)
    with django_assert_num_queries(len(small)):
        recompute_rollups([OCTOBER])


def test_evaluation_outcomes_come_from_plans(october, team_member):
    from tests.factories import agreed_plan, evaluation

    p1, p2, _p3 = october["pupils"]
    school = october["school"]
    a = case_at(p1, school, team_member, opened=dt.date(2026, 9, 1), level="1")
    b = case_at(p2, school, team_member, opened=dt.date(2026, 9, 1), level="1")
    evaluation(
        agreed_plan(a, team_member, agreed_on=dt.date(2026, 9, 20)),
        team_member,
        held_on=dt.date(2026, 10, 20),
        outcome="continue",
    )
    evaluation(
        agreed_plan(b, team_member, agreed_on=dt.date(2026, 9, 20)),
        team_member,
        held_on=dt.date(2026, 10, 21),
        outcome="continue",
    )
    recompute_rollups([OCTOBER])
    s = school.pk
    assert rollup_cells(metric="evaluations") == {
        (s, OCTOBER, 0, "evaluations", "continue"): (2, 2),
        (s, OCTOBER, 0, "evaluations", TOTAL): (2, 2),
    }


def test_a_contributor_that_is_not_one_fails_the_check(settings):
    from fravaer.checks import check_extension_points

    settings.ROLLUP_CONTRIBUTORS = [*settings.ROLLUP_CONTRIBUTORS, "fravaer.rollups.TOTAL"]
    assert [e.id for e in check_extension_points(None)] == ["fravaer.E003"]
    settings.ROLLUP_CONTRIBUTORS = ["fravaer.rollups.flags", "fravaer.rollups.flags"]
    assert [e.id for e in check_extension_points(None)] == ["fravaer.E004"]


@pytest.mark.parametrize(
    "path",
    [
        "fravaer/rollups.py",
        "fravaer/municipality_overview.py",
        "fravaer/suppression.py",
        "cases/rollups.py",
        "cases/semester.py",
        "plans/rollups.py",
        "plans/semester.py",
    ],
)
def test_rollup_reads_import_no_write_module(path):
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[2] / path).read_text())
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in modules if ".actions" in m}


def test_attendance_before_and_after_a_plan_agreed_in_the_month(october, team_member):
    from tests.factories import agreed_plan

    p1 = october["pupils"][0]
    case = case_at(p1, october["school"], team_member, opened=dt.date(2026, 9, 1), level="1")
    agreed_plan(case, team_member, agreed_on=dt.date(2026, 10, 19))
    recompute_rollups([OCTOBER])
    cells = {
        r.key: (r.value, r.base, r.pupils)
        for r in MonthlyRollup.objects.filter(metric="plan_attendance", month=OCTOBER)
    }
    # Before: 21 September to 18 October, 20 weekdays less the holiday on 5 October,
    # 5 lessons a day; absent 6 October (5) and 2 lessons on 7 October. After: 19
    # October to 15 November, 20 school days; absent 2 November (5).
    assert cells == {"before": (7, 95, 1), "after": (5, 100, 1)}
