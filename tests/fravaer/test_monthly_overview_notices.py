"""The daily beat task: on a school's first school day of a month, its leaders hear that
last month's overview is ready and its contact teachers that their comments are due;
once only, whatever the retries."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from fravaer.models import MonthlyOverviewNotice, NonSchoolDay, Notification
from fravaer.tasks import announce_monthly_overviews_daily

DECEMBER_1 = dt.date(2026, 12, 1)  # a Tuesday


@pytest.fixture
def people(leader, contact_teacher, team_member):
    return leader, contact_teacher


def run(day: dt.date):
    return announce_monthly_overviews_daily.apply(args=[day.isoformat()]).get()


def test_on_the_first_school_day_leaders_and_contact_teachers_are_told(people, school, group):
    leader, contact_teacher = people
    assert run(DECEMBER_1) == {"schools": 1, "messages": 2}
    to_leader = Notification.objects.get(user=leader)
    assert to_leader.kind == "overview"
    assert to_leader.link == reverse("fravaer:monthly_overview_month", args=[school.pk, "2026-11"])
    to_teacher = Notification.objects.get(user=contact_teacher)
    assert to_teacher.link == reverse("fravaer:class_comment", args=[group.pk, "2026-11"])
    # The texts carry no names or figures.
    assert "Ola" not in to_leader.text + to_teacher.text


def test_the_team_gets_no_message(people, team_member):
    run(DECEMBER_1)
    assert not Notification.objects.filter(user=team_member).exists()


def test_twice_on_the_same_day_sends_once(people):
    run(DECEMBER_1)
    assert run(DECEMBER_1) == {"schools": 0, "messages": 0}
    assert Notification.objects.count() == 2
    assert MonthlyOverviewNotice.objects.count() == 1


def test_a_retry_after_a_failure_sends_once(people):
    with (
        mock.patch(
            "fravaer.actions.scan_writes.queue_notification_emails",
            side_effect=ConnectionError("broker down"),
        ),
        pytest.raises(ConnectionError),
    ):
        run(DECEMBER_1)
    # The failed attempt left nothing behind: the marker and the messages are one
    # transaction.
    assert not MonthlyOverviewNotice.objects.exists() and not Notification.objects.exists()
    run(DECEMBER_1)
    run(DECEMBER_1)
    assert Notification.objects.count() == 2


def test_not_on_another_day(people):
    assert run(dt.date(2026, 12, 2)) == {"schools": 0, "messages": 0}
    assert not Notification.objects.exists()


def test_a_holiday_on_the_first_moves_it_to_the_first_school_day(people, school):
    NonSchoolDay.objects.create(school=school, date=DECEMBER_1, kind="planning")
    assert run(DECEMBER_1)["messages"] == 0
    assert run(dt.date(2026, 12, 2))["messages"] == 2


def test_the_task_takes_only_a_date():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-overview-ready"]
    assert entry["task"] == "fravaer.tasks.announce_monthly_overviews_daily"
    assert not entry.get("args")


def test_the_inbox_shows_the_message_with_its_link(people, school, client_for):
    leader, _teacher = people
    run(DECEMBER_1)
    html = client_for(leader).get(reverse("inbox")).content.decode()
    link = reverse("fravaer:monthly_overview_month", args=[school.pk, "2026-11"])
    assert f'href="{link}"' in html
    assert "Månedsoversikten for forrige måned er klar." in html
