"""The red/yellow/green timetable (plans.timetable, plans.views.timetable): the grid
beside the absence by weekday and lesson, the form, saving, and who may see and
record it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import refer_to_ppt
from cases.actions.core import close_case
from cases.models import CaseAccessLog, CaseEvent
from fravaer.actions import remove_absence
from fravaer.models import TeachingAssignment
from plans.actions.timetable import RatingInput, record_timetable
from plans.models import TimetableSurvey
from plans.timetable import timetable_grid
from tests.cases.conftest import make_case
from tests.conftest import TODAY
from tests.factories import absence, give

MONDAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
TUESDAY = dt.date(2026, 11, 10)


@pytest.fixture
def case(pupil, contact_teacher):
    return make_case(pupil, by=contact_teacher)


@pytest.fixture
def survey(case, contact_teacher):
    return record_timetable(
        case,
        filled_on=TODAY,
        ratings=[
            RatingInput(0, 1, "red", "Matematikk", "Prøver hver mandag"),
            RatingInput(0, 2, "green", "Norsk", "Liker læreren"),
            RatingInput(1, 1, "yellow", "Engelsk"),
        ],
        by=contact_teacher,
    )


def url(name, case):
    return reverse(f"plans_timetable:{name}", args=[case.uuid])


def slot_data(**slots) -> dict:
    """Form data: `r_0_1="red"` and so on, every other slot empty."""
    data = {"filled_on": TODAY.isoformat(), "note": ""}
    for day in range(5):
        for lesson in range(1, 6):
            for prefix in "rsw":
                data[f"{prefix}_{day}_{lesson}"] = ""
    data.update(slots)
    return data


# --- the grid ---------------------------------------------------------------------------


def test_grid_counts_absence_by_weekday_and_lesson(case, pupil, contact_teacher, survey):
    absence(pupil, MONDAYS[0], contact_teacher)  # a whole Monday: every Monday lesson
    absence(pupil, MONDAYS[1], contact_teacher, kind="lesson", lessons=1, subject="matematikk")
    # A subject the timetable does not have on Mondays: the weekday's summary.
    absence(pupil, MONDAYS[2], contact_teacher, kind="lesson", lessons=2, subject="Kroppsøving")
    absence(pupil, TUESDAY, contact_teacher, kind="late", minutes_late=15)
    removed = absence(pupil, TUESDAY, contact_teacher, kind="lesson", lessons=1, subject="Engelsk")
    remove_absence(removed, by=contact_teacher)

    grid = timetable_grid(case, today=timezone.localdate())

    monday = [row[0] for row in grid.rows]
    assert [s.absent for s in monday] == [2, 1, 1, 1, 1]
    assert monday[0].rating.rating == "red" and monday[0].symbol == "■"
    tuesday = grid.weekdays[1]
    assert grid.rows[0][1].absent == 0  # the removed English lesson does not count
    assert (tuesday.late, tuesday.whole_days) == (1, 0)
    assert grid.weekdays[0].whole_days == 1
    assert grid.weekdays[0].other_lessons == 2
    assert grid.weekdays[0].other_subjects == {"Kroppsøving"}
    assert grid.weekdays[0].school_days == 16  # Mondays from 3.8 to 16.11.2026
    assert grid.counts == {"red": 1, "green": 1, "yellow": 1}


def test_the_newest_timetable_is_shown(case, contact_teacher, survey):
    newer = record_timetable(
        case, filled_on=TODAY, ratings=[RatingInput(4, 5, "green", "Musikk")], by=contact_teacher
    )
    grid = timetable_grid(case, today=timezone.localdate())
    assert grid.survey == newer
    assert grid.rows[4][4].rating.subject == "Musikk"
    assert grid.rows[0][0].rating is None


def test_grid_queries_do_not_grow_with_records_or_ratings(
    case, pupil, contact_teacher, survey, django_assert_num_queries
):
    with django_assert_num_queries(5):
        timetable_grid(case, today=timezone.localdate())
    for i in range(10):
        absence(pupil, MONDAYS[0] - dt.timedelta(days=7 * i), contact_teacher)
    record_timetable(
        case,
        filled_on=TODAY,
        ratings=[RatingInput(d, n, "red", "Norsk") for d in range(5) for n in range(1, 6)],
        by=contact_teacher,
    )
    with django_assert_num_queries(5):
        timetable_grid(case, today=timezone.localdate())


# --- the form ---------------------------------------------------------------------------


def test_saving_creates_a_survey_its_ratings_and_an_event(client_for, case, contact_teacher):
    data = slot_data(r_0_1="red", s_0_1="Matematikk", w_0_1="Prøver", r_2_3="green")
    response = client_for(contact_teacher).post(url("timetable_new", case), data)
    assert response.status_code == 302
    assert response["Location"] == url("timetable", case)
    survey = TimetableSurvey.objects.get(case=case)
    ratings = {(r.weekday, r.lesson): (r.rating, r.subject, r.why) for r in survey.ratings.all()}
    assert ratings == {(0, 1): ("red", "Matematikk", "Prøver"), (2, 3): ("green", "", "")}
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TIMETABLE_RECORDED)
    assert event.data == {"survey": survey.pk}
    page = client_for(contact_teacher).get(url("timetable", case)).content.decode()
    assert "Prøver" in page and "Rødt – vanskelig" in page


def test_form_starts_from_the_newest_timetable(client_for, case, contact_teacher, survey):
    html = client_for(contact_teacher).get(url("timetable_new", case)).content.decode()
    assert 'value="Prøver hver mandag"' in html
    assert '<option value="red" selected>' in html


def test_subject_without_rating_is_refused_at_its_field_and_keeps_the_text(
    client_for, case, contact_teacher
):
    data = slot_data(r_0_1="red", s_1_2="Naturfag", w_1_2="Vikar hver uke")
    response = client_for(contact_teacher).post(url("timetable_new", case), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tirsdag 2. time: velg grønt, gult eller rødt" in html
    assert 'aria-describedby="id_r_1_2-err"' in html and 'id="id_r_1_2-err"' in html
    assert 'value="Vikar hver uke"' in html
    assert not TimetableSurvey.objects.exists()


def test_an_empty_timetable_is_refused(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(url("timetable_new", case), slot_data())
    assert "Marker minst én time som grønn, gul eller rød." in response.content.decode()
    assert not TimetableSurvey.objects.exists()


def test_a_date_in_the_future_is_refused(client_for, case, contact_teacher):
    data = slot_data(r_0_1="green", filled_on=(TODAY + dt.timedelta(days=1)).isoformat())
    response = client_for(contact_teacher).post(url("timetable_new", case), data)
    assert "Datoen kan ikke være i fremtiden." in response.content.decode()
    assert not TimetableSurvey.objects.exists()


def test_an_unknown_rating_is_refused(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(url("timetable_new", case), slot_data(r_0_1="blue"))
    assert response.status_code == 200
    assert not TimetableSurvey.objects.exists()


def test_reading_the_timetable_is_logged(client_for, case, contact_teacher, survey):
    client_for(contact_teacher).get(url("timetable", case))
    assert CaseAccessLog.objects.filter(case=case, what="timetable").exists()


def test_case_page_shows_the_compact_timetable(client_for, case, contact_teacher, survey):
    html = client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert 'id="h-timetable"' in html
    assert "Matematikk" in html and "Prøver hver mandag" not in html  # compact
    assert url("timetable_new", case) in html


# --- access -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["timetable", "timetable_new"])
def test_anonymous_is_sent_to_login(client, case, name):
    response = client.get(url(name, case))
    assert response.status_code == 302 and "/logg-inn/" in response["Location"]


@pytest.mark.parametrize("name", ["timetable", "timetable_new"])
@pytest.mark.parametrize("persona", ["outsider", "ppt_advisor", "subject_teacher"])
def test_others_get_404(request, client_for, case, survey, name, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url(name, case)).status_code == 404
    assert client.post(url("timetable_new", case), slot_data(r_0_1="red")).status_code == 404
    assert TimetableSurvey.objects.count() == 1


def test_a_contact_teacher_whose_role_ended_gets_404(client_for, case, contact_teacher):
    TeachingAssignment.objects.filter(user=contact_teacher).update(
        valid_to=TODAY - dt.timedelta(days=1)
    )
    client = client_for(contact_teacher)
    assert client.get(url("timetable", case)).status_code == 404
    assert client.post(url("timetable_new", case), slot_data(r_0_1="red")).status_code == 404


def test_ppt_on_a_referral_reads_but_may_not_record(
    client_for, case, contact_teacher, ppt_advisor, survey
):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    client = client_for(ppt_advisor)
    response = client.get(url("timetable", case))
    assert response.status_code == 200
    assert url("timetable_new", case) not in response.content.decode()
    assert client.get(url("timetable_new", case)).status_code == 404
    assert client.post(url("timetable_new", case), slot_data(r_0_1="red")).status_code == 404
    assert TimetableSurvey.objects.count() == 1


def test_a_closed_case_takes_no_new_timetable(client_for, case, contact_teacher):
    close_case(case, reason="not_confirmed", text="", by=contact_teacher, version=case.version)
    client = client_for(contact_teacher)
    assert client.get(url("timetable", case)).status_code == 200
    assert client.post(url("timetable_new", case), slot_data(r_0_1="red")).status_code == 404
