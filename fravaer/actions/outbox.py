"""The outbox: how a save enqueues a Celery task without ever waiting on the broker
for long, and without losing the task when the broker is down.

`enqueue_on_commit` writes the task as a row (`OutboxTask`) in the transaction of the
change that needs it. After the commit the row is handed to the broker, waiting at
most `settings.ENQUEUE_TIMEOUT` seconds (`publish`), and deleted. A broker that
refuses the connection, or accepts it and never answers, leaves the row; the worker's
relay (`relay_outbox`, every minute by beat and once when a worker starts) sends it
once the broker is back. Tasks are idempotent, so a row sent twice (a broker that
took it after the request stopped waiting) does no harm.

Without a broker (the demo), a task runs in-process after the commit, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fravaer.celery import app
from fravaer.models import OutboxTask

logger = logging.getLogger(__name__)

# A request's own hand-over has given up long before a row is this old, so the relay
# never sends a row at the same time as the request that wrote it.
RELAY_AFTER = dt.timedelta(seconds=30)
RELAY_BATCH = 500


def enqueue_on_commit(task: Task, *args: Any) -> OutboxTask:
    """Enqueue `task(*args)` once the current transaction has committed; the row is
    part of the transaction, so the task is enqueued exactly when the change is
    saved. `args` are ids, ISO dates and counts (they are stored in the broker)."""
    row = OutboxTask.objects.create(task=task.name, args=list(args), created_at=timezone.now())
    transaction.on_commit(lambda: _send(task, row.pk, row.args))
    return row


def _send(task: Task, row_id: int, args: list) -> None:
    if hand_over(task, args):
        OutboxTask.objects.filter(pk=row_id).delete()


def hand_over(task: Task, args: list) -> bool:
    """Publish the task, or without a broker run it in-process (its failure is logged
    as the worker would; it is handed over all the same). False if the broker did not
    take it: the caller keeps its row."""
    if not app.conf.task_always_eager:
        return publish(task, args)
    try:
        task.apply_async(args)
    except Exception as exc:
        # The kind of error only: a mail server's message may name the addresses.
        logger.warning("task %s failed in-process (%s)", task.name, type(exc).__name__)
    return True


def publish(task: Task, args: list) -> bool:
    """Give the task to the broker, waiting at most `settings.ENQUEUE_TIMEOUT`.

    redis-py has no read timeout by default, and `CELERY_BROKER_CONNECTION_TIMEOUT`
    bounds only the connect: a broker that accepts the connection and never answers
    held a save for ever. So the publish uses a connection of its own whose connect
    and every reply time out, with neither kombu's reconnects nor Celery's publish
    retries (the relay is the retry), and runs in a thread that the caller stops
    waiting for at the deadline, whatever else is slow (a name lookup, a broker that
    answers at a trickle); the socket timeouts end that thread soon after."""
    timeout = settings.ENQUEUE_TIMEOUT
    outcome: list[Exception | None] = []

    def send() -> None:
        try:
            with app.connection_for_write(
                connect_timeout=timeout,
                transport_options={
                    "socket_timeout": timeout,
                    "socket_connect_timeout": timeout,
                    "max_retries": 0,
                },
            ) as connection:
                task.apply_async(args, connection=connection, retry=False)
        except Exception as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=send, name="enqueue", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        logger.warning("the broker did not take task %s within %s s", task.name, timeout)
        return False
    if outcome[0] is not None:
        logger.warning("could not enqueue task %s (%s)", task.name, type(outcome[0]).__name__)
        return False
    return True


def relay_outbox(*, now: dt.datetime) -> int:
    """Send the tasks that stayed in the outbox (the broker was down or silent when
    their change was saved), oldest first, in batches until none is left; stop at the
    first the broker does not take, for the next run. Two relays at once take
    different rows (PostgreSQL's SKIP LOCKED; SQLite has one writer). Returns how
    many rows it took out."""
    relayed = 0
    while True:
        taken, stopped = _relay_batch(now - RELAY_AFTER)
        relayed += taken
        if stopped or taken < RELAY_BATCH:
            break
    if relayed:
        logger.info("outbox: relayed %d tasks", relayed)
    return relayed


def _relay_batch(cutoff: dt.datetime) -> tuple[int, bool]:
    sent: list[int] = []
    stopped = False
    with transaction.atomic():
        rows = (
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(created_at__lte=cutoff)
            .order_by("pk")[:RELAY_BATCH]
        )
        for row in rows:
            task = app.tasks.get(row.task)
            if task is None:  # renamed or removed since: nothing can run it
                logger.error("outbox: no task named %s; row %d dropped", row.task, row.pk)
            elif not hand_over(task, row.args):
                stopped = True
                break
            sent.append(row.pk)
        OutboxTask.objects.filter(pk__in=sent).delete()
    return len(sent), stopped
