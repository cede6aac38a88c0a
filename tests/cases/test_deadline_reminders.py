"""The daily reminders: two school days before a deadline and when it has passed, once
each, to the case owner, set-based."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.actions.core import close_case
from cases.actions.deadlines import (
    NEAR_TEXTS,
    OVERDUE_TEXTS,
    SOON_TEXTS,
    ReminderResult,
    send_deadline_reminders,
    set_deadline,
)
from cases.deadlines import reminder_day
from cases.models import Deadline
from cases.tasks import send_deadline_reminders_daily
from fravaer.models import NonSchoolDay, Notification, School, StaffRole
from fravaer.schooldays import SchoolCalendar
from tests.cases.conftest import make_case
from tests.conftest import _assign, make_group, make_pupil, make_user

MEETING = Deadline.Kind.LEVEL1_MEETING
WED, THU, FRI = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)
MON, TUE = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def _at(day: dt.date, hour: int = 6) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_default_timezone())


def _run(day: dt.date):
    return send_deadline_reminders(day, _at(day))


def _deadline(case, due, kind=MEETING) -> Deadline:
    return set_deadline(case, kind, now=timezone.now(), due=due, by=None)


def _messages(user=None):
    qs = Notification.objects.filter(kind=Notification.Kind.DEADLINE)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs.values_list("text", flat=True))


# --- two school days --------------------------------------------------------------------


def test_reminder_day_is_two_school_days_before():
    assert reminder_day(FRI, SchoolCalendar()) == WED


def test_reminder_day_skips_the_weekend():
    assert reminder_day(TUE, SchoolCalendar()) == FRI
    assert reminder_day(MON, SchoolCalendar()) == THU


def test_reminder_day_skips_a_holiday():
    calendar = SchoolCalendar.from_days([(FRI, "Planleggingsdag")])
    assert reminder_day(TUE, calendar) == THU


def test_reminder_day_of_a_deadline_on_a_saturday_is_thursday():
    assert reminder_day(dt.date(2026, 11, 21), SchoolCalendar()) == THU


# --- sending -----------------------------------------------------------------------------


def test_owner_is_reminded_two_school_days_before(case, contact_teacher):
    _deadline(case, FRI)
    result = _run(WED)
    assert (result.soon, result.overdue) == (1, 0)
    assert _messages(contact_teacher) == [SOON_TEXTS[MEETING]]
    notification = Notification.objects.get(kind=Notification.Kind.DEADLINE)
    assert notification.link == f"/saker/{case.uuid}/"
    assert notification.pupil_id == case.pupil_id


def test_no_reminder_three_school_days_before(case):
    _deadline(case, MON)
    assert _run(WED).soon == 0
    assert _messages() == []


def test_reminder_over_a_weekend_comes_on_friday(case):
    _deadline(case, TUE)
    assert _run(THU).soon == 0
    assert _run(FRI).soon == 1


def test_reminder_before_a_holiday_comes_a_day_earlier(case, school):
    NonSchoolDay.objects.create(school=school, date=FRI, kind="planning", name="Planleggingsdag")
    _deadline(case, TUE)
    assert _run(WED).soon == 0
    assert _run(THU).soon == 1


def test_holiday_at_another_school_does_not_move_the_reminder(case, other_school):
    NonSchoolDay.objects.create(
        school=other_school, date=FRI, kind="planning", name="Planleggingsdag"
    )
    _deadline(case, TUE)
    assert _run(THU).soon == 0


def test_deadline_set_closer_than_two_school_days_is_announced_without_the_count(case):
    _deadline(case, THU)
    assert _run(WED).soon == 1
    assert _messages() == [NEAR_TEXTS[MEETING]]


def test_owner_is_told_when_the_deadline_has_passed(case, contact_teacher):
    deadline = _deadline(case, dt.date(2026, 11, 17))
    result = _run(WED)
    assert (result.soon, result.overdue) == (0, 1)
    assert _messages(contact_teacher) == [OVERDUE_TEXTS[MEETING]]
    deadline.refresh_from_db()
    assert deadline.overdue_notified_at == _at(WED)


def test_no_overdue_notice_on_the_due_day(case):
    _deadline(case, WED)
    assert _run(WED).overdue == 0


SAT, SUN = dt.date(2026, 11, 21), dt.date(2026, 11, 22)


def _overdue_on(days) -> list[int]:
    """The overdue notices each day's run sends, with the clock frozen on that day."""
    sent = []
    for day in days:
        with time_machine.travel(_at(day), tick=False):
            sent.append(send_deadline_reminders(timezone.localdate()).overdue)
    return sent


def test_overdue_notice_for_a_friday_deadline_waits_for_monday(case):
    _deadline(case, FRI)
    assert _overdue_on([SAT, SUN, MON]) == [0, 0, 1]


def test_overdue_notice_for_a_saturday_deadline_comes_on_monday_not_sunday(case):
    _deadline(case, SAT)
    assert _overdue_on([SUN, MON]) == [0, 1]


def test_overdue_notice_skips_a_holiday_after_the_weekend(case, school):
    NonSchoolDay.objects.create(school=school, date=MON, kind="planning", name="Planleggingsdag")
    _deadline(case, FRI)
    assert _overdue_on([SAT, SUN, MON, TUE]) == [0, 0, 0, 1]


def test_holiday_at_another_school_does_not_delay_the_overdue_notice(case, other_school):
    NonSchoolDay.objects.create(
        school=other_school, date=MON, kind="planning", name="Planleggingsdag"
    )
    _deadline(case, FRI)
    assert _overdue_on([SAT, SUN, MON]) == [0, 0, 1]


def test_overdue_notice_comes_the_next_day_when_that_is_a_school_day(case):
    _deadline(case, WED)
    assert _overdue_on([THU]) == [1]


def test_reminders_are_sent_once_under_reruns(case, pupil, group, contact_teacher):
    """A re-run the same day and the next day's run send nothing new: one "soon" and
    one "overdue" each."""
    _deadline(case, FRI)
    late = make_case(make_pupil(group), by=contact_teacher)
    _deadline(late, dt.date(2026, 11, 17))
    for day in (WED, WED, THU):
        with time_machine.travel(_at(day), tick=False):
            send_deadline_reminders_daily.apply(args=[day.isoformat()])
    texts = sorted(_messages(contact_teacher))
    assert texts == sorted([SOON_TEXTS[MEETING], OVERDUE_TEXTS[MEETING]])


def test_the_soon_deadline_gets_its_overdue_notice_once_after_it_passes(case):
    _deadline(case, FRI)
    for day in (WED, THU, FRI, dt.date(2026, 11, 21), dt.date(2026, 11, 22), MON):
        _run(day)
    assert sorted(_messages()) == sorted([SOON_TEXTS[MEETING], OVERDUE_TEXTS[MEETING]])


def test_rerun_after_reminded_at_was_lost_sends_no_second_message(case):
    """The notification key holds even if the timestamp were cleared."""
    deadline = _deadline(case, FRI)
    _run(WED)
    Deadline.objects.filter(pk=deadline.pk).update(reminded_at=None)
    _run(WED)
    assert len(_messages()) == 1


def test_met_and_cancelled_deadlines_are_not_reminded(case):
    _deadline(case, FRI)
    Deadline.objects.update(met_at=timezone.now())
    _deadline(case, dt.date(2026, 11, 17), kind=Deadline.Kind.EVALUATION_2A)
    Deadline.objects.filter(kind=Deadline.Kind.EVALUATION_2A).update(cancelled_at=timezone.now())
    assert _run(WED) == ReminderResult(soon=0, overdue=0)
    assert _messages() == []


def test_closed_cases_are_not_reminded(case, contact_teacher):
    _deadline(case, dt.date(2026, 11, 17))
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    assert _run(WED).overdue == 0


def test_reminder_goes_to_the_current_owner(case, school, contact_teacher):
    team_member = make_user("team2@nordby.no")
    StaffRole.objects.create(user=team_member, role="environment_team", school=school)
    case.owner = team_member
    case.save(update_fields=["owner"])
    _deadline(case, FRI)
    _run(WED)
    assert _messages(team_member) == [SOON_TEXTS[MEETING]]
    assert _messages(contact_teacher) == []


def test_reminder_text_names_the_step_and_no_details(case):
    _deadline(case, dt.date(2026, 11, 17))
    _run(WED)
    text = _messages()[0]
    assert case.pupil.first_name not in text
    assert "fravær" not in text.lower()
    assert case.concern not in text


def test_reminder_e_mail_carries_no_details(
    case, contact_teacher, mailoutbox, django_capture_on_commit_callbacks, eager_tasks
):
    _deadline(case, FRI)
    with django_capture_on_commit_callbacks(execute=True):
        _run(WED)
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert mailoutbox[0].to == [contact_teacher.email]
    assert case.pupil.last_name not in body and case.pupil.first_name not in body


def test_every_deadline_kind_has_texts():
    for kind in Deadline.Kind.values:
        assert kind in SOON_TEXTS and kind in NEAR_TEXTS and kind in OVERDUE_TEXTS


# --- set-based -------------------------------------------------------------------------


def _cases_with_deadlines(n: int, school_year, municipality):
    for i in range(n):
        school = School.objects.create(municipality=municipality, name=f"Skole {i}-{n}")
        group = make_group(school, school_year)
        teacher = _assign(make_user(), group, "contact")
        NonSchoolDay.objects.create(school=school, date=FRI, kind="planning", name="Fri")
        case = make_case(make_pupil(group), by=teacher)
        _deadline(case, TUE if i % 2 else dt.date(2026, 11, 17))


def _count_queries(day) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _run(day)
    return len(ctx.captured_queries)


def test_reminder_queries_do_not_grow_with_cases_and_schools(school_year, municipality):
    _cases_with_deadlines(3, school_year, municipality)
    few = _count_queries(THU)
    Notification.objects.all().delete()
    Deadline.objects.update(reminded_at=None, overdue_notified_at=None)
    _cases_with_deadlines(15, school_year, municipality)
    many = _count_queries(THU)
    assert Notification.objects.filter(kind="deadline").count() == 18
    assert many == few


# --- Celery ----------------------------------------------------------------------------


def test_task_runs_through_celery(eager_tasks, case, contact_teacher):
    _deadline(case, FRI)
    result = send_deadline_reminders_daily.delay(WED.isoformat())
    assert result.get() == {"soon": 1, "overdue": 0}
    assert _messages(contact_teacher) == [SOON_TEXTS[MEETING]]


def test_task_without_a_date_uses_today_in_oslo(eager_tasks, case):
    _deadline(case, FRI)  # the suite's today is Wednesday 18.11.2026
    assert send_deadline_reminders_daily.delay().get() == {"soon": 1, "overdue": 0}


def test_beat_runs_the_reminders_daily_at_six_oslo_time():
    entry = settings.CELERY_BEAT_SCHEDULE["case-deadline-reminders"]
    assert entry["task"] == "cases.tasks.send_deadline_reminders_daily"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Europe/Oslo"


@pytest.mark.usefixtures("real_worker")
def test_worker_on_the_broker_sends_the_reminders_once(case, contact_teacher):
    _deadline(case, FRI)
    assert send_deadline_reminders_daily.delay(WED.isoformat()).get(timeout=60) == {
        "soon": 1,
        "overdue": 0,
    }
    assert send_deadline_reminders_daily.delay(WED.isoformat()).get(timeout=60) == {
        "soon": 0,
        "overdue": 0,
    }
    assert _messages(contact_teacher) == [SOON_TEXTS[MEETING]]
