"""Personas and small factories shared by the whole suite."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from fravaer.actions import ensure_default_reasons
from fravaer.celery import app
from fravaer.models import (
    Enrollment,
    Group,
    Guardian,
    Municipality,
    Pupil,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)

_seq = itertools.count(1)

# Two transactions at the same moment: PostgreSQL only (SQLite lets one writer in at a
# time, so there is no race to lose there); CI runs PostgreSQL, so these never skip there.
needs_concurrent_transactions = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent transactions: SQLite serialises writers (CI runs PostgreSQL)",
)

# Tests run on a fixed, ordinary school day unless they freeze time themselves.
TODAY = dt.date(2026, 11, 18)  # a Wednesday


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Real hashers cost ~0.3 s per user; tests do not test hashing."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (bokmål), whatever an earlier test in
    the same thread activated (a request in English, a task in nynorsk)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _frozen_today(request):
    if request.node.get_closest_marker("browser"):
        yield  # the browser test's live server runs on real time
        return
    import time_machine

    with time_machine.travel(
        dt.datetime(2026, 11, 18, 10, 0, tzinfo=timezone.get_default_timezone()), tick=True
    ):
        yield


def make_user(username: str | None = None, **extra) -> User:
    username = username or f"user{next(_seq)}@example.no"
    user = User.objects.create_user(
        username=username, email=username, password="pw-Test-123!", **extra
    )
    return user


def make_pupil(group: Group, *, first="Ola", last=None, start=None, **extra) -> Pupil:
    n = next(_seq)
    pupil = Pupil.objects.create(
        municipality=group.school.municipality,
        pupil_id=f"E{n:05d}",
        first_name=first,
        last_name=last or f"Nordmann{n}",
        birth_date=dt.date(2014, 1, 1),
        **extra,
    )
    Enrollment.objects.create(pupil=pupil, group=group, start=start or group.school_year.start)
    return pupil


def make_group(school: School, year: SchoolYear, *, name=None, grade=5) -> Group:
    return Group.objects.create(
        school=school,
        school_year=year,
        name=name or f"{grade}{chr(64 + next(_seq) % 26 + 1)}",
        grade=grade,
        lessons_per_day=Group.default_lessons_per_day(grade),
    )


@pytest.fixture
def municipality(db) -> Municipality:
    m = Municipality.objects.create(name="Testvik")
    ensure_default_reasons(m)
    return m


@pytest.fixture
def school_year(db) -> SchoolYear:
    return SchoolYear.objects.create(start=dt.date(2026, 8, 1), end=dt.date(2027, 7, 31))


@pytest.fixture
def school(municipality) -> School:
    return School.objects.create(municipality=municipality, name="Nordby skole")


@pytest.fixture
def other_school(municipality) -> School:
    return School.objects.create(municipality=municipality, name="Sørby skole")


@pytest.fixture
def group(school, school_year) -> Group:
    return make_group(school, school_year, name="5A", grade=5)


@pytest.fixture
def other_group(other_school, school_year) -> Group:
    return make_group(other_school, school_year, name="5B", grade=5)


@pytest.fixture
def pupil(group) -> Pupil:
    p = make_pupil(group, first="Ola", last="Nordmann")
    guardian = Guardian.objects.create(
        municipality=group.school.municipality, name="Kari Nordmann", phone="99999999"
    )
    guardian.pupils.add(p)
    return p


@pytest.fixture
def other_pupil(other_group) -> Pupil:
    return make_pupil(other_group, first="Per", last="Hansen")


def _assign(user, group, kind, subject=""):
    TeachingAssignment.objects.create(
        user=user, group=group, kind=kind, subject=subject, valid_from=group.school_year.start
    )
    return user


@pytest.fixture
def contact_teacher(group) -> User:
    return _assign(make_user("kontakt@nordby.no", first_name="Kari"), group, "contact")


@pytest.fixture
def subject_teacher(group) -> User:
    return _assign(make_user("fag@nordby.no", first_name="Frode"), group, "subject", "Matematikk")


def _role(user, role, school=None, municipality=None):
    StaffRole.objects.create(user=user, role=role, school=school, municipality=municipality)
    return user


@pytest.fixture
def leader(school) -> User:
    return _role(make_user("rektor@nordby.no"), "school_leader", school=school)


@pytest.fixture
def team_member(school) -> User:
    return _role(make_user("team@nordby.no"), "environment_team", school=school)


@pytest.fixture
def nurse(school) -> User:
    return _role(make_user("helse@nordby.no"), "school_nurse", school=school)


@pytest.fixture
def ppt_advisor(municipality) -> User:
    return _role(make_user("ppt@testvik.no"), "ppt_advisor", municipality=municipality)


@pytest.fixture
def municipal_admin(municipality) -> User:
    return _role(make_user("admin@testvik.no"), "municipal_admin", municipality=municipality)


@pytest.fixture
def outsider(other_group) -> User:
    """A contact teacher at another school."""
    return _assign(make_user("kontakt@sorby.no"), other_group, "contact")


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process, as the zero-setup demo does, even when the test
    run has a broker configured (CI)."""
    from fravaer.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


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
    _forget_backend()
    # Tasks that earlier tests' commits enqueued (with no worker running) refer to
    # rows that no longer exist; start from an empty queue.
    app.control.purge()
    # The worker thread opens its own database connection; close it after each task
    # (as a real worker does) so the test database can be dropped afterwards.
    task_postrun.connect(_close_thread_connection)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        task_postrun.disconnect(_close_thread_connection)
        app.conf.result_backend, app.conf.task_always_eager = previous
        _forget_backend()
        connections.close_all()


def _forget_backend() -> None:
    # Celery caches the result backend per thread on first use; drop it so the
    # configuration above (or its restoration) takes effect.
    with contextlib.suppress(AttributeError):
        del app._local.backend


def _close_thread_connection(**kwargs):
    connection.close()
