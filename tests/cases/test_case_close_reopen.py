"""Closing from every level and reopening within 90 days, through the actions."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cases.actions.core import close_case, reopen_case
from cases.actions.events import CaseChanged, CaseRuleError
from cases.models import Case, CaseEvent, Deadline, Level
from tests.cases.conftest import make_case
from tests.cases.test_transitions import at_level


def close(case, by, **extra):
    values = {"reason": "not_confirmed", "version": case.version}
    values.update(extra)
    return close_case(case, by=by, **values)


@pytest.mark.parametrize("level", ["0", "1", "2A", "2B"])
def test_close_from_every_level(case, contact_teacher, level):
    at_level(case, level)
    close(case, contact_teacher, reason="measures_worked")
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.closed_by) == (
        Case.Status.CLOSED,
        "measures_worked",
        contact_teacher,
    )
    event = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert (event.level_from, event.text) == (level, "Tiltakene virket")


def test_close_cancels_pending_deadlines(case, contact_teacher):
    Deadline.objects.create(
        case=case,
        kind=Deadline.Kind.LEVEL1_MEETING,
        due=dt.date(2026, 11, 25),
        created_at=timezone.now(),
    )
    close(case, contact_teacher)
    assert Deadline.objects.get().cancelled_at is not None


def test_close_requires_a_known_reason(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        close(case, contact_teacher, reason="bored")
    assert exc.value.code == "close_reason_required"


def test_close_other_requires_text(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        close(case, contact_teacher, reason="other", text=" ")
    assert exc.value.code == "close_text_required"


def test_close_other_keeps_text(case, contact_teacher):
    close(case, contact_teacher, reason="other", text="Byttet skole i kommunen")
    case.refresh_from_db()
    assert case.close_text == "Byttet skole i kommunen"


def test_close_twice_is_refused(case, contact_teacher):
    close(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        close(case, contact_teacher)
    assert exc.value.code == "case_closed"


def test_close_on_old_version_is_refused(case, contact_teacher):
    seen = case.version
    stale = Case.objects.get(pk=case.pk)
    close(case, contact_teacher, version=seen)
    stale.status = Case.Status.OPEN
    with pytest.raises(CaseChanged):
        close(stale, contact_teacher, version=seen)


def test_reopen_within_90_days_keeps_level(case, contact_teacher):
    at_level(case, Level.NIVA_1)
    close(case, contact_teacher)
    with time_machine.travel(timezone.now() + dt.timedelta(days=89)):
        reopen_case(case, by=contact_teacher, reason="Fraværet øker igjen", version=case.version)
    case.refresh_from_db()
    assert (case.status, case.level, case.closed_at, case.close_reason) == (
        Case.Status.OPEN,
        Level.NIVA_1,
        None,
        "",
    )
    event = case.events.get(kind=CaseEvent.Kind.REOPENED)
    assert (event.text, event.level_to) == ("Fraværet øker igjen", Level.NIVA_1)


def test_reopen_after_90_days_is_refused(case, contact_teacher):
    close(case, contact_teacher)
    later = timezone.now() + dt.timedelta(days=91)
    with time_machine.travel(later), pytest.raises(CaseRuleError) as exc:
        reopen_case(case, by=contact_teacher, reason="x", version=case.version)
    assert exc.value.code == "reopen_too_late"


def test_reopen_open_case_is_refused(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        reopen_case(case, by=contact_teacher, reason="x", version=case.version)
    assert exc.value.code == "case_open"


def test_reopen_requires_reason(case, contact_teacher):
    close(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        reopen_case(case, by=contact_teacher, reason=" ", version=case.version)
    assert exc.value.code == "reopen_reason_required"


def test_reopen_refused_when_pupil_has_another_open_case(case, pupil, contact_teacher):
    close(case, contact_teacher)
    make_case(pupil, by=contact_teacher, concern="Ny bekymring")
    with pytest.raises(CaseRuleError) as exc:
        reopen_case(case, by=contact_teacher, reason="x", version=case.version)
    assert exc.value.code == "case_already_open"


def test_reopen_case_restarts_the_levels_deadline(case, contact_teacher):
    from django.utils import timezone

    from cases.actions.core import change_level, close_case, reopen_case
    from cases.models import Conversation, Deadline

    Conversation.objects.create(
        case=case,
        held_on=timezone.localdate(),
        with_whom="both",
        medium="phone",
        summary="Samtale",
        recorded_by=contact_teacher,
        recorded_at=timezone.now(),
    )
    change_level(case, to="1", by=contact_teacher, reason="Bekreftet", version=case.version)
    close_case(case, reason="measures_worked", by=contact_teacher, version=case.version)
    assert not Deadline.objects.filter(case=case, cancelled_at__isnull=True, met_at__isnull=True)
    reopen_case(case, by=contact_teacher, reason="Nytt fravær", version=case.version)
    pending = Deadline.objects.get(case=case, cancelled_at__isnull=True, met_at__isnull=True)
    assert pending.kind == Deadline.Kind.LEVEL1_MEETING
