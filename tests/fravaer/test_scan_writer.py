"""The scan's writer thread (`fravaer.actions.scan_writes`): outside a transaction,
on PostgreSQL, new flags are written on a second connection while the scan evaluates.
These tests commit for real (the thread cannot see a test's open transaction), so
they run on PostgreSQL only; CI runs them there. Inside a transaction the same SQL
runs inline, which the rest of the scan's tests cover on both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

import fravaer.actions.flags as flags_module
from fravaer.actions import scan_absence
from fravaer.actions.scan_writes import ScanWrites
from fravaer.models import Flag, Notification
from fravaer.scan import Scope
from tests.conftest import make_pupil
from tests.factories import absence
from tests.fravaer.test_scan import weekdays

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the writer thread is PostgreSQL's"
)

TODAY = dt.date(2026, 11, 18)


@pytest.fixture
def absent_pupils(transactional_db, school, group, contact_teacher, leader):
    """Eight pupils with four days each in November: flags in every slice."""
    pupils = [make_pupil(group, first=f"P{i}") for i in range(8)]
    for p in pupils:
        for day in weekdays(dt.date(2026, 11, 2), 4):
            absence(p, day, contact_teacher, documented=True)
    # Each save rescanned its pupil (after its commit); start from no flags.
    Notification.objects.all().delete()
    Flag.objects.all().delete()
    return pupils


@pytest.fixture
def writer_runs(monkeypatch):
    """How many writer threads ran."""
    runs = []
    original = ScanWrites._run

    def run(self):
        runs.append(threading.current_thread().name)
        return original(self)

    monkeypatch.setattr(ScanWrites, "_run", run)
    return runs


def scan(school, **kwargs):
    return scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY, **kwargs)


def test_a_scan_outside_a_transaction_writes_in_a_thread(
    absent_pupils, school, contact_teacher, leader, writer_runs
):
    assert not connection.in_atomic_block
    result = scan(school)
    assert writer_runs == ["scan-writer"]
    flags = list(Flag.objects.all())
    assert result.raised == len(flags) >= 16  # month_days and year_days_notice each
    assert {f.pupil_id for f in flags} == {p.pk for p in absent_pupils}
    messages = {n.user_id: n for n in Notification.objects.all()}
    assert result.notifications == len(messages)
    assert sorted(messages[contact_teacher.pk].flag_ids) == sorted(f.pk for f in flags)
    assert {f.rule for f in Flag.objects.filter(pk__in=messages[leader.pk].flag_ids)} == {
        "month_days"
    }
    again = scan(school)
    assert again.raised == 0 and again.notifications == 0
    assert writer_runs == ["scan-writer"]  # nothing new: no writer


def test_the_threaded_and_the_inline_scan_write_the_same(
    absent_pupils, school, settings, writer_runs
):
    scan(school)
    threaded = sorted(Flag.objects.values_list("pupil_id", "rule", "period_key", "value"))
    threaded_messages = sorted((n.user_id, len(n.flag_ids)) for n in Notification.objects.all())
    Notification.objects.all().delete()
    Flag.objects.all().delete()
    settings.SCAN_WRITES_IN_THREAD = False
    scan(school)
    assert writer_runs == ["scan-writer"]
    assert sorted(Flag.objects.values_list("pupil_id", "rule", "period_key", "value")) == threaded
    assert (
        sorted((n.user_id, len(n.flag_ids)) for n in Notification.objects.all())
        == threaded_messages
    )


HANDLED = []


def failing_handler(flags, *, now):
    HANDLED.append((flags.count(), connection.in_atomic_block))
    raise RuntimeError("the handler failed")


def test_a_failing_handler_rolls_back_every_write(
    absent_pupils, school, settings, writer_runs, monkeypatch
):
    from fravaer.actions import scan_writes

    logged = []
    monkeypatch.setattr(scan_writes.logger, "warning", lambda msg, *a, **k: logged.append(msg))
    settings.EVENT_HANDLERS = {"flags_raised": ["tests.fravaer.test_scan_writer.failing_handler"]}
    HANDLED.clear()
    with pytest.raises(RuntimeError, match="the handler failed"):
        scan(school)
    assert logged == ["the scan's writer failed; nothing was written"]
    assert writer_runs == ["scan-writer"]
    # The handler saw the new flags inside the writer's transaction.
    assert HANDLED and HANDLED[0][0] >= 16 and HANDLED[0][1] is True
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_a_failure_while_evaluating_rolls_back_the_slices_already_written(
    absent_pupils, school, monkeypatch, writer_runs
):
    original = flags_module.evaluate
    calls = []

    def evaluate(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:  # after the first slices went to the writer
            raise ValueError("evaluation failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(flags_module, "evaluate", evaluate)
    with pytest.raises(ValueError, match="evaluation failed"):
        scan(school)
    assert writer_runs == ["scan-writer"]
    assert not any(t.name == "scan-writer" for t in threading.enumerate())
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_an_interruption_while_finishing_commits_nothing(
    absent_pupils, school, monkeypatch, writer_runs
):
    """Interrupted (a Celery time limit, Ctrl-C) while waiting for the writer to
    finish: the writer rolls back even if it had started finishing."""
    from fravaer import tasks
    from fravaer.actions.scan_writes import _Finish

    jobs = []
    monkeypatch.setattr(tasks.send_inbox_emails, "delay", jobs.append)

    started = threading.Event()
    original_finish = ScanWrites._finish

    def writer_finish(self, to_close, stale, reactivate):
        started.set()
        original_finish(self, to_close, stale, reactivate)  # messages, updates, handlers
        assert self._abort.wait(timeout=10)  # and now the interruption arrives

    def finish(self, *, to_close, stale, reactivate=()):
        self._put(_Finish(to_close, stale, list(reactivate)))
        assert started.wait(timeout=10)
        raise KeyboardInterrupt

    monkeypatch.setattr(ScanWrites, "_finish", writer_finish)
    monkeypatch.setattr(ScanWrites, "finish", finish)
    with pytest.raises(KeyboardInterrupt):
        scan(school)
    assert writer_runs == ["scan-writer"]
    assert not any(t.name == "scan-writer" for t in threading.enumerate())
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()
    assert jobs == []  # no e-mail about flags that are not there


def test_slices_go_to_the_writer_in_pupil_order(absent_pupils, school, monkeypatch, writer_runs):
    """Every scan takes its row locks in key order, so two scans over the same pupils
    wait for each other instead of deadlocking: the figures are sliced in pupil
    order, whatever order the database returned them in."""
    original = flags_module.load_figures

    def reversed_figures(*args, **kwargs):
        data = original(*args, **kwargs)
        data.figures = dict(reversed(list(data.figures.items())))
        return data

    monkeypatch.setattr(flags_module, "load_figures", reversed_figures)
    scan(school)
    assert writer_runs == ["scan-writer"]
    pupils_by_insert = list(Flag.objects.order_by("pk").values_list("pupil_id", flat=True))
    assert pupils_by_insert == sorted(pupils_by_insert)


def test_the_writer_thread_reactivates_a_cleared_flag_beside_new_ones(
    absent_pupils, school, contact_teacher, writer_runs
):
    """A cleared undocumented flag whose absence is undocumented again is active
    again, and announced with the slice's new flags, from the writer's connection."""
    pupil = absent_pupils[0]
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    Flag.objects.all().delete()  # the save's own rescan; the scan below raises all
    cleared = Flag.objects.create(
        pupil=pupil,
        school=school,
        group=pupil.enrollments.get().group,
        rule="undocumented",
        period_key=f"record:{record.pk}",
        period_start=record.date,
        period_end=record.date,
        value=1,
        threshold=0,
        record=record,
        as_of=TODAY,
        raised_at=record.registered_at,
        status=Flag.Status.CLEARED,
        cleared_at=record.registered_at,
        details={"cleared_cause": "no_longer"},
    )
    Notification.objects.all().delete()
    writer_runs.clear()  # the save's own rescan ran one
    result = scan(school)
    assert writer_runs == ["scan-writer"]
    cleared.refresh_from_db()
    assert cleared.status == Flag.Status.ACTIVE and cleared.cleared_at is None
    assert result.reactivated == 1 and result.raised >= 16
    message = Notification.objects.get(user=contact_teacher)
    assert cleared.pk in message.flag_ids
    assert cleared.pk in {f.pk for f in result.flags}
