"""Recording an evaluation of an agreed plan version and carrying out its outcome
(seed 000 p. 14).

An evaluation (a meeting or a phone call) judges every short-term goal and every
measure of the version, records the pupil's own view ("Husk alltid elevens stemme",
opplæringslova § 10-1) and the guardians', keeps the attendance effect the meeting saw
(`plans.effect`), and meets the level's evaluation deadline (`plans.rules`): agreeing a
plan starts it, recording an evaluation meets it, a meeting alone no longer does.

Its outcome is carried out on the case in the same transaction:
- CLOSE: the measures worked; the case closes ("Tiltakene virket").
- CONTINUE: the same plan with a new evaluation date: the deadline runs again to it.
- REVISE: new measures on the same level: the next version is drafted, with the
  outcome's reason as its change reason (a draft already begun is kept instead).
- ESCALATE: the next level, under the staircase's rules (`cases.actions.core.change_level`:
  consent, coordinator and leaders informed for 2A, consent for 2B).

A refused outcome refuses the whole evaluation, and nothing is saved: a careful school
would not want the timeline to say "neste nivå" while the case stayed where it was. The
refusal says what is missing (e.g. the guardians' consent), the form keeps everything
typed, and the owner records the consent and saves again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.actions.core import change_level, close_case
from cases.actions.deadlines import meet_deadline, set_deadline
from cases.actions.meetings import meeting_window
from cases.actions.timeline import add_event
from cases.actions.versioning import bump
from cases.errors import CaseRuleError
from cases.models import Case, CaseEvent, Level, Meeting
from cases.queries import missing_for
from cases.transitions import TRANSITIONS, UP
from fravaer.models import User
from fravaer.schooldays import SchoolCalendar, closed_reason_label
from plans import rules
from plans.effect import attendance_effect
from plans.models import Evaluation, GoalReview, MeasureReview, PlanVersion


class Review(NamedTuple):
    """A goal's or a measure's result and its short why."""

    result: str
    why: str = ""


# Measure results that need a short why: what did not work must be understood before
# it is tried again ("eleven skal ikke utsettes igjen og igjen for tiltak som ikke
# virker").
WHY_REQUIRED = frozenset({MeasureReview.Result.DID_NOT_WORK, MeasureReview.Result.NOT_DONE})

WHY_MAX = 300


def next_level(level: str) -> str | None:
    """The level one step up the staircase from `level` (None at the top)."""
    return next((to for (frm, to), d in TRANSITIONS.items() if frm == level and d == UP), None)


def _reviews(given: Mapping[int, Review | tuple], ids: list[int]) -> dict[int, Review]:
    return {pk: Review(*given[pk]) for pk in ids if pk in given}


def _check_continue(case: Case, held_on: dt.date, day: dt.date | None, today: dt.date) -> None:
    if day is None:
        raise CaseRuleError(
            _("Velg en ny evalueringsdato når planen skal fortsette."),
            code="evaluation_next_date_required",
        )
    latest = meeting_window(today)[1]
    if day <= max(held_on, today) or day > latest:
        raise CaseRuleError(
            _("Den nye evalueringsdatoen må være etter %(first)s og senest %(last)s.")
            % {"first": f"{max(held_on, today):%d.%m.%Y}", "last": f"{latest:%d.%m.%Y}"},
            code="evaluation_next_date_range",
        )
    calendar = SchoolCalendar.for_school(case.school_id, day, day)
    if not calendar.is_school_day(day):
        raise CaseRuleError(
            _("%(date)s er ikke en skoledag (%(why)s). Velg en skoledag.")
            % {"date": f"{day:%d.%m.%Y}", "why": closed_reason_label(calendar.closed_reason(day))},
            code="evaluation_next_date_not_school_day",
        )


def record_evaluation(
    case: Case,
    version: PlanVersion,
    *,
    held_on: dt.date,
    form: str,
    meeting: Meeting | None = None,
    pupil_view: str,
    guardian_view: str = "",
    goal_results: Mapping[int, Review | tuple],
    measure_results: Mapping[int, Review | tuple],
    outcome: str,
    outcome_reason: str,
    next_evaluation_date: dt.date | None = None,
    coordinator: User | None = None,
    leaders_informed: bool = False,
    summary_due: dt.date | None = None,
    case_version: int | None = None,
    by: User,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Record the evaluation of `version` and carry out its outcome on the case, in one
    transaction. `goal_results` and `measure_results` map each goal's and measure's pk
    to its `Review`. `coordinator`, `leaders_informed` and `summary_due` are what a
    move up the staircase asks for (`change_level`). `case_version` is the case's
    version the person saw (default: the one loaded): a change in between refuses."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not case.is_open:
        raise CaseRuleError(_("Saken er avsluttet. Gjenåpne den først."), code="case_closed")
    if version.agreement.case_id != case.pk:
        raise CaseRuleError(_("Planen hører ikke til saken."), code="evaluation_wrong_case")
    if version.status != PlanVersion.Status.AGREED or version.agreed_on is None:
        raise CaseRuleError(
            _("Bare planen som gjelder (den siste avtalte versjonen), kan evalueres."),
            code="evaluation_version_not_agreed",
        )
    if held_on > today:
        raise CaseRuleError(
            _("Evalueringen kan ikke registreres før den er holdt: datoen er fram i tid."),
            code="evaluation_in_future",
        )
    if held_on < version.agreed_on:
        raise CaseRuleError(
            _("Evalueringen kan ikke være før planen ble avtalt (%(date)s).")
            % {"date": f"{version.agreed_on:%d.%m.%Y}"},
            code="evaluation_before_agreed",
        )
    if form not in Evaluation.Form.values:
        raise CaseRuleError(
            _("Velg om evalueringen var et møte eller en telefon."), code="evaluation_form_required"
        )
    if meeting is not None and meeting.case_id != case.pk:
        raise CaseRuleError(_("Møtet hører ikke til saken."), code="evaluation_meeting_wrong_case")
    pupil_view = pupil_view.strip()
    if not pupil_view:
        # As for a held meeting (`cases.actions.meetings.mark_meeting_held`).
        raise CaseRuleError(
            _("Skriv elevens egen stemme: hva eleven selv mener. Husk alltid elevens stemme."),
            code="evaluation_pupil_view_required",
        )

    goals = list(version.goals.all())
    measures = list(version.measures.all())
    goal_reviews = _reviews(goal_results, [g.pk for g in goals])
    measure_reviews = _reviews(measure_results, [m.pk for m in measures])
    for goal in goals:
        review = goal_reviews.get(goal.pk)
        if review is None or review.result not in GoalReview.Result.values:
            raise CaseRuleError(
                _("Velg om delmålet «%(goal)s» er nådd.") % {"goal": goal.text[:60]},
                code=f"evaluation_goal_result_required:{goal.pk}",
            )
    for measure in measures:
        review = measure_reviews.get(measure.pk)
        if review is None or review.result not in MeasureReview.Result.values:
            raise CaseRuleError(
                _("Velg om tiltaket «%(measure)s» virket.") % {"measure": measure.what[:60]},
                code=f"evaluation_measure_result_required:{measure.pk}",
            )
        if review.result in WHY_REQUIRED and not review.why.strip():
            raise CaseRuleError(
                _(
                    "Skriv kort hvorfor tiltaket «%(measure)s» ikke virket eller ikke ble "
                    "gjennomført."
                )
                % {"measure": measure.what[:60]},
                code=f"evaluation_measure_why_required:{measure.pk}",
            )

    if outcome not in Evaluation.Outcome.values:
        raise CaseRuleError(_("Velg utfallet av evalueringen."), code="evaluation_outcome_required")
    outcome_reason = outcome_reason.strip()
    if not outcome_reason:
        raise CaseRuleError(
            _("Skriv kort hvorfor dere valgte dette utfallet."),
            code="evaluation_outcome_reason_required",
        )
    if outcome == Evaluation.Outcome.CONTINUE:
        _check_continue(case, held_on, next_evaluation_date, today)
    else:
        next_evaluation_date = None
    up = None
    if outcome == Evaluation.Outcome.ESCALATE:
        up = next_level(case.level)
        if up is None:
            raise CaseRuleError(
                _(
                    "Saken er på det høyeste nivået (%(level)s). Velg nye tiltak på samme "
                    "nivå, eller fortsett planen."
                )
                % {"level": Level(case.level).label},
                code="evaluation_no_next_level",
            )
        # Asked before anything is written, so the refusal names what is missing.
        missing = missing_for(
            case,
            up,
            UP,
            today=today,
            coordinator=coordinator,
            leaders_informed=leaders_informed,
            summary_due=summary_due,
        )
        if missing:
            raise CaseRuleError(missing[0][1], code=missing[0][0])

    effect = attendance_effect(
        case.pupil, school_id=case.school_id, agreed_on=version.agreed_on, until=held_on
    )
    with transaction.atomic():
        # The case's version: a second submit of the same form, or someone else's
        # change of the case in between, is refused (`CaseChanged`), not doubled.
        bump(case, version=case.version if case_version is None else case_version)
        evaluation = Evaluation.objects.create(
            case=case,
            version=version,
            held_on=held_on,
            form=form,
            meeting=meeting,
            pupil_view=pupil_view,
            guardian_view=guardian_view.strip(),
            outcome=outcome,
            outcome_reason=outcome_reason,
            next_evaluation_date=next_evaluation_date,
            effect=effect.as_json() if effect else {},
            recorded_by=by,
            recorded_at=now,
        )
        GoalReview.objects.bulk_create(
            GoalReview(
                evaluation=evaluation,
                goal=goal,
                result=goal_reviews[goal.pk].result,
                why=goal_reviews[goal.pk].why.strip()[:WHY_MAX],
            )
            for goal in goals
        )
        MeasureReview.objects.bulk_create(
            MeasureReview(
                evaluation=evaluation,
                measure=measure,
                result=measure_reviews[measure.pk].result,
                why=measure_reviews[measure.pk].why.strip()[:WHY_MAX],
            )
            for measure in measures
        )
        add_event(
            case,
            CaseEvent.Kind.EVALUATION_RECORDED,
            by=by,
            now=now,
            text=f"{Evaluation.Outcome(outcome).label} – {outcome_reason}",
            evaluation=str(evaluation.uuid),
            outcome=outcome,
            plan_version=version.number,
        )
        kind = rules.EVALUATION_DEADLINE.get(case.level)
        if kind:
            meet_deadline(case, kind, now=now, by=by)
        _carry_out(
            case,
            version,
            evaluation,
            up=up,
            coordinator=coordinator,
            leaders_informed=leaders_informed,
            summary_due=summary_due,
            by=by,
            now=now,
        )
    return evaluation


def _carry_out(
    case: Case,
    version: PlanVersion,
    evaluation: Evaluation,
    *,
    up: str | None,
    coordinator: User | None,
    leaders_informed: bool,
    summary_due: dt.date | None,
    by: User,
    now: dt.datetime,
) -> None:
    outcome, reason = evaluation.outcome, evaluation.outcome_reason
    if outcome == Evaluation.Outcome.CLOSE:
        close_case(
            case,
            reason=Case.CloseReason.MEASURES_WORKED,
            text=reason,
            by=by,
            version=case.version,
            now=now,
        )
    elif outcome == Evaluation.Outcome.CONTINUE:
        kind = rules.EVALUATION_DEADLINE.get(case.level)
        if kind:
            set_deadline(case, kind, now=now, due=evaluation.next_evaluation_date, by=by)
    elif outcome == Evaluation.Outcome.REVISE:
        from plans.actions.versions import draft_next_version

        # A draft begun before the evaluation is where the new measures go: the plan
        # has one draft at a time (`planversion_one_draft`), and the evaluation's
        # "did not work" is listed there all the same (`plans.queries.failed_reviews`).
        if not PlanVersion.objects.filter(
            agreement_id=version.agreement_id, status=PlanVersion.Status.DRAFT
        ).exists():
            draft_next_version(version, by=by, now=now, change_reason=reason)
    elif outcome == Evaluation.Outcome.ESCALATE:
        change_level(
            case,
            to=up,
            by=by,
            reason=reason,
            version=case.version,
            coordinator=coordinator,
            leaders_informed=leaders_informed,
            summary_due=summary_due,
            now=now,
        )
