"""A real Celery worker on the configured broker (Redis in CI) runs our tasks.

Locally without CELERY_BROKER_URL this skips; in CI (CI=true) it must run.
"""

import datetime as dt
import os

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.utils import timezone

from fravaer import tasks
from fravaer.celery import app


@pytest.fixture
def real_worker(transactional_db):
    url = settings.CELERY_BROKER_URL
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CELERY_BROKER_URL must be set in CI")
        pytest.skip("no CELERY_BROKER_URL: Celery integration tests need a broker")
    previous = app.conf.result_backend, app.conf.task_always_eager
    app.conf.result_backend = url
    app.conf.task_always_eager = False
    # The worker thread opens its own database connection; close it after each task
    # (as a real worker does) so the test database can be dropped afterwards.
    task_postrun.connect(_close_thread_connection)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        task_postrun.disconnect(_close_thread_connection)
        app.conf.result_backend, app.conf.task_always_eager = previous
        connections.close_all()


def _close_thread_connection(**kwargs):
    connection.close()


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
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
