"""`fravaer.events.emit`: the handlers of `settings.EVENT_HANDLERS`, in order, inside
the caller's transaction; a handler that fails rolls the caller back."""

import datetime as dt

import pytest
from django.db import connection, transaction

from fravaer.actions.people import end_enrollment
from fravaer.events import EVENTS, emit
from fravaer.models import Enrollment

CALLS = []
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)


def first(**payload):
    CALLS.append(("first", payload, connection.in_atomic_block))


def second(**payload):
    CALLS.append(("second", payload, connection.in_atomic_block))


def failing(**payload):
    raise RuntimeError("the handler failed")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_emit_calls_each_handler_in_order_with_the_payload(settings, db):
    settings.EVENT_HANDLERS = {
        "people_changed": ["tests.fravaer.test_events.second", "tests.fravaer.test_events.first"]
    }
    emit("people_changed", pupil_ids=[1], user_ids=[], now=NOW)
    payload = {"pupil_ids": [1], "user_ids": [], "now": NOW}
    assert [("second", payload, True), ("first", payload, True)] == CALLS


def test_emit_without_handlers_does_nothing(settings, db):
    settings.EVENT_HANDLERS = {}
    emit("flags_raised", flags=[], now=NOW)
    assert CALLS == []


def test_emit_refuses_an_unknown_event_or_payload(settings, db):
    settings.EVENT_HANDLERS = {"people_changed": ["tests.fravaer.test_events.first"]}
    with pytest.raises(ValueError, match="unknown event"):
        emit("pupil_renamed", now=NOW)
    with pytest.raises(TypeError):
        emit("people_changed", pupil_ids=[1], now=NOW)
    assert CALLS == []


def test_every_event_has_its_handlers_in_settings(settings):
    assert set(settings.EVENT_HANDLERS) <= set(EVENTS)


def test_a_failing_handler_rolls_the_callers_action_back(settings, pupil):
    settings.EVENT_HANDLERS = {
        "people_changed": ["tests.fravaer.test_events.first", "tests.fravaer.test_events.failing"]
    }
    enrollment = Enrollment.objects.get(pupil=pupil)
    with pytest.raises(RuntimeError, match="the handler failed"):
        end_enrollment(enrollment, last_day=dt.date(2026, 11, 20), now=NOW)
    assert [name for name, _, _ in CALLS] == ["first"]
    enrollment.refresh_from_db()
    assert enrollment.end != dt.date(2026, 11, 20)


def test_handlers_run_inside_the_callers_transaction(settings, pupil):
    settings.EVENT_HANDLERS = {"people_changed": ["tests.fravaer.test_events.failing"]}
    enrollment = Enrollment.objects.get(pupil=pupil)
    with pytest.raises(RuntimeError), transaction.atomic():
        enrollment.end = dt.date(2026, 11, 20)
        enrollment.save(update_fields=["end"])
        emit("people_changed", pupil_ids=[pupil.pk], user_ids=[], now=NOW)
    enrollment.refresh_from_db()
    assert enrollment.end != dt.date(2026, 11, 20)


def test_the_check_refuses_unknown_events_and_paths_that_do_not_import(settings):
    from fravaer.checks import check_extension_points

    assert check_extension_points(None) == []
    settings.EVENT_HANDLERS = {"flag_raised": [], "people_changed": ["cases.actions.nothing"]}
    settings.PAGE_PANELS = {"home": ["cases.panels.no_such_panel"]}
    assert [e.id for e in check_extension_points(None)] == [
        "fravaer.E001",
        "fravaer.E002",
        "fravaer.E002",
    ]
