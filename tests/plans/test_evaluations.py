"""Recording an evaluation (`plans.actions.evaluations.record_evaluation`): what it
requires, the deadline it meets, and each outcome's path through the staircase."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.actions.deadlines import set_deadline
from cases.errors import CaseChanged
from cases.models import Case, CaseEvent, Consent, Deadline, Level
from plans.actions.evaluations import record_evaluation
from plans.models import Evaluation, GoalReview, MeasureReview, PlanVersion
from tests.factories import agreed_version, at_level, refused

pytestmark = pytest.mark.django_db

AGREED = dt.date(2026, 11, 2)
HELD = dt.date(2026, 11, 16)


@pytest.fixture
def version(case, contact_teacher):
    version = agreed_version(case, by=contact_teacher, agreed_on=AGREED)
    # What agreeing the plan does (the editor's action): the evaluation deadline runs.
    set_deadline(case, Deadline.Kind.PLAN_EVALUATION, now=timezone.now(), by=contact_teacher)
    return version


def results(version, goal="reached", measure="worked", why=""):
    return {
        "goal_results": {g.pk: (goal, why) for g in version.goals.all()},
        "measure_results": {m.pk: (measure, why) for m in version.measures.all()},
    }


def evaluate(case, version, by, **extra):
    values = {
        "held_on": HELD,
        "form": Evaluation.Form.MEETING,
        "pupil_view": "Det er lettere å komme når noen møter meg.",
        "guardian_view": "Morgenene er roligere.",
        "outcome": Evaluation.Outcome.CLOSE,
        "outcome_reason": "Fraværet har gått ned, og eleven trives.",
        **results(version),
    }
    values.update(extra)
    return record_evaluation(case, version, by=by, **values)


def pending(case, kind):
    return Deadline.objects.filter(
        case=case, kind=kind, met_at__isnull=True, cancelled_at__isnull=True
    ).first()


# --- what it records -------------------------------------------------------------------


def test_an_evaluation_keeps_every_review_the_views_and_the_effect(case, version, contact_teacher):
    evaluation = evaluate(
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.CONTINUE,
        next_evaluation_date=dt.date(2026, 12, 7),
        **results(version, goal="partly", measure="did_not_work", why="Bussen går for sent."),
    )
    assert GoalReview.objects.filter(evaluation=evaluation, result="partly").count() == 1
    reviews = MeasureReview.objects.filter(evaluation=evaluation)
    assert [(r.result, r.why) for r in reviews] == [("did_not_work", "Bussen går for sent.")] * 2
    assert evaluation.guardian_view == "Morgenene er roligere."
    assert evaluation.effect["since"]["start"] == "2026-11-02"
    assert evaluation.effect["since"]["end"] == "2026-11-16"
    assert evaluation.effect["since"]["school_days"] == 11


def test_the_evaluation_meets_the_plan_evaluation_deadline(case, version, contact_teacher):
    deadline = pending(case, Deadline.Kind.PLAN_EVALUATION)
    evaluate(case, version, contact_teacher)
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert case.events.filter(kind=CaseEvent.Kind.DEADLINE_MET).exists()


def test_a_held_evaluation_meeting_alone_leaves_the_deadline_and_the_evaluation_meets_it(
    case, version, contact_teacher
):
    from cases.actions.meetings import mark_meeting_held, schedule_meeting
    from cases.models import Meeting

    deadline = pending(case, Deadline.Kind.PLAN_EVALUATION)
    meeting = schedule_meeting(
        case,
        kind=Meeting.Kind.EVALUATION,
        starts_at=timezone.now() - dt.timedelta(hours=2),
        place="Møterom 2",
        by=contact_teacher,
    )
    mark_meeting_held(meeting, pupil_view="Bedre.", by=contact_teacher, version=meeting.version)
    deadline.refresh_from_db()
    assert deadline.met_at is None
    case.refresh_from_db()
    evaluate(case, version, contact_teacher, meeting=meeting)
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert Evaluation.objects.get().meeting == meeting


def test_the_outcome_and_its_reason_are_on_the_timeline(case, version, contact_teacher):
    evaluation = evaluate(case, version, contact_teacher)
    event = case.events.get(kind=CaseEvent.Kind.EVALUATION_RECORDED)
    assert event.text == (
        "Tiltakene virket: avslutt saken – Fraværet har gått ned, og eleven trives."
    )
    assert event.data == {
        "evaluation": str(evaluation.uuid),
        "outcome": "close",
        "plan_version": 1,
    }


# --- what it requires ------------------------------------------------------------------


def test_the_pupils_view_is_required(case, version, contact_teacher):
    refused(
        "evaluation_pupil_view_required",
        evaluate,
        case,
        version,
        contact_teacher,
        pupil_view="  ",
    )
    assert not Evaluation.objects.exists()


def test_every_goal_needs_a_result(case, version, contact_teacher):
    given = results(version)
    given["goal_results"] = {}
    goal = version.goals.get()
    refused(
        f"evaluation_goal_result_required:{goal.pk}",
        evaluate,
        case,
        version,
        contact_teacher,
        **given,
    )


def test_every_measure_needs_a_result(case, version, contact_teacher):
    given = results(version)
    first, second = version.measures.all()
    del given["measure_results"][second.pk]
    refused(
        f"evaluation_measure_result_required:{second.pk}",
        evaluate,
        case,
        version,
        contact_teacher,
        **given,
    )


@pytest.mark.parametrize("result", ["did_not_work", "not_done"])
def test_a_measure_that_did_not_work_needs_a_why(case, version, contact_teacher, result):
    first = version.measures.first()
    refused(
        f"evaluation_measure_why_required:{first.pk}",
        evaluate,
        case,
        version,
        contact_teacher,
        **results(version, measure=result, why=" "),
    )


def test_the_outcome_needs_a_reason(case, version, contact_teacher):
    refused(
        "evaluation_outcome_reason_required",
        evaluate,
        case,
        version,
        contact_teacher,
        outcome_reason="",
    )


def test_only_the_agreed_version_is_evaluated(case, version, contact_teacher):
    PlanVersion.objects.filter(pk=version.pk).update(status=PlanVersion.Status.DRAFT)
    version.refresh_from_db()
    refused("evaluation_version_not_agreed", evaluate, case, version, contact_teacher)


def test_an_evaluation_is_not_recorded_before_it_is_held(case, version, contact_teacher):
    refused(
        "evaluation_in_future",
        evaluate,
        case,
        version,
        contact_teacher,
        held_on=dt.date(2026, 11, 19),
    )
    refused(
        "evaluation_before_agreed",
        evaluate,
        case,
        version,
        contact_teacher,
        held_on=dt.date(2026, 11, 1),
    )


def test_a_second_submit_of_the_same_form_is_refused(case, version, contact_teacher):
    seen = case.version
    later = {"outcome": Evaluation.Outcome.CONTINUE, "next_evaluation_date": dt.date(2026, 12, 7)}
    evaluate(case, version, contact_teacher, case_version=seen, **later)
    with pytest.raises(CaseChanged):
        evaluate(case, version, contact_teacher, case_version=seen, **later)
    assert Evaluation.objects.count() == 1


# --- outcome 1: close ------------------------------------------------------------------


def test_close_closes_the_case_because_the_measures_worked(case, version, contact_teacher):
    deadline = pending(case, Deadline.Kind.PLAN_EVALUATION)
    evaluate(case, version, contact_teacher, outcome=Evaluation.Outcome.CLOSE)
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.close_text) == (
        Case.Status.CLOSED,
        Case.CloseReason.MEASURES_WORKED,
        "Fraværet har gått ned, og eleven trives.",
    )
    deadline.refresh_from_db()
    # Met by the evaluation, not cancelled by the closing.
    assert deadline.met_at is not None and deadline.cancelled_at is None


# --- outcome 2: continue, or revise ----------------------------------------------------


def test_continue_runs_the_evaluation_deadline_again_to_the_new_date(
    case, version, contact_teacher
):
    first = pending(case, Deadline.Kind.PLAN_EVALUATION)
    evaluate(
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.CONTINUE,
        next_evaluation_date=dt.date(2026, 12, 7),
    )
    first.refresh_from_db()
    assert first.met_at is not None
    again = pending(case, Deadline.Kind.PLAN_EVALUATION)
    assert again.pk != first.pk and again.due == dt.date(2026, 12, 7)
    case.refresh_from_db()
    assert case.is_open and case.level == Level.NIVA_1
    version.refresh_from_db()
    assert version.status == PlanVersion.Status.AGREED


def test_continue_needs_a_new_evaluation_date_on_a_school_day_ahead(case, version, contact_teacher):
    kwargs = {"outcome": Evaluation.Outcome.CONTINUE}
    refused("evaluation_next_date_required", evaluate, case, version, contact_teacher, **kwargs)
    refused(
        "evaluation_next_date_range",
        evaluate,
        case,
        version,
        contact_teacher,
        next_evaluation_date=dt.date(2026, 11, 18),
        **kwargs,
    )
    refused(
        "evaluation_next_date_not_school_day",
        evaluate,
        case,
        version,
        contact_teacher,
        next_evaluation_date=dt.date(2026, 12, 5),  # a Saturday
        **kwargs,
    )
    assert not Evaluation.objects.exists()


def test_revise_drafts_the_next_version_with_the_reason(case, version, contact_teacher):
    evaluate(
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.REVISE,
        outcome_reason="Biblioteket virket ikke; vi prøver et annet rom.",
    )
    draft = PlanVersion.objects.get(agreement=version.agreement, status=PlanVersion.Status.DRAFT)
    assert draft.number == version.number + 1
    assert draft.change_reason == "Biblioteket virket ikke; vi prøver et annet rom."
    case.refresh_from_db()
    assert case.is_open and case.level == Level.NIVA_1


def test_revise_keeps_a_draft_already_begun(case, version, contact_teacher):
    from plans.actions.versions import draft_next_version

    begun = draft_next_version(version, by=contact_teacher, change_reason="Nytt rom.")
    evaluate(case, version, contact_teacher, outcome=Evaluation.Outcome.REVISE)
    drafts = PlanVersion.objects.filter(agreement=version.agreement, status="draft")
    assert list(drafts) == [begun]
    assert Evaluation.objects.filter(version=version, outcome="revise").exists()


# --- outcome 3: escalate ----------------------------------------------------------------


def test_escalate_without_consent_refuses_the_whole_evaluation(case, version, contact_teacher):
    Consent.objects.filter(case=case).delete()
    deadline = pending(case, Deadline.Kind.PLAN_EVALUATION)
    error = refused(
        "level2a_needs_consent",
        evaluate,
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.ESCALATE,
        coordinator=contact_teacher,
        leaders_informed=True,
    )
    assert "samtykke" in error.message
    assert not Evaluation.objects.exists()
    assert not case.events.filter(kind=CaseEvent.Kind.EVALUATION_RECORDED).exists()
    deadline.refresh_from_db()
    assert deadline.met_at is None
    case.refresh_from_db()
    assert case.level == Level.NIVA_1


def test_escalate_needs_a_coordinator_for_2a(case, version, contact_teacher):
    Case.objects.filter(pk=case.pk).update(coordinator=None)
    case.refresh_from_db()
    refused(
        "level2a_needs_coordinator",
        evaluate,
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.ESCALATE,
    )


def test_escalate_with_consent_moves_the_case_to_2a(case, version, contact_teacher):
    deadline = pending(case, Deadline.Kind.PLAN_EVALUATION)
    evaluate(
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.ESCALATE,
        outcome_reason="Tiltakene virket ikke; vi trenger PPT.",
        coordinator=contact_teacher,
        leaders_informed=True,
    )
    case.refresh_from_db()
    assert (case.level, case.coordinator) == (Level.NIVA_2A, contact_teacher)
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    # 2A's own deadline runs from the move, as `change_level` starts it.
    assert pending(case, Deadline.Kind.EVALUATION_2A) is not None
    moved = case.events.get(kind=CaseEvent.Kind.LEVEL_CHANGED)
    assert (moved.level_from, moved.level_to, moved.text) == (
        "1",
        "2A",
        "Tiltakene virket ikke; vi trenger PPT.",
    )


def test_escalate_from_2a_moves_the_case_to_2b_with_its_mapping_summary(case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    version = agreed_version(case, by=contact_teacher, agreed_on=AGREED)
    set_deadline(case, Deadline.Kind.EVALUATION_2A, now=timezone.now(), by=contact_teacher)
    evaluate(case, version, contact_teacher, outcome=Evaluation.Outcome.ESCALATE)
    case.refresh_from_db()
    assert case.level == Level.NIVA_2B
    assert Deadline.objects.get(case=case, kind=Deadline.Kind.EVALUATION_2A).met_at is not None
    assert pending(case, Deadline.Kind.MAPPING_SUMMARY_2B) is not None


def test_escalate_from_2b_is_refused(case, contact_teacher):
    at_level(case, Level.NIVA_2B)
    version = agreed_version(case, by=contact_teacher, agreed_on=AGREED)
    refused(
        "evaluation_no_next_level",
        evaluate,
        case,
        version,
        contact_teacher,
        outcome=Evaluation.Outcome.ESCALATE,
    )


# --- plan B --------------------------------------------------------------------------


def test_plan_b_at_2a_is_evaluated_the_same_way_and_meets_the_2a_evaluation(case, contact_teacher):
    agreed_version(case, by=contact_teacher, agreed_on=dt.date(2026, 10, 5))
    at_level(case, Level.NIVA_2A)
    plan_b = agreed_version(case, by=contact_teacher, agreed_on=AGREED, number=2)
    set_deadline(case, Deadline.Kind.EVALUATION_2A, now=timezone.now(), by=contact_teacher)
    deadline = pending(case, Deadline.Kind.EVALUATION_2A)
    evaluate(
        case,
        plan_b,
        contact_teacher,
        outcome=Evaluation.Outcome.CONTINUE,
        next_evaluation_date=dt.date(2026, 12, 7),
    )
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert pending(case, Deadline.Kind.EVALUATION_2A).due == dt.date(2026, 12, 7)


def test_the_superseded_plan_a_is_no_longer_evaluated(case, contact_teacher):
    plan_a = agreed_version(case, by=contact_teacher, agreed_on=dt.date(2026, 10, 5))
    agreed_version(case, by=contact_teacher, agreed_on=AGREED, number=2)
    plan_a.refresh_from_db()
    refused("evaluation_version_not_agreed", evaluate, case, plan_a, contact_teacher)
