"""The staircase's transition table and what each level requires, through the actions
(seeds 000 p. 11–14 and 004)."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from cases.actions.core import change_level
from cases.errors import CaseChanged, CaseRuleError
from cases.models import Case, CaseEvent, Deadline, Level
from cases.transitions import TRANSITIONS
from fravaer.models import Notification
from tests.factories import at_level, consent, conversation

TODAY = dt.date(2026, 11, 18)
LEVELS = [Level.NIVA_0, Level.NIVA_1, Level.NIVA_2A, Level.NIVA_2B]
ALLOWED = sorted(TRANSITIONS)
REFUSED = [(a, b) for a, b in itertools.product(LEVELS, LEVELS) if (a, b) not in TRANSITIONS]


def move(case, to, by, **extra):
    values = {"reason": "Fortsatt bekymring.", "version": case.version}
    values.update(extra)
    if to == Level.NIVA_2B and "summary_due" not in values:
        values["summary_due"] = TODAY + dt.timedelta(days=21)
    return change_level(case, to=to, by=by, **values)


@pytest.mark.parametrize(("frm", "to"), ALLOWED, ids=[f"{a}-{b}" for a, b in ALLOWED])
def test_allowed_move_changes_level_and_records_event(case, contact_teacher, frm, to):
    at_level(case, frm)
    move(case, to, contact_teacher, reason="Fordi.")
    case.refresh_from_db()
    assert case.level == to
    event = case.events.get(kind=CaseEvent.Kind.LEVEL_CHANGED)
    assert (event.level_from, event.level_to, event.text, event.by) == (
        frm,
        to,
        "Fordi.",
        contact_teacher,
    )


@pytest.mark.parametrize(("frm", "to"), REFUSED, ids=[f"{a}-{b}" for a, b in REFUSED])
def test_refused_move_names_both_levels_and_changes_nothing(case, contact_teacher, frm, to):
    at_level(case, frm)
    with pytest.raises(CaseRuleError) as exc:
        move(case, to, contact_teacher)
    assert exc.value.code == "level_move_not_allowed"
    assert exc.value.message == (
        f"Saken kan ikke flyttes fra {Level(frm).label} til {Level(to).label}."
    )
    case.refresh_from_db()
    assert case.level == frm
    assert not case.events.filter(kind=CaseEvent.Kind.LEVEL_CHANGED).exists()


def test_refused_move_to_unknown_level(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        move(case, "3", contact_teacher)
    assert exc.value.code == "level_move_not_allowed"


def test_move_requires_reason(case, contact_teacher):
    at_level(case, Level.NIVA_0)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_1, contact_teacher, reason="   ")
    assert exc.value.code == "level_reason_required"


def test_move_refused_on_closed_case(case, contact_teacher):
    at_level(case, Level.NIVA_0)
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now(), close_reason="moved"
    )
    case.refresh_from_db()
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_1, contact_teacher)
    assert exc.value.code == "case_closed"


# --- nivå 1 -------------------------------------------------------------------------------


def test_level1_requires_a_conversation(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_1, contact_teacher)
    assert exc.value.code == "level1_needs_conversation"
    assert "undringssamtale" in exc.value.message


def test_level1_with_conversation_sets_concern_defined(case, contact_teacher):
    conversation(case, contact_teacher)
    move(case, Level.NIVA_1, contact_teacher)
    case.refresh_from_db()
    assert timezone.localdate(case.concern_defined_at) == TODAY
    assert timezone.localdate(case.leaders_informed_at) == TODAY


def test_level1_notifies_the_schools_leaders_only(
    case, contact_teacher, leader, team_member, nurse, outsider
):
    conversation(case, contact_teacher)
    move(case, Level.NIVA_1, contact_teacher)
    rows = Notification.objects.filter(kind=Notification.Kind.CASE)
    assert [n.user for n in rows] == [leader]
    assert rows[0].link == f"/saker/{case.uuid}/"
    assert rows[0].pupil == case.pupil
    assert case.events.filter(kind=CaseEvent.Kind.LEADERS_INFORMED).exists()


def test_level1_starts_the_one_week_meeting_deadline(case, contact_teacher):
    conversation(case, contact_teacher)
    move(case, Level.NIVA_1, contact_teacher)
    deadline = Deadline.objects.get(case=case)
    assert (deadline.kind, deadline.due) == (Deadline.Kind.LEVEL1_MEETING, dt.date(2026, 11, 25))


# --- nivå 2A ------------------------------------------------------------------------------


def test_level2a_requires_active_consent(case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2A, contact_teacher, coordinator=team_member, leaders_informed=True)
    assert exc.value.code == "level2a_needs_consent"


def test_level2a_refuses_withdrawn_consent(case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    consent(case, contact_teacher, given_on=TODAY - dt.timedelta(days=5), withdrawn_on=TODAY)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2A, contact_teacher, coordinator=team_member, leaders_informed=True)
    assert exc.value.code == "level2a_needs_consent"


def test_level2a_refuses_expired_consent(case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    consent(
        case,
        contact_teacher,
        given_on=TODAY - dt.timedelta(days=30),
        expires_on=TODAY - dt.timedelta(days=1),
    )
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2A, contact_teacher, coordinator=team_member, leaders_informed=True)
    assert exc.value.code == "level2a_needs_consent"


def test_level2a_requires_coordinator(case, contact_teacher):
    at_level(case, Level.NIVA_1, ready=False)
    consent(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2A, contact_teacher, leaders_informed=True)
    assert exc.value.code == "level2a_needs_coordinator"


def test_level2a_requires_leaders_informed(case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    consent(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2A, contact_teacher, coordinator=team_member)
    assert exc.value.code == "level2a_needs_leaders_informed"


def test_level2a_sets_coordinator_and_evaluation_deadline(case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    consent(case, contact_teacher)
    move(case, Level.NIVA_2A, contact_teacher, coordinator=team_member, leaders_informed=True)
    case.refresh_from_db()
    assert case.coordinator == team_member
    assert case.leaders_informed_at is not None
    assert case.events.filter(kind=CaseEvent.Kind.COORDINATOR_ASSIGNED).exists()
    assert Deadline.objects.get(case=case, met_at=None, cancelled_at=None).kind == (
        Deadline.Kind.EVALUATION_2A
    )


# --- nivå 2B ------------------------------------------------------------------------------


def test_level2b_requires_active_consent(case, contact_teacher):
    at_level(case, Level.NIVA_2A, ready=False)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2B, contact_teacher)
    assert exc.value.code == "level2b_needs_consent"


@pytest.mark.parametrize("days", [13, 22])
def test_level2b_summary_must_be_two_to_three_weeks_ahead(case, contact_teacher, days):
    at_level(case, Level.NIVA_2A)
    with pytest.raises(CaseRuleError) as exc:
        move(case, Level.NIVA_2B, contact_teacher, summary_due=TODAY + dt.timedelta(days=days))
    assert exc.value.code == "summary_due_range"


def test_level2b_summary_deadline_on_chosen_date(case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    move(case, Level.NIVA_2B, contact_teacher, summary_due=TODAY + dt.timedelta(days=14))
    deadline = Deadline.objects.get(case=case, met_at=None, cancelled_at=None)
    assert (deadline.kind, deadline.due) == (Deadline.Kind.MAPPING_SUMMARY_2B, dt.date(2026, 12, 2))


def test_moving_down_cancels_the_level_deadline(case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    move(case, Level.NIVA_2B, contact_teacher)
    case.refresh_from_db()
    move(case, Level.NIVA_2A, contact_teacher)
    assert Deadline.objects.get(kind=Deadline.Kind.MAPPING_SUMMARY_2B).cancelled_at is not None


def test_moving_down_to_level1_needs_no_consent(case, contact_teacher):
    at_level(case, Level.NIVA_2A, ready=False)
    move(case, Level.NIVA_1, contact_teacher)
    case.refresh_from_db()
    assert case.level == Level.NIVA_1


# --- concurrent edits ---------------------------------------------------------------------


def test_second_change_on_an_old_version_is_refused(case, contact_teacher, leader):
    conversation(case, contact_teacher)
    seen = case.version
    first = Case.objects.get(pk=case.pk)
    second = Case.objects.get(pk=case.pk)
    move(first, Level.NIVA_1, contact_teacher, version=seen)
    second.level = Level.NIVA_0  # as the second person saw it
    with pytest.raises(CaseChanged) as exc:
        move(second, Level.NIVA_1, leader, version=seen)
    assert exc.value.code == "case_changed"
    assert case.events.filter(kind=CaseEvent.Kind.LEVEL_CHANGED).count() == 1
