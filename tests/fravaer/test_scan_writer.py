"""The scan's writer (`fravaer.actions.scan_writes`) and its slices of schools
(`fravaer.scan.Scope.slices`): every write on the scan's own connection, in its one
transaction, slice by slice. These tests commit for real (a failure must roll back
what earlier slices wrote), on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext

import fravaer.actions.flags as flags_module
from fravaer import scan as scan_module
from fravaer.actions import scan_absence
from fravaer.models import Flag, Notification
from fravaer.scan import Scope
from tests.conftest import make_group, make_pupil
from tests.factories import absence, weekdays

TODAY = dt.date(2026, 11, 18)


@pytest.fixture
def two_schools(transactional_db, school, other_school, group, other_group, school_year):
    """Four pupils with four days each in November at each of two schools (flags in
    every slice); the scan's slices hold one school each."""
    pupils = {
        s.pk: [make_pupil(g, first=f"P{s.pk}-{i}") for i in range(4)]
        for s, g in ((school, group), (other_school, other_group))
    }
    return pupils


@pytest.fixture
def absent(two_schools, contact_teacher, leader):
    for pupils in two_schools.values():
        for p in pupils:
            for day in weekdays(dt.date(2026, 11, 2), 4):
                absence(p, day, contact_teacher, documented=True)
    # Each save rescanned its pupil (after its commit); start from no flags.
    Notification.objects.all().delete()
    Flag.objects.all().delete()
    return two_schools


@pytest.fixture
def school_slices(monkeypatch):
    """Slices of one school each (the pupils are few)."""
    monkeypatch.setattr(scan_module, "SLICE_PUPILS", 1)


def scan(*schools, **kwargs):
    return scan_absence(Scope(school_ids=tuple(s.pk for s in schools)), as_of=TODAY, **kwargs)


def test_a_scan_writes_on_its_own_connection_without_a_thread(
    absent, school, other_school, group, contact_teacher, leader, school_slices
):
    threads = threading.active_count()
    scans_own = connections[DEFAULT_DB_ALIAS]
    opened = []

    def count_connections(sender, connection, **kwargs):
        if connection is not scans_own:
            opened.append(connection.alias)

    connection_created.connect(count_connections)
    try:
        with CaptureQueriesContext(connection) as ctx:
            result = scan(school, other_school)
    finally:
        connection_created.disconnect(count_connections)
    assert threading.active_count() == threads
    assert opened == []  # no second connection
    flags = list(Flag.objects.all())
    assert result.raised == len(flags) >= 16  # month_days and year_days_notice each
    assert {f.pupil_id for f in flags} == {p.pk for ps in absent.values() for p in ps}
    # The flags went in on the scan's connection (the COPY's INSERT on PostgreSQL,
    # the bulk INSERT on SQLite), among the statements captured there.
    table = Flag._meta.db_table
    assert any(f'INTO "{table}"' in q["sql"] for q in ctx.captured_queries)
    messages = {n.user_id: n for n in Notification.objects.all()}
    assert result.notifications == len(messages)
    # One message per person and scan, whatever the slices: the contact teacher's
    # lists every flag of their class (both rules reach the contact teacher).
    assert sorted(messages[contact_teacher.pk].flag_ids) == sorted(
        f.pk for f in flags if f.group_id == group.pk
    )
    again = scan(school, other_school)
    assert again.raised == 0 and again.notifications == 0


def test_a_scan_in_slices_writes_what_a_scan_in_one_writes(
    absent, school, other_school, monkeypatch
):
    whole = scan(school, other_school)
    assert whole.raised
    one = sorted(Flag.objects.values_list("pupil_id", "school_id", "rule", "period_key", "value"))
    messages = sorted((n.user_id, len(n.flag_ids)) for n in Notification.objects.all())
    Notification.objects.all().delete()
    Flag.objects.all().delete()
    monkeypatch.setattr(scan_module, "SLICE_PUPILS", 1)
    sliced = scan(school, other_school)
    assert (sliced.raised, sliced.pupils) == (whole.raised, whole.pupils)
    assert (
        sorted(Flag.objects.values_list("pupil_id", "school_id", "rule", "period_key", "value"))
        == one
    )
    assert sorted((n.user_id, len(n.flag_ids)) for n in Notification.objects.all()) == messages


def test_a_scan_holds_one_slice_of_schools_at_a_time(
    absent, school, other_school, monkeypatch, school_slices
):
    loaded = []
    original = flags_module.load_figures

    def load_figures(part, *args, **kwargs):
        data = original(part, *args, **kwargs)
        loaded.append((part.school_ids, {p.school_id for p in data.places.values()}))
        return data

    monkeypatch.setattr(flags_module, "load_figures", load_figures)
    scan(other_school, school)
    first, second = sorted((school.pk, other_school.pk))
    assert loaded == [((first,), {first}), ((second,), {second})]


def test_a_scans_statements_grow_with_its_slices_not_its_pupils(
    absent, school, other_school, group, contact_teacher, school_slices
):
    def statements() -> int:
        Notification.objects.all().delete()
        Flag.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            scan(school, other_school)
        return len(ctx.captured_queries)

    few = statements()
    for p in [make_pupil(group, first=f"More{i}") for i in range(6)]:
        for day in weekdays(dt.date(2026, 11, 2), 4):
            absence(p, day, contact_teacher, documented=True)
    assert statements() == few


def test_a_pupil_in_two_schools_of_the_scope_is_scanned_once_in_the_latest_class(
    absent, school, other_school, school_year, contact_teacher, school_slices
):
    """A pupil enrolled in two schools on the scan date (moved today) is in one slice
    only, in the class the latest enrollment names, as a scan in one slice places
    them."""
    pupil = absent[school.pk][0]
    later = make_group(other_school, school_year, name="9Z")
    pupil.enrollments.create(group=later, start=TODAY)
    result = scan(school, other_school)
    assert result.pupils == 8
    assert set(Flag.objects.filter(pupil=pupil).values_list("school_id", flat=True)) == {
        other_school.pk
    }


HANDLED = []


def failing_handler(flags, *, now):
    HANDLED.append((flags.count(), connection.in_atomic_block))
    raise RuntimeError("the handler failed")


def test_a_failing_handler_rolls_back_every_slices_writes(
    absent, school, other_school, settings, school_slices
):
    settings.EVENT_HANDLERS = {"flags_raised": ["tests.fravaer.test_scan_writer.failing_handler"]}
    HANDLED.clear()
    with pytest.raises(RuntimeError, match="the handler failed"):
        scan(school, other_school)
    # The handler saw the new flags of both slices inside the scan's transaction.
    assert HANDLED and HANDLED[0][0] >= 16 and HANDLED[0][1] is True
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_a_failure_in_a_later_slice_rolls_back_the_slices_already_written(
    absent, school, other_school, monkeypatch, school_slices
):
    original = flags_module.load_figures
    calls = []

    def load_figures(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the first slice is written
            assert Flag.objects.exists()
            raise ValueError("reading failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(flags_module, "load_figures", load_figures)
    with pytest.raises(ValueError, match="reading failed"):
        scan(school, other_school)
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_a_scan_inside_a_callers_transaction_writes_in_it(absent, school, other_school):
    with transaction.atomic():
        result = scan(school, other_school)
        assert result.raised and Flag.objects.count() == result.raised
        transaction.set_rollback(True)
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_new_flags_go_in_in_school_and_pupil_order(absent, school, other_school, monkeypatch):
    """Every scan takes its row locks in the same order (school, then pupil), so two
    scans over the same pupils wait for each other instead of deadlocking: the figures
    are sorted so, whatever order the database returned them in."""
    original = flags_module.load_figures

    def reversed_figures(*args, **kwargs):
        data = original(*args, **kwargs)
        data.figures = dict(reversed(list(data.figures.items())))
        return data

    monkeypatch.setattr(flags_module, "load_figures", reversed_figures)
    scan(school, other_school)
    by_insert = list(Flag.objects.order_by("pk").values_list("school_id", "pupil_id"))
    assert len({s for s, _p in by_insert}) == 2
    assert by_insert == sorted(by_insert)


def test_a_cleared_flag_comes_back_beside_new_ones_in_a_later_slice(
    absent, school, other_school, contact_teacher, outsider, school_slices
):
    """A cleared undocumented flag whose absence is undocumented again is active
    again, and announced with the new flags, from whichever slice it is in."""
    first, second = sorted((school, other_school), key=lambda s: s.pk)
    pupil = absent[second.pk][0]
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    Flag.objects.all().delete()  # the save's own rescan; the scan below raises all
    cleared = Flag.objects.create(
        pupil=pupil,
        school=second,
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
    result = scan(first, second)
    cleared.refresh_from_db()
    assert cleared.status == Flag.Status.ACTIVE and cleared.cleared_at is None
    assert result.reactivated == 1 and result.raised >= 16
    # Announced once, in the message of its class's contact teacher.
    teacher = contact_teacher if second == school else outsider
    assert [n.user_id for n in Notification.objects.all() if cleared.pk in n.flag_ids] == [
        teacher.pk
    ]
    assert cleared.pk in {f.pk for f in result.flags}
