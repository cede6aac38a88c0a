"""Deadlines fall on school days: counted days that land in a holiday or a weekend move
forward to the next school day, never back, and the case page says so; the 2B summary's
window widens to the first school day when it has none. Around Christmas 2026 with the
school's holiday configured (21.12.2026–01.01.2027)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.actions.core import change_level
from cases.actions.deadlines import change_deadline_settings
from cases.actions.meetings import mark_meeting_held, schedule_meeting
from cases.models import Case, Deadline, Level, Meeting
from cases.queries import summary_2b_window
from fravaer.models import NonSchoolDay
from tests.factories import at_level

CHRISTMAS = [
    dt.date(2026, 12, 21) + dt.timedelta(days=n)
    for n in range(12)
    if (dt.date(2026, 12, 21) + dt.timedelta(days=n)).weekday() < 5
]
FIRST_SCHOOL_DAY = dt.date(2027, 1, 4)


@pytest.fixture
def christmas(school):
    NonSchoolDay.objects.bulk_create(
        NonSchoolDay(school=school, date=day, kind="holiday", name="Juleferie") for day in CHRISTMAS
    )


def on(day: dt.date):
    """Freeze the clock at 10:00 Oslo time on `day`."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.get_default_timezone()),
        tick=False,
    )


def move(case: Case, to: str, **extra) -> Case:
    return change_level(
        case, to=to, by=case.owner, reason="Fortsatt bekymring.", **extra, version=case.version
    )


def held(case: Case, kind: str) -> Meeting:
    meeting = schedule_meeting(
        case,
        kind=kind,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        place="Møterom 1",
        by=case.owner,
    )
    return mark_meeting_held(meeting, pupil_view="Vil prøve.", by=case.owner, version=1)


def pending(case: Case, kind: str) -> Deadline:
    return Deadline.objects.get(case=case, kind=kind, met_at=None, cancelled_at=None)


def page(client, case: Case) -> str:
    return client.get(reverse("cases:case", args=[case.uuid])).content.decode()


# --- counted deadlines move forward -------------------------------------------------------


def test_a_one_week_meeting_deadline_in_the_christmas_holiday_moves_to_the_first_school_day(
    case, christmas
):
    with on(dt.date(2026, 12, 14)):
        at_level(case, Level.NIVA_0)
        move(case, Level.NIVA_1)
    deadline = pending(case, Deadline.Kind.LEVEL1_MEETING)
    assert (deadline.due, deadline.moved_from) == (FIRST_SCHOOL_DAY, dt.date(2026, 12, 21))


def test_the_2a_evaluation_deadline_in_the_holiday_keeps_its_three_weeks_and_more(case, christmas):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_1)
        move(case, Level.NIVA_2A)
    deadline = pending(case, Deadline.Kind.EVALUATION_2A)
    # 21 days land on 28.12.2026; moving back would have left 11 days.
    assert deadline.due == FIRST_SCHOOL_DAY
    assert deadline.due - dt.date(2026, 12, 7) >= dt.timedelta(days=21)


def test_the_2b_evaluation_deadline_starts_at_the_follow_up_meeting_and_moves_past_the_holiday(
    case, christmas
):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_2B)
        held(case, Meeting.Kind.FOLLOW_UP)
    deadline = pending(case, Deadline.Kind.EVALUATION_2B)
    assert (deadline.due, deadline.moved_from, deadline.moved_because) == (
        FIRST_SCHOOL_DAY,
        dt.date(2026, 12, 28),
        "Juleferie",
    )


def test_the_2b_evaluation_deadline_follows_the_municipalitys_setting(
    case, municipality, municipal_admin
):
    change_deadline_settings(
        municipality, days={Deadline.Kind.EVALUATION_2B: 14}, by=municipal_admin
    )
    at_level(case, Level.NIVA_2B)
    held(case, Meeting.Kind.FOLLOW_UP)
    assert pending(case, Deadline.Kind.EVALUATION_2B).due == dt.date(2026, 12, 2)


def test_a_second_follow_up_meeting_does_not_push_the_2b_evaluation_back(case):
    at_level(case, Level.NIVA_2B)
    held(case, Meeting.Kind.FOLLOW_UP)
    first = pending(case, Deadline.Kind.EVALUATION_2B)
    with on(dt.date(2026, 11, 25)):
        held(case, Meeting.Kind.FOLLOW_UP)
    assert pending(case, Deadline.Kind.EVALUATION_2B) == first


def test_an_evaluation_meeting_at_2b_no_longer_meets_the_2b_evaluation(case):
    """Recording an evaluation of the plan meets it (`plans`); a meeting alone does not."""
    at_level(case, Level.NIVA_2B)
    held(case, Meeting.Kind.FOLLOW_UP)
    held(case, Meeting.Kind.EVALUATION)
    deadline = Deadline.objects.get(case=case, kind=Deadline.Kind.EVALUATION_2B)
    assert deadline.met_at is None


def test_leaving_2b_cancels_its_evaluation(case):
    at_level(case, Level.NIVA_2B)
    held(case, Meeting.Kind.FOLLOW_UP)
    move(case, Level.NIVA_2A)
    deadline = Deadline.objects.get(case=case, kind=Deadline.Kind.EVALUATION_2B)
    assert deadline.cancelled_at is not None


def test_a_deadline_on_a_saturday_moves_to_monday(case, municipality, municipal_admin):
    change_deadline_settings(
        municipality, days={Deadline.Kind.LEVEL1_MEETING: 3}, by=municipal_admin
    )
    at_level(case, Level.NIVA_0)
    move(case, Level.NIVA_1)  # Wednesday 18.11.2026 + 3 days = Saturday
    deadline = pending(case, Deadline.Kind.LEVEL1_MEETING)
    assert (deadline.due, deadline.moved_from, deadline.moved_because) == (
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 21),
        "weekend",
    )


def test_a_deadline_on_a_school_day_does_not_move(case):
    at_level(case, Level.NIVA_0)
    move(case, Level.NIVA_1)
    deadline = pending(case, Deadline.Kind.LEVEL1_MEETING)
    assert (deadline.due, deadline.moved_from, deadline.moved_because) == (
        dt.date(2026, 11, 25),
        None,
        "",
    )


def test_the_case_page_says_a_deadline_was_moved_and_why(
    client_for, case, contact_teacher, christmas
):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_1)
        move(case, Level.NIVA_2A)
        html = page(client_for(contact_teacher), case)
    assert (
        "Fristen er flyttet til 04.01.2027 fordi 28.12.2026 ikke er en skoledag (Juleferie)."
        in html
    )


def test_the_case_page_says_nothing_of_a_move_for_a_deadline_on_a_school_day(
    client_for, case, contact_teacher
):
    at_level(case, Level.NIVA_0)
    move(case, Level.NIVA_1)
    assert "Fristen er flyttet" not in page(client_for(contact_teacher), case)


def test_the_timeline_says_the_deadline_moved(case, christmas):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_1)
        move(case, Level.NIVA_2A)
    event = case.events.filter(kind="deadline_set").get()
    assert event.text == (
        "Evaluering (nivå 2A): 04.01.2027 (flyttet fra 28.12.2026, som ikke er en skoledag)"
    )


# --- the 2B summary's window --------------------------------------------------------------


def test_the_2b_summary_window_in_the_holiday_widens_to_the_first_school_day(case, christmas):
    with on(dt.date(2026, 12, 7)):
        window = summary_2b_window(case, timezone.localdate())
    # Before: 21.12.2026 was both the first and the last date allowed, in the holiday.
    assert (window.earliest, window.latest, window.suggested) == (
        dt.date(2026, 12, 21),
        FIRST_SCHOOL_DAY,
        FIRST_SCHOOL_DAY,
    )
    assert (window.widened_from, window.because) == (dt.date(2026, 12, 28), "Juleferie")


def test_a_2b_summary_window_with_school_days_suggests_its_last_school_day(case, christmas):
    with on(dt.date(2026, 11, 30)):
        window = summary_2b_window(case, timezone.localdate())
    # 14.12.–21.12.2026: the 21st is in the holiday, the 18th (Friday) is the last school day.
    assert (window.earliest, window.latest, window.suggested, window.widened_from) == (
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 21),
        dt.date(2026, 12, 18),
        None,
    )


def _level_post(case, **fields):
    data = {
        "to": "2B",
        "niva-2b-version": case.version,
        "niva-2b-reason": "Sammensatt situasjon.",
    }
    data.update({f"niva-2b-{k}": v for k, v in fields.items()})
    return data


def test_the_2b_form_suggests_the_first_school_day_and_says_the_window_widened(
    client_for, case, contact_teacher, christmas
):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_2A)
        response = client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid]))
    form = next(f for f in response.context["level_forms"] if f.to == Level.NIVA_2B)
    assert form["summary_due"].value() == FIRST_SCHOOL_DAY
    html = response.content.decode()
    assert 'min="2026-12-21"' in html and 'max="2027-01-04"' in html
    assert (
        "Fristen er flyttet til 04.01.2027 fordi 28.12.2026 ikke er en skoledag (Juleferie)" in html
    )


def test_the_2b_form_refuses_a_holiday_at_the_field_and_keeps_the_reason(
    client_for, case, contact_teacher, christmas
):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_2A)
        response = client_for(contact_teacher).post(
            reverse("cases:case_level", args=[case.uuid]),
            _level_post(case, summary_due="2026-12-21"),
        )
    form = next(f for f in response.context["level_forms"] if f.to == Level.NIVA_2B)
    assert form.errors["summary_due"] == [
        "21.12.2026 er ikke en skoledag (Juleferie). Velg en skoledag fra 21.12.2026 til "
        "04.01.2027."
    ]
    assert form["reason"].value() == "Sammensatt situasjon."
    case.refresh_from_db()
    assert case.level == Level.NIVA_2A


def test_the_2b_form_accepts_the_first_school_day_after_the_holiday(
    client_for, case, contact_teacher, christmas
):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_2A)
        client_for(contact_teacher).post(
            reverse("cases:case_level", args=[case.uuid]),
            _level_post(case, summary_due="2027-01-04"),
        )
    case.refresh_from_db()
    assert case.level == Level.NIVA_2B
    assert pending(case, Deadline.Kind.MAPPING_SUMMARY_2B).due == FIRST_SCHOOL_DAY


def test_the_case_pages_timeline_says_the_deadline_moved(
    client_for, case, contact_teacher, christmas
):
    with on(dt.date(2026, 12, 7)):
        at_level(case, Level.NIVA_1)
        move(case, Level.NIVA_2A)
        response = client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid]))
    [event] = [e for e in response.context["timeline"] if e.kind == "deadline_set"]
    assert event.display_text.endswith("(flyttet fra 28.12.2026, som ikke er en skoledag)")
