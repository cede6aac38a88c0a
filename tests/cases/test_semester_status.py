"""The semester status: figures on small fixed data computed by hand, the PDF, who
may read it, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.semester import Semester, semester_status
from tests.conftest import make_group, make_pupil, make_user
from tests.factories import agreed_plan, case_at, evaluation, make_flag, raw_record

AUTUMN = Semester(2026, "h")


def url(school, name="cases:semester_status", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse(name, args=[school.pk]) + (f"?{query}" if query else "")


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def autumn(school, group, contact_teacher, team_member):
    """5A (5 lessons a day): Aurora, with a case that climbed to 2A and a plan agreed
    on Monday 19 October, and Birk, whose case closed in September. From 1 August to
    today (Wednesday 18 November) there are 78 weekdays: 21 in August, 22 in September
    and October, 13 in November."""
    aurora = make_pupil(group, first="Aurora", last="Elevsen")
    birk = make_pupil(group, first="Birk", last="Elevsen")
    by = contact_teacher
    raw_record(aurora, dt.date(2026, 10, 6), by)
    raw_record(aurora, dt.date(2026, 10, 7), by)
    raw_record(aurora, dt.date(2026, 10, 20), by, "lesson", lessons=2)
    raw_record(birk, dt.date(2026, 10, 8), by, "late")
    raw_record(birk, dt.date(2026, 10, 9), by, deleted=True)
    make_flag(aurora, "month_days")
    make_flag(aurora, "undocumented")
    make_flag(birk, "undocumented")
    a = case_at(
        aurora,
        school,
        team_member,
        opened=dt.date(2026, 9, 1),
        level="2A",
        moves=[(dt.date(2026, 9, 11), "0", "1"), (dt.date(2026, 10, 11), "1", "2A")],
    )
    case_at(birk, school, team_member, opened=dt.date(2026, 8, 20), closed=dt.date(2026, 9, 9))
    plan = agreed_plan(a, team_member, agreed_on=dt.date(2026, 10, 19))
    evaluation(plan, team_member, held_on=dt.date(2026, 11, 16), outcome="continue")
    return {"aurora": aurora, "birk": birk, "case": a}


def test_absence_by_class_over_the_semester(autumn, school):
    status = semester_status(school, AUTUMN, dt.date(2026, 11, 18))
    (line,) = status.classes
    assert line.label == "5A" and line.pupils == 2
    assert line.totals.scheduled_lessons == 2 * 78 * 5
    assert line.totals.absent_lessons == 5 + 5 + 2  # the removed day is not counted
    assert (line.totals.days, line.totals.hours, line.totals.late) == (2, 2, 1)
    assert line.rate == "1,5 %"  # 12 of 780
    assert [g.label for g in status.grades] == ["5. trinn"]


def test_cases_per_level_and_time_at_each_level(autumn, school):
    status = semester_status(school, AUTUMN, dt.date(2026, 11, 18))
    by_label = {line.label: line.counts for line in status.levels}  # 0, 1, 2A, 2B
    assert by_label["Opprettet"] == [2, 0, 0, 0]
    assert by_label["Avsluttet"] == [1, 0, 0, 0]
    assert by_label["Flyttet opp til nivået"] == [0, 1, 1, 0]
    assert by_label["Åpne ved slutten"] == [0, 0, 1, 0]
    # Nivå 0: 10 days (Aurora) and 20 (Birk); nivå 1: 30 days; 2A not left yet.
    medians = {label: (n, median) for label, n, median in status.time_at_level}
    assert medians["Nivå 0 – undring"] == (2, "15,0")
    assert medians["Nivå 1 – iverksette tiltak"] == (1, "30,0")
    assert medians["Nivå 2A – enkel tverrfaglig innsats"] == (0, "–")


def test_flags_by_rule(autumn, school):
    status = semester_status(school, AUTUMN, dt.date(2026, 11, 18))
    assert [(f.label, f.counts, f.pupils) for f in status.flags] == [
        ("Udokumentert fravær", [2], 2),
        ("Dager i en måned", [1], 1),
    ]


def test_plans_panel_shows_outcomes_and_attendance_before_and_after(
    client_for, leader, autumn, school
):
    page = text_of(client_for(leader).get(url(school)).content.decode())
    # 20 school days before 19 October (2 days absent: 10 of 100 lessons) and 20 from
    # it (2 lessons of 100).
    assert (
        "1 plan avtalt: fraværsandel 10,0 % før og 2,0 % etter; 1 med lavere fravær etter." in page
    )
    assert re.search(r"Delvis: fortsett samme plan med ny evalueringsdato 1\b", page)


def test_no_pupil_names_on_the_page(client_for, leader, autumn, school):
    page = client_for(leader).get(url(school)).content.decode()
    assert "Aurora" not in page and "Birk" not in page and "Elevsen" not in page


def test_the_pdf_renders_the_figures_without_names(client_for, leader, autumn, school):
    from pypdf import PdfReader

    response = client_for(leader).get(url(school, "cases:semester_status_pdf", semester="2026-h"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "semesterstatus-2026-h.pdf" in response["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Semesterstatus Høsten 2026" in text
    assert "5A" in text and "1,5 %" in text
    assert "Aurora" not in text and "Elevsen" not in text


def test_the_spring_is_january_to_june(client_for, team_member, autumn, school):
    response = client_for(team_member).get(url(school, semester="2026-v"))
    assert response.status_code == 200
    assert "Våren 2026" in response.content.decode()


def test_a_semester_not_offered_is_refused_in_words(client_for, leader, school):
    page = client_for(leader).get(url(school, semester="1999-x")).content.decode()
    assert "Velg et av semestrene i listen." in page
    assert 'aria-describedby="id_semester-err"' in page


@pytest.mark.parametrize("persona", ["contact_teacher", "ppt_advisor", "nurse", "outsider"])
def test_others_get_404(client_for, persona, school, request):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(url(school)).status_code == 404
    assert client_for(user).get(url(school, "cases:semester_status_pdf")).status_code == 404


def test_a_leader_of_another_school_gets_404(client_for, other_school, school):
    from fravaer.models import StaffRole

    other_leader = make_user("rektor@sorby.no")
    StaffRole.objects.create(user=other_leader, role="school_leader", school=other_school)
    assert client_for(other_leader).get(url(school)).status_code == 404


def _grow(school, school_year, owner, n_groups, n_pupils):
    for grade in range(1, n_groups + 1):
        g = make_group(school, school_year, grade=grade)
        for _ in range(n_pupils):
            p = make_pupil(g)
            raw_record(p, dt.date(2026, 10, 6), owner)
            make_flag(p, "undocumented")
            c = case_at(
                p,
                school,
                owner,
                opened=dt.date(2026, 9, 1),
                moves=[(dt.date(2026, 9, 8), "0", "1")],
            )
            plan = agreed_plan(c, owner, agreed_on=dt.date(2026, 10, 19))
            evaluation(plan, owner, held_on=dt.date(2026, 11, 2), outcome="close")


def test_queries_do_not_grow_with_classes_pupils_or_cases(
    client_for, leader, school, school_year, team_member, django_assert_num_queries
):
    client = client_for(leader)
    _grow(school, school_year, team_member, 1, 1)
    client.get(url(school))
    with CaptureQueriesContext(connection) as small:
        client.get(url(school))
    _grow(school, school_year, team_member, 3, 4)
    with django_assert_num_queries(len(small)):
        client.get(url(school))
