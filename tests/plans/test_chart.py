"""The effect over time (plans.chart): weekly figures, markers, the SVG and its table,
the PDF, the case page's panel and its query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.actions.timeline import add_event
from cases.models import CaseEvent
from fravaer.actions import remove_absence
from fravaer.models import NonSchoolDay
from fravaer.pdf import html_to_pdf
from plans.chart import effect_chart
from tests.cases.conftest import make_case
from tests.factories import absence, chart_version, held_evaluation, plan_measure

WEEK_46 = dt.date(2026, 11, 9)  # a Monday; TODAY (18.11.2026) is in week 47
AUTUMN_BREAK = [dt.date(2026, 9, 28) + dt.timedelta(days=i) for i in range(5)]  # week 40


@pytest.fixture
def case(pupil, contact_teacher):
    return make_case(pupil, by=contact_teacher)


@pytest.fixture
def holiday(school):
    for day in AUTUMN_BREAK:
        NonSchoolDay.objects.create(school=school, date=day, kind="holiday", name="Høstferie")


def week(chart, monday):
    return next(w for w in chart.weeks if w.monday == monday)


def test_weekly_figures_count_days_lessons_and_late_and_skip_removed_records(
    case, pupil, contact_teacher, holiday
):
    absence(pupil, WEEK_46, contact_teacher)  # a whole day
    absence(pupil, WEEK_46 + dt.timedelta(days=1), contact_teacher, kind="lesson", lessons=2)
    absence(pupil, WEEK_46 + dt.timedelta(days=2), contact_teacher, kind="late", minutes_late=10)
    removed = absence(
        pupil, WEEK_46 + dt.timedelta(days=3), contact_teacher, kind="lesson", lessons=3
    )
    remove_absence(removed, by=contact_teacher)
    absence(pupil, dt.date(2026, 11, 16), contact_teacher)  # week 47, this week

    chart = effect_chart(case, today=timezone.localdate())

    w46 = week(chart, WEEK_46)
    assert (w46.days, w46.lessons, w46.late) == (1, 2, 1)
    assert w46.school_days == 5
    assert w46.absent_lessons == 1 * 5 + 2  # grade 5: five lessons a day
    assert w46.percent == 28.0
    w47 = week(chart, dt.date(2026, 11, 16))
    assert (w47.days, w47.school_days) == (1, 3)  # Monday to today, Wednesday
    assert (chart.days, chart.lessons, chart.late) == (2, 2, 1)


def test_weekly_figures_add_up_to_the_pupil_pages_year_totals(
    case, pupil, group, contact_teacher, school_year
):
    from fravaer.queries import year_totals
    from fravaer.schooldays import SchoolCalendar

    absence(pupil, WEEK_46, contact_teacher, documented=True)
    absence(pupil, WEEK_46, contact_teacher, kind="late", minutes_late=5)
    absence(pupil, dt.date(2026, 10, 6), contact_teacher, kind="lesson", lessons=3, subject="Norsk")
    absence(
        pupil, dt.date(2026, 10, 6), contact_teacher, kind="lesson", lessons=1, subject="Musikk"
    )
    today = timezone.localdate()
    chart = effect_chart(case, today=today)
    totals = year_totals(
        pupil,
        group=group,
        calendar=SchoolCalendar.for_school(group.school_id, school_year.start, today),
        school_year=school_year,
        until=today,
    )
    assert (chart.days, chart.lessons, chart.late) == (totals.days, totals.hours, totals.late)
    assert sum(w.absent_lessons for w in chart.weeks) == totals.absent_lessons
    assert sum(w.school_days for w in chart.weeks) == totals.school_days


def test_a_holiday_week_has_no_school_days(case, pupil, contact_teacher, holiday):
    chart = effect_chart(case, today=timezone.localdate())
    autumn = week(chart, AUTUMN_BREAK[0])
    assert autumn.holiday and autumn.school_days == 0
    assert week(chart, dt.date(2026, 10, 5)).school_days == 5


def test_weeks_run_monday_to_sunday_from_the_school_year_to_today(case):
    chart = effect_chart(case, today=timezone.localdate())
    assert chart.weeks[0].monday == dt.date(2026, 7, 27)  # the week of 1 August
    assert chart.weeks[-1].monday == dt.date(2026, 11, 16)
    assert all(w.monday.weekday() == 0 for w in chart.weeks)
    assert chart.weeks[0].holiday  # 1 and 2 August are a weekend


def test_markers_for_level_plan_measures_and_evaluation(case, contact_teacher):
    noon = timezone.make_aware(dt.datetime(2026, 9, 7, 12))
    add_event(
        case,
        CaseEvent.Kind.LEVEL_CHANGED,
        by=contact_teacher,
        now=noon,
        level_from="0",
        level_to="1",
    )
    v1 = chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 14), status="superseded")
    plan_measure(v1, starts_on=dt.date(2026, 9, 15), ends_on=dt.date(2026, 10, 30))
    held_evaluation(case, v1, contact_teacher, held_on=dt.date(2026, 10, 5))
    v2 = chart_version(case, contact_teacher, agreed_on=dt.date(2026, 10, 6), number=2)
    # Outside the year so far: not marked.
    plan_measure(v2, starts_on=dt.date(2026, 12, 1))

    chart = effect_chart(case, today=timezone.localdate())

    found = [(m.on, m.kind) for m in chart.markers]
    assert found == [
        (dt.date(2026, 9, 7), "level"),
        (dt.date(2026, 9, 14), "plan"),
        (dt.date(2026, 9, 15), "measure_start"),
        (dt.date(2026, 10, 5), "evaluation"),
        (dt.date(2026, 10, 6), "plan"),
        (dt.date(2026, 10, 30), "measure_end"),
    ]
    assert [m.number for m in chart.markers] == [1, 2, 3, 4, 5, 6]
    assert "Nivå 1" in chart.markers[0].text
    assert "versjon 2" in chart.markers[4].text
    assert chart.markers[2] in week(chart, dt.date(2026, 9, 14)).markers


def render(chart) -> str:
    return render_to_string("plans/includes/_effect_chart.html", {"chart": chart})


def test_svg_has_title_desc_labelled_markers_and_a_table(case, pupil, contact_teacher):
    absence(pupil, WEEK_46, contact_teacher)
    chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 14))
    html = render(effect_chart(case, today=timezone.localdate()))
    uid = f"effekt-{case.uuid.hex[:12]}"
    assert f'role="img" aria-labelledby="{uid}-title {uid}-desc"' in html
    assert f'<title id="{uid}-title">Fravær uke for uke dette skoleåret</title>' in html
    assert "1 hel dag, 0 enkelttimer og 0 forsentkomminger" in html
    assert "14.09.2026: Tiltaksplan versjon 1 avtalt" in html  # the marker's own title
    assert "<caption>Fravær uke for uke, 01.08.2026–18.11.2026</caption>" in html
    assert '<th scope="row">Uke 46 (09.11.2026)</th>' in html
    # CSP: no style attributes; SVG numbers are never localised ("12,5").
    assert "style=" not in html
    assert 'y="' in html and not any("," in part.split('"')[0] for part in html.split('y="')[1:])


def test_chart_renders_into_a_pdf(case, pupil, contact_teacher):
    absence(pupil, WEEK_46, contact_teacher, kind="lesson", lessons=2)
    chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 14))
    html = (
        '<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>Evaluering</title>'
        '<link rel="stylesheet" href="pdf/document.css"></head><body>'
        + render(effect_chart(case, today=timezone.localdate()))
        + "</body></html>"
    )
    pdf = html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    text = PdfReader(__import__("io").BytesIO(pdf)).pages[0].extract_text()
    assert "Tiltaksplan versjon 1 avtalt" in text


def chart_queries(case, today, django_assert_num_queries) -> int:
    with django_assert_num_queries(7) as ctx:
        effect_chart(case, today=today)
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_weeks_records_or_markers(
    case, pupil, contact_teacher, django_assert_num_queries
):
    few = chart_queries(case, dt.date(2026, 8, 20), django_assert_num_queries)
    for i in range(12):
        absence(pupil, dt.date(2026, 9, 1) + dt.timedelta(days=7 * i), contact_teacher)
        absence(
            pupil,
            dt.date(2026, 9, 2) + dt.timedelta(days=7 * i),
            contact_teacher,
            kind="lesson",
            lessons=1,
            subject=f"Fag {i}",
        )
    for n in range(1, 4):
        version = chart_version(
            case,
            contact_teacher,
            agreed_on=dt.date(2026, 9, n),
            number=n,
            status="agreed" if n == 3 else "superseded",
        )
        plan_measure(version, starts_on=dt.date(2026, 9, n), ends_on=dt.date(2026, 10, n))
        held_evaluation(case, version, contact_teacher, held_on=dt.date(2026, 10, n))
    many = chart_queries(case, timezone.localdate(), django_assert_num_queries)
    assert few == many


# --- the case page ----------------------------------------------------------------------


def case_url(case) -> str:
    return reverse("cases:case", args=[case.uuid])


def test_case_page_shows_the_chart_for_a_case_with_absence(
    client_for, case, pupil, contact_teacher
):
    absence(pupil, WEEK_46, contact_teacher)
    html = client_for(contact_teacher).get(case_url(case)).content.decode()
    assert 'id="h-effect"' in html and "Fravær uke for uke dette skoleåret" in html


def test_case_page_without_absence_shows_no_chart(client_for, case, contact_teacher):
    html = client_for(contact_teacher).get(case_url(case)).content.decode()
    assert 'id="h-effect"' not in html


def test_ppt_on_a_referral_sees_the_chart(client_for, case, pupil, contact_teacher, ppt_advisor):
    from cases.actions.consent import refer_to_ppt
    from tests.factories import give

    absence(pupil, WEEK_46, contact_teacher)
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    response = client_for(ppt_advisor).get(case_url(case))
    assert response.status_code == 200
    assert "Fravær uke for uke dette skoleåret" in response.content.decode()


def panel_queries(rf, case, user, django_assert_num_queries) -> int:
    from cases.access import case_access_or_404
    from plans.panels_chart import absence_panels

    grant = case_access_or_404(user, case.uuid)
    request = rf.get("/")
    request.user = user
    with django_assert_num_queries(9) as ctx:
        panels = absence_panels(request, case=case, grant=grant)
    assert [p.template for p in panels] == [
        "plans/includes/_case_effect_chart.html",
        "plans/includes/_case_timetable.html",
    ]
    return len(ctx.captured_queries)


def test_case_page_panels_read_the_year_once_whatever_the_data(
    rf, case, pupil, contact_teacher, django_assert_num_queries
):
    from plans.actions.timetable import record_timetable
    from plans.timetable import RatingInput

    absence(pupil, WEEK_46, contact_teacher)
    record_timetable(
        case, filled_on=WEEK_46, ratings=[RatingInput(0, 1, "red")], by=contact_teacher
    )
    few = panel_queries(rf, case, contact_teacher, django_assert_num_queries)
    for i in range(8):
        absence(pupil, dt.date(2026, 9, 1) + dt.timedelta(days=7 * i), contact_teacher)
    version = chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 1))
    for i in range(5):
        plan_measure(version, starts_on=dt.date(2026, 9, 1 + i))
    held_evaluation(case, version, contact_teacher, held_on=dt.date(2026, 10, 1))
    record_timetable(
        case,
        filled_on=WEEK_46,
        ratings=[RatingInput(d, n, "green") for d in range(5) for n in range(1, 6)],
        by=contact_teacher,
    )
    assert panel_queries(rf, case, contact_teacher, django_assert_num_queries) == few


def render_print(chart) -> str:
    return render_to_string("plans/pdf/_effect_chart.html", {"chart": chart})


def test_print_chart_draws_each_series_as_one_path_and_has_no_table(
    case, pupil, contact_teacher, holiday
):
    """The PDF's chart: the same data in a few dozen nodes, whatever the weeks."""
    for monday in (WEEK_46, WEEK_46 - dt.timedelta(weeks=2), WEEK_46 - dt.timedelta(weeks=4)):
        absence(pupil, monday, contact_teacher)
        absence(pupil, monday + dt.timedelta(days=1), contact_teacher, kind="lesson", lessons=2)
        absence(pupil, monday + dt.timedelta(days=2), contact_teacher, kind="late")
    chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 14))
    chart = effect_chart(case, today=timezone.localdate())
    html = render_print(chart)
    uid = f"effekt-{case.uuid.hex[:12]}"
    # Accessible as the page's: an image with a title and a description.
    assert f'role="img" aria-labelledby="{uid}-title {uid}-desc"' in html
    assert f'<title id="{uid}-title">Fravær uke for uke dette skoleåret</title>' in html
    assert "3 hele dager, 6 enkelttimer og 3 forsentkomminger" in html
    # One bar per week with absence, each a subpath of its series' single path.
    assert chart.days_path.count("M") == 3 and chart.lessons_path.count("M") == 3
    holidays = [w for w in chart.weeks if w.holiday]  # the autumn break, the summer's end
    assert len(holidays) == 2 and chart.holiday_path.count("M") == 2
    assert html.count(f'fill="url(#{uid}-lessons)"') == 1
    assert html.count(f'fill="url(#{uid}-holiday)"') == 1
    assert html.count("<pattern") == 2 and "<rect x=" not in html
    # No per-week titles and no week table on paper; the legend and the markers stay.
    assert "<title>" not in html and "<table" not in html
    assert "Enkelttimer (skravert)" in html and "Tiltaksplan versjon 1 avtalt" in html
    assert "style=" not in html
    assert not any("," in part.split('"')[0] for part in html.split(' d="')[1:])


def test_print_chart_node_count_does_not_grow_with_weeks(case, pupil, contact_teacher):
    import re

    def nodes(today):
        html = render_print(effect_chart(case, today=today))
        return len(re.findall(r"<(?:rect|path|line|g|title)\b", html))

    for monday in (dt.date(2026, 8, 17) + dt.timedelta(weeks=n) for n in range(14)):
        absence(pupil, monday, contact_teacher)
    assert nodes(dt.date(2026, 8, 30)) == nodes(dt.date(2026, 11, 18))


def test_page_chart_keeps_its_table_and_week_titles(case, pupil, contact_teacher):
    absence(pupil, WEEK_46, contact_teacher)
    html = render(effect_chart(case, today=timezone.localdate()))
    assert "<table" in html and "<title>Uke 46: 1 hel dag" in html
