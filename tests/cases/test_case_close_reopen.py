"""Closing from every level and reopening within 90 days, through the actions."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cases.actions.core import close_case, reopen_case
from cases.errors import CaseChanged, CaseRuleError
from cases.models import Case, CaseEvent, Deadline, Level
from tests.cases.conftest import make_case
from tests.factories import at_level, make_flag


def close(case, by, **extra):
    values = {"reason": "not_confirmed", "version": case.version}
    values.update(extra)
    return close_case(case, by=by, **values)


@pytest.mark.parametrize(
    ("level", "reason", "label"),
    [
        ("0", "not_confirmed", "Bekymringen ble ikke bekreftet"),
        ("1", "measures_worked", "Tiltakene virket"),
        ("2A", "measures_worked", "Tiltakene virket"),
        ("2B", "measures_worked", "Tiltakene virket"),
    ],
)
def test_close_from_every_level(case, contact_teacher, level, reason, label):
    at_level(case, level)
    close(case, contact_teacher, reason=reason)
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.closed_by) == (
        Case.Status.CLOSED,
        reason,
        contact_teacher,
    )
    event = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert (event.level_from, event.text) == (level, label)


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
    close(case, contact_teacher, reason="measures_worked")
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


# --- closing cancels planned meetings and settles the case's flags ----------------------


def _planned(case, by, day, **extra):
    from cases.actions.meetings import schedule_meeting
    from cases.models import Meeting

    values = {"kind": Meeting.Kind.LEVEL1, "place": "Møterom 2", "by": by}
    values.update(extra)
    starts_at = dt.datetime(2026, 12, day, 13, 30, tzinfo=timezone.get_default_timezone())
    return schedule_meeting(case, starts_at=starts_at, **values)


def test_close_cancels_planned_meetings_with_an_event_each(case, contact_teacher):
    from cases.models import Meeting

    at_level(case, Level.NIVA_1)
    first, second = _planned(case, contact_teacher, 3), _planned(case, contact_teacher, 3)
    close(case, contact_teacher, reason="measures_worked")
    for meeting in (first, second):
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.CANCELLED
        assert meeting.cancel_reason == "Saken ble avsluttet: Tiltakene virket"
        assert meeting.version == 2
    cancelled = case.events.filter(kind=CaseEvent.Kind.MEETING_CANCELLED).order_by("pk")
    assert [e.data["meeting"] for e in cancelled] == [first.pk, second.pk]
    assert all(e.text.endswith(": Saken ble avsluttet: Tiltakene virket") for e in cancelled)
    # Cancelled before the case closed, in the same moment: the timeline reads
    # "Sak avsluttet" above them.
    closed = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert all(e.at == closed.at and e.pk < closed.pk for e in cancelled)


def test_close_leaves_held_and_cancelled_meetings_alone(case, contact_teacher):
    from cases.actions.meetings import cancel_meeting
    from cases.models import Meeting

    at_level(case, Level.NIVA_1)
    earlier = _planned(case, contact_teacher, 3)
    cancel_meeting(earlier, reason="Syk", by=contact_teacher, version=earlier.version)
    close(case, contact_teacher, reason="measures_worked")
    earlier.refresh_from_db()
    assert (earlier.status, earlier.cancel_reason) == (Meeting.Status.CANCELLED, "Syk")
    assert case.events.filter(kind=CaseEvent.Kind.MEETING_CANCELLED).count() == 1


def test_close_tells_invited_staff_that_the_meeting_is_cancelled(
    case, contact_teacher, team_member
):
    from fravaer.models import Notification

    at_level(case, Level.NIVA_1)
    meeting = _planned(case, contact_teacher, 3, staff=[team_member, contact_teacher])
    close(case, contact_teacher, reason="measures_worked")
    told = Notification.objects.filter(key__startswith=f"meeting:{meeting.pk}:cancelled")
    assert [n.user for n in told] == [team_member]


def test_close_on_old_version_cancels_no_meeting(case, contact_teacher):
    from cases.models import Meeting

    at_level(case, Level.NIVA_1)
    meeting = _planned(case, contact_teacher, 3)
    with pytest.raises(CaseChanged):
        close(case, contact_teacher, reason="measures_worked", version=case.version - 1)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert not case.events.filter(kind=CaseEvent.Kind.MEETING_CANCELLED).exists()


def test_close_acknowledges_the_cases_active_flags_with_who_when_and_why(case, contact_teacher):
    from cases.actions.core import attach_flags
    from fravaer.models import Flag

    at_level(case, Level.NIVA_1)
    active = make_flag(case.pupil)
    cleared = make_flag(case.pupil, "undocumented", status="cleared", cleared_at=timezone.now())
    attach_flags(case, [active, cleared], now=timezone.now())
    close(case, contact_teacher, reason="measures_worked")
    active.refresh_from_db()
    assert (active.status, active.acknowledged_by, active.acknowledgement) == (
        Flag.Status.ACKNOWLEDGED,
        contact_teacher,
        "Saken ble avsluttet: Tiltakene virket",
    )
    case.refresh_from_db()
    assert active.acknowledged_at == case.closed_at
    cleared.refresh_from_db()
    assert (cleared.status, cleared.acknowledged_by) == (Flag.Status.CLEARED, None)
    closed = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert closed.data["acknowledged_flags"] == [active.pk]


def test_a_flag_acknowledged_by_closing_reads_in_the_readers_language(case, contact_teacher):
    from django.utils import translation

    from cases.actions.core import attach_flags

    at_level(case, Level.NIVA_1)
    flag = make_flag(case.pupil, details={"days": 4})
    attach_flags(case, [flag], now=timezone.now())
    close(case, contact_teacher, reason="measures_worked")
    flag.refresh_from_db()
    assert flag.details["days"] == 4  # the figures stay beside the kept reason
    assert flag.acknowledgement_text == "Saken ble avsluttet: Tiltakene virket"
    with translation.override("en"):
        assert flag.acknowledgement_text == "The case was closed: The measures worked"
    with translation.override("nn"):
        assert flag.acknowledgement_text == "Saka vart avslutta: Tiltaka verka"
    # A reason typed by a person is shown as typed, in every language.
    flag.details = {}
    flag.acknowledgement = "influensa, avklart med foresatte"
    with translation.override("en"):
        assert flag.acknowledgement_text == "influensa, avklart med foresatte"


def test_close_leaves_the_pupils_flags_not_attached_to_the_case(case, contact_teacher):
    from fravaer.models import Flag

    other = make_flag(case.pupil)
    close(case, contact_teacher)
    other.refresh_from_db()
    assert other.status == Flag.Status.ACTIVE


def test_reopen_does_not_reactivate_flags_acknowledged_on_close(case, contact_teacher):
    from cases.actions.core import attach_flags
    from fravaer.models import Flag

    flag = make_flag(case.pupil)
    attach_flags(case, [flag], now=timezone.now())
    close(case, contact_teacher)
    reopen_case(case, by=contact_teacher, reason="Nytt fravær", version=case.version)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledgement == "Saken ble avsluttet: Bekymringen ble ikke bekreftet"


# --- the reasons that fit each level ------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "reason"),
    [("0", "measures_worked"), ("1", "not_confirmed"), ("2A", "not_confirmed")],
)
def test_close_refuses_a_reason_that_does_not_fit_the_level(case, contact_teacher, level, reason):
    at_level(case, level)
    with pytest.raises(CaseRuleError) as exc:
        close(case, contact_teacher, reason=reason)
    assert exc.value.code == "close_reason_not_for_level"
    assert "passer ikke for en sak på Nivå" in exc.value.message
    case.refresh_from_db()
    assert case.is_open


@pytest.mark.parametrize("level", ["0", "1", "2A", "2B"])
@pytest.mark.parametrize("reason", ["moved", "other"])
def test_close_for_moving_or_another_reason_fits_every_level(case, contact_teacher, level, reason):
    at_level(case, level)
    close(case, contact_teacher, reason=reason, text="Se utdyping")
    case.refresh_from_db()
    assert case.close_reason == reason
