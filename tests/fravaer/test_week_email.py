"""The Friday e-mail about the contact teacher's week (issue #15, §2): a setting per
user, a link only, once per person and week whatever retries do, and the beat."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from fravaer.actions.week import send_week_emails, set_week_email
from fravaer.models import WeekEmail
from fravaer.tasks import send_week_emails_friday
from tests.conftest import TODAY, make_user
from tests.pages import html_of

SETTINGS_URL = reverse("settings")
FRIDAY = TODAY.replace(day=20)  # Friday 20.11.2026, week 47


def test_the_settings_page_requires_login(client):
    assert client.get(SETTINGS_URL).status_code == 302


def test_the_setting_is_off_until_chosen(client_for, contact_teacher):
    html = html_of(client_for(contact_teacher).get(SETTINGS_URL))
    assert 'name="week_email"' in html and "checked" not in html
    assert "Send meg en e-post på fredager med lenke til uka mi" in html


def test_choosing_the_week_email_saves_it(client_for, contact_teacher):
    client = client_for(contact_teacher)
    response = client.post(SETTINGS_URL, {"week_email": "on"}, follow=True)
    contact_teacher.refresh_from_db()
    assert contact_teacher.week_email
    assert "Lagret: du får e-post om uka di på fredager." in html_of(response)
    assert "checked" in html_of(client.get(SETTINGS_URL))
    client.post(SETTINGS_URL, {})
    contact_teacher.refresh_from_db()
    assert not contact_teacher.week_email


def test_the_settings_form_needs_its_csrf_token(contact_teacher):
    client = Client(enforce_csrf_checks=True)
    client.force_login(contact_teacher)
    assert client.post(SETTINGS_URL, {"week_email": "on"}).status_code == 403
    contact_teacher.refresh_from_db()
    assert not contact_teacher.week_email


def test_the_header_menu_links_the_settings(client_for, contact_teacher):
    assert SETTINGS_URL in html_of(client_for(contact_teacher).get(reverse("home")))


def test_opted_in_contact_teachers_get_a_link_and_nothing_about_pupils(
    contact_teacher, pupil, leader, subject_teacher
):
    set_week_email(contact_teacher, enabled=True)
    set_week_email(leader, enabled=True)  # no class of their own: nothing to link to
    assert send_week_emails(FRIDAY) == 1
    [message] = mail.outbox
    assert message.to == [contact_teacher.email]
    assert message.subject == "Fravær: uka di, uke 47"
    assert f"{settings.SITE_URL}/uke/?uke=2026-W47" in message.body
    for private in (pupil.first_name, pupil.last_name, pupil.enrollments.first().group.name):
        assert private not in message.body and private not in message.subject


def test_a_contact_teacher_who_did_not_choose_it_gets_nothing(contact_teacher):
    assert send_week_emails(FRIDAY) == 0
    assert mail.outbox == []


def test_the_week_email_is_sent_once_per_week_whatever_runs_again(contact_teacher):
    set_week_email(contact_teacher, enabled=True)
    assert send_week_emails(FRIDAY) == 1
    assert send_week_emails(FRIDAY) == 0
    assert send_week_emails(TODAY) == 0  # the same week
    assert len(mail.outbox) == 1
    assert WeekEmail.objects.get().week == TODAY.replace(day=16)


def test_a_failed_send_leaves_nothing_claimed_so_the_retry_sends_it(contact_teacher):
    set_week_email(contact_teacher, enabled=True)
    with (
        mock.patch(
            "fravaer.actions.week.EmailMessage.send", side_effect=ConnectionError("SMTP down")
        ),
        pytest.raises(ConnectionError),
    ):
        send_week_emails(FRIDAY)
    assert not WeekEmail.objects.exists()
    assert send_week_emails(FRIDAY) == 1
    assert len(mail.outbox) == 1


def test_the_task_takes_a_date_and_sends(contact_teacher, eager_tasks):
    set_week_email(contact_teacher, enabled=True)
    assert send_week_emails_friday.delay(FRIDAY.isoformat()).get() == 1
    assert send_week_emails_friday.delay(FRIDAY.isoformat()).get() == 0


def test_an_inactive_user_or_one_without_an_address_gets_nothing(group):
    from tests.conftest import _assign

    gone = _assign(make_user(is_active=False), group, "contact")
    silent = _assign(make_user(), group, "contact")
    silent.email = ""
    silent.save(update_fields=["email"])
    for user in (gone, silent):
        set_week_email(user, enabled=True)
    assert send_week_emails(FRIDAY) == 0


def test_the_beat_sends_it_on_fridays_at_two_in_oslo():
    entry = settings.CELERY_BEAT_SCHEDULE["week-emails-friday"]
    assert entry["task"] == "fravaer.tasks.send_week_emails_friday"
    schedule = entry["schedule"]
    assert schedule.hour == {14} and schedule.minute == {0} and schedule.day_of_week == {5}
    assert settings.CELERY_TIMEZONE == "Europe/Oslo"
