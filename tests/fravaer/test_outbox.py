"""A save never waits long on the broker, whatever the broker does, and what it
enqueues is not lost: it stays in the outbox and is relayed once the broker is back
(`fravaer.actions.outbox`).

The faulty brokers are real sockets: a listener that accepts and never answers, and a
port where nothing listens. These tests need no Redis: locally the broker that is
"back" runs the tasks in-process; in CI (CELERY_BROKER_URL) it is the real Redis with
a real worker. They never skip.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from fravaer.actions import AbsenceInput, apply_absence_changes, outbox
from fravaer.actions.outbox import RELAY_AFTER, enqueue_on_commit, relay_outbox
from fravaer.actions.scan_writes import queue_notification_emails
from fravaer.celery import app
from fravaer.models import AbsenceRecord, Flag, OutboxTask
from fravaer.tasks import clear_expired_sessions, scan_pupils, send_inbox_emails

SAVE_DAY = dt.date(2026, 11, 17)  # the fourth late arrival this month: a flag is due
EARLIER_LATE_DAYS = [dt.date(2026, 11, d) for d in (10, 11, 12)]
# Generous for a slow, shared CI machine: a liveness check, not a timing benchmark
# (the enqueue waits at most ENQUEUE_TIMEOUT).
LIVENESS = 10


@pytest.fixture
def silent_broker():
    """A Redis URL whose listener accepts every connection and never answers (a hung
    broker, a half-open connection, a firewall that drops packets)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def absent_broker():
    """A Redis URL on a port where nothing listens: the connection is refused."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def working_broker(request, transactional_db):
    """The broker that is back: the real one with a worker where the run has one
    (CI), otherwise tasks run in-process, as without a broker."""
    if settings.CELERY_BROKER_URL:
        request.getfixturevalue("real_worker")


@contextlib.contextmanager
def broker_at(url: str):
    """Publish to `url` (the worker, if any, keeps consuming from the real broker):
    fresh producer pools, so nothing reuses a connection to the real one."""
    conf = app.conf
    previous = conf.get("broker_write_url"), conf.task_always_eager
    conf["broker_write_url"], conf["task_always_eager"] = url, False
    _drop_pools()
    try:
        yield
    finally:
        conf["broker_write_url"], conf["task_always_eager"] = previous
        _drop_pools()


def _drop_pools() -> None:
    # Celery keeps a connection pool and a producer pool for the broker it first
    # published to; the next publish builds them for the URL configured then.
    app._pool = None
    app.amqp._producer_pool = None


def returns_in_time(call):
    """Run `call` in a thread and assert it returns within LIVENESS seconds."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(LIVENESS)
    assert not thread.is_alive(), f"still waiting on the broker after {LIVENESS} s"
    print(f"returned after {time.monotonic() - started:.2f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def eventually(condition, *, within: float = 30) -> bool:
    """True as soon as `condition()` is (a worker runs the task in its own time)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def relay_when_the_broker_is_back() -> int:
    # Rows younger than RELAY_AFTER are still their request's to send.
    return relay_outbox(now=timezone.now() + RELAY_AFTER)


def _late(pupil):
    reason = pupil.municipality.absence_reasons.get(code="other")
    return AbsenceInput(kind="late", documented=True, reason=reason, minutes_late=5)


def _three_late_arrivals(pupil, by) -> None:
    creates = [(pupil, day, _late(pupil)) for day in EARLIER_LATE_DAYS]
    apply_absence_changes(creates=creates, by=by, rescan=False)


def _register_post(client, group, pupil) -> tuple[str, dict]:
    url = reverse("register", args=[group.pk]) + f"?dato={SAVE_DAY.isoformat()}"
    page = client.get(url)
    data = {"dato": SAVE_DAY.isoformat()}
    for row, form in page.context["rows"]:
        data[f"{form.prefix}-pupil"] = str(row.pupil.uuid)
        data[f"{form.prefix}-record"] = ""
        if row.pupil == pupil:
            data[f"{form.prefix}-status"] = "late"
            data[f"{form.prefix}-minutes_late"] = "5"
    return url, data


def _month_flag(pupil) -> bool:
    return Flag.objects.filter(pupil=pupil, rule="month_late").exists()


def test_a_register_save_answers_while_the_broker_is_silent_and_its_rescan_runs_later(
    working_broker, silent_broker, client_for, contact_teacher, group, pupil
):
    _three_late_arrivals(pupil, contact_teacher)
    client = client_for(contact_teacher)
    url, data = _register_post(client, group, pupil)

    with broker_at(silent_broker):
        response = returns_in_time(lambda: client.post(url, data))

    assert response.status_code == 302
    assert AbsenceRecord.objects.filter(pupil=pupil, date=SAVE_DAY, kind="late").exists()
    pending = OutboxTask.objects.get()
    assert (pending.task, pending.args) == (
        scan_pupils.name,
        [[pupil.pk], timezone.localdate().isoformat()],
    )
    assert not _month_flag(pupil)  # the rescan has not run

    assert relay_when_the_broker_is_back() == 1
    assert eventually(lambda: _month_flag(pupil)), "the relayed rescan did not run"
    assert not OutboxTask.objects.filter(task=scan_pupils.name).exists()


def test_a_save_while_nothing_listens_keeps_its_rescan_until_the_broker_is_back(
    working_broker, absent_broker, contact_teacher, pupil
):
    _three_late_arrivals(pupil, contact_teacher)

    with broker_at(absent_broker):
        changes = returns_in_time(
            lambda: apply_absence_changes(
                creates=[(pupil, SAVE_DAY, _late(pupil))], by=contact_teacher
            )
        )

    assert len(changes.created) == 1
    assert OutboxTask.objects.get().task == scan_pupils.name
    assert not _month_flag(pupil)

    assert relay_when_the_broker_is_back() == 1
    assert eventually(lambda: _month_flag(pupil)), "the relayed rescan did not run"
    assert not OutboxTask.objects.filter(task=scan_pupils.name).exists()


def test_inbox_e_mails_of_a_step_wait_in_the_outbox_while_the_broker_is_silent(
    working_broker, silent_broker, contact_teacher
):
    def step_that_notifies() -> None:
        with transaction.atomic():
            queue_notification_emails({contact_teacher.pk: 2})

    with broker_at(silent_broker):
        returns_in_time(step_that_notifies)

    pending = OutboxTask.objects.get()
    assert (pending.task, pending.args) == (send_inbox_emails.name, [{str(contact_teacher.pk): 2}])
    assert not mail.outbox

    assert relay_when_the_broker_is_back() == 1
    assert eventually(lambda: len(mail.outbox) == 1), "the relayed e-mail was not sent"
    assert mail.outbox[0].to == [contact_teacher.email]


def test_the_relay_keeps_the_rows_while_the_broker_is_still_silent(
    transactional_db, silent_broker, contact_teacher, pupil
):
    with broker_at(silent_broker):
        returns_in_time(
            lambda: apply_absence_changes(
                creates=[(pupil, SAVE_DAY, _late(pupil))], by=contact_teacher
            )
        )
        assert returns_in_time(relay_when_the_broker_is_back) == 0

    assert OutboxTask.objects.count() == 1


def test_the_relay_leaves_a_row_its_request_may_still_be_sending(
    transactional_db, absent_broker, contact_teacher, pupil
):
    with broker_at(absent_broker):
        apply_absence_changes(creates=[(pupil, SAVE_DAY, _late(pupil))], by=contact_teacher)

    assert relay_outbox(now=timezone.now()) == 0
    assert OutboxTask.objects.count() == 1


def test_the_relay_sends_every_waiting_row_in_batches(db, eager_tasks, monkeypatch):
    monkeypatch.setattr(outbox, "RELAY_BATCH", 2)
    for _ in range(5):
        enqueue_on_commit(clear_expired_sessions)  # the test's transaction never commits

    assert relay_when_the_broker_is_back() == 5
    assert not OutboxTask.objects.exists()


def test_the_relay_drops_a_row_whose_task_no_longer_exists(db, eager_tasks, caplog):
    OutboxTask.objects.create(task="fravaer.tasks.gone", args=[1], created_at=timezone.now())

    assert relay_when_the_broker_is_back() == 1
    assert not OutboxTask.objects.exists()
    assert "no task named fravaer.tasks.gone" in caplog.text


def test_without_a_broker_a_save_rescans_in_process_and_leaves_no_row(
    transactional_db, eager_tasks, contact_teacher, pupil
):
    _three_late_arrivals(pupil, contact_teacher)
    apply_absence_changes(creates=[(pupil, SAVE_DAY, _late(pupil))], by=contact_teacher)

    assert _month_flag(pupil)
    assert not OutboxTask.objects.exists()


def test_beat_relays_the_outbox_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["relay-outbox"]
    assert entry["task"] == "fravaer.tasks.relay_outbox_tasks"
    assert entry["schedule"].minute == set(range(60))
