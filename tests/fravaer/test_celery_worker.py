"""A real Celery worker on the configured broker (Redis in CI) runs our tasks.

Locally without CELERY_BROKER_URL this skips; in CI (CI=true) it must run.
"""

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from fravaer import tasks
from fravaer.celery import app


def _session(key: str, expires: dt.datetime) -> None:
    Session.objects.create(session_key=key, session_data="x", expire_date=expires)


def test_worker_on_the_broker_clears_expired_sessions(real_worker):
    now = timezone.now()
    _session("expired0000000000000000000000000", now - dt.timedelta(days=1))
    _session("valid00000000000000000000000000", now + dt.timedelta(days=1))
    result = tasks.clear_expired_sessions.delay()
    result.get(timeout=30)
    assert list(Session.objects.values_list("session_key", flat=True)) == [
        "valid00000000000000000000000000"
    ]


def test_without_a_broker_tasks_run_in_process(db):
    from fravaer import settings as project_settings

    assert project_settings.CELERY_TASK_ALWAYS_EAGER is (not project_settings.CELERY_BROKER_URL)


def test_beat_schedule_names_real_tasks():
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def _late_arrivals(pupil, by, *, rescan):
    from fravaer.actions import AbsenceInput, apply_absence_changes

    reason = pupil.municipality.absence_reasons.get(code="other")
    data = AbsenceInput(kind="late", documented=True, reason=reason, minutes_late=5)
    days = [dt.date(2026, 11, d) for d in (9, 10, 11, 12)]
    apply_absence_changes(creates=[(pupil, d, data) for d in days], by=by, rescan=rescan)


def test_worker_on_the_broker_runs_the_nightly_school_scan(
    real_worker, school, pupil, contact_teacher
):
    from fravaer.models import Flag, Notification

    _late_arrivals(pupil, contact_teacher, rescan=False)
    assert tasks.scan_school.delay(school.pk, "2026-11-18").get(timeout=60) >= 1
    flag = Flag.objects.get(pupil=pupil, rule="month_late")
    assert any(flag.pk in n.flag_ids for n in Notification.objects.filter(user=contact_teacher))
    assert tasks.scan_school.delay(school.pk, "2026-11-18").get(timeout=60) == 0


def test_saving_absence_enqueues_a_scan_the_worker_runs(
    real_worker, school, pupil, contact_teacher
):
    import time

    from fravaer.models import Flag

    _late_arrivals(pupil, contact_teacher, rescan=True)  # commits, then enqueues
    deadline = time.monotonic() + 30
    while not Flag.objects.filter(pupil=pupil, rule="month_late").exists():
        assert time.monotonic() < deadline, "the enqueued scan did not run"
        time.sleep(0.2)
