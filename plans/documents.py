"""The case's documents as PDFs (issue #14, §4): what each document shows, read in a
fixed number of queries whatever the plan holds (versions, goals, measures, steps).

- the cooperation agreement with its measure plan (`agreement_context`): one version,
  by default the agreed one in force, or a chosen one (a draft is marked "UTKAST");
- the minutes of a held meeting (`minutes_context`), which are sent to every
  participant (seed 000);
- the consent form for the guardians, and the pupil from 15, to sign
  (`consent_context`): from a recorded consent, or blank for a service;
- the evaluation report (`evaluation_context`) with the effect chart.

Each builder takes what the download view found through the access module (the case
from `cases.access.case_access_or_404`) and returns the template's context; the view
renders it with `fravaer.pdf.render_pdf` in the reader's language. A read module: it
writes nothing (the view logs the read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from cases.models import Case, Consent, Meeting, Service
from cases.queries import current_group_name
from cases.transitions import pupil_consent_required
from plans.chart import effect_chart
from plans.effect import Effect
from plans.models import (
    Arena,
    Evaluation,
    GoalReview,
    Measure,
    MeasureReview,
    PlanVersion,
    TaperingStep,
)

TEMPLATES = {
    "agreement": "plans/pdf/agreement.html",
    "minutes": "plans/pdf/minutes.html",
    "consent": "plans/pdf/consent.html",
    "evaluation": "plans/pdf/evaluation.html",
}

# What each download writes to the case's access log (`CaseAccessLog.what`).
LOG_WHAT = {
    "agreement": "pdf:agreement",
    "minutes": "pdf:minutes",
    "consent": "pdf:consent",
    "evaluation": "pdf:evaluation",
}


@dataclass(frozen=True)
class ArenaMeasures:
    arena: str
    label: str
    measures: list[Measure]


def _base(case: Case, today: dt.date) -> dict[str, Any]:
    """What every document heads with: the school, the pupil (name, class, date of
    birth; never the national identity number) and the day it was printed. One query
    (the class); the case comes with its pupil and school from the access module."""
    return {
        "case": case,
        "pupil": case.pupil,
        "school_name": case.school.name,
        "group_name": current_group_name(case.pupil, today),
        "generated_on": today,
    }


# --- the cooperation agreement -----------------------------------------------------------


def agreement_version(case: Case, version_uuid=None) -> PlanVersion:
    """The version a download asks for: a chosen one of this case's agreement (a draft
    too), or by default the agreed one in force, else the newest. 404 when there is
    none. One query."""
    versions = PlanVersion.objects.filter(agreement__case=case).select_related(
        "agreement", "agreed_by"
    )
    if version_uuid is not None:
        version = versions.filter(uuid=version_uuid).first()
    else:
        version = versions.in_force().first() or versions.order_by("-number").first()
    if version is None:
        raise Http404
    return version


def measures_by_arena(measures: Iterable[Measure]) -> list[ArenaMeasures]:
    """The plan's measures under the four arenas of the measure circle, in the circle's
    order; an arena without measures is left out (the agreement lists what was agreed)."""
    grouped: dict[str, list[Measure]] = {}
    for measure in measures:
        grouped.setdefault(measure.arena, []).append(measure)
    return [
        ArenaMeasures(arena, label, grouped[arena])
        for arena, label in Arena.choices
        if arena in grouped
    ]


def agreement_context(case: Case, version: PlanVersion, *, today: dt.date) -> dict[str, Any]:
    """The agreement and its plan as `version` holds it. Ten queries, whatever the
    number of goals, measures, steps and versions."""
    measures = list(
        version.measures.select_related("responsible_staff").prefetch_related(
            Prefetch("steps", queryset=TaperingStep.objects.order_by("starts_on", "pk"))
        )
    )
    mapping = case.mappings.select_related("recorded_by").order_by("-recorded_at", "-pk").first()
    return {
        **_base(case, today),
        "version": version,
        "is_draft": version.is_draft,
        "goals": list(version.goals.all()),
        "arenas": measures_by_arena(measures),
        "tapering": [m for m in measures if m.special_arrangement],
        "attendance_days": list(version.attendance_days.all()),
        "attendance_steps": list(version.attendance_steps.all()),
        "participant_guardians": list(version.guardians.all()),
        "participant_staff": list(version.staff.all()),
        "mapping": mapping,
        "signers": list(case.pupil.guardians.order_by("name", "pk")),
        "activity_plan_ref": version.activity_plan_ref or case.activity_plan_ref,
    }


def agreement_filename(version: PlanVersion, today: dt.date) -> str:
    return f"samarbeidsavtale-v{version.number}-{today.isoformat()}.pdf"


# --- the minutes of a meeting ------------------------------------------------------------


def held_meeting(case: Case, meeting_uuid) -> Meeting:
    """A held meeting of this case (only a held one has minutes), or 404. One query."""
    meeting = case.meetings.filter(uuid=meeting_uuid, status=Meeting.Status.HELD).first()
    if meeting is None:
        raise Http404
    return meeting


def minutes_context(case: Case, meeting: Meeting, *, today: dt.date) -> dict[str, Any]:
    """The minutes: kind, time, place, participants, the pupil's view, the minutes.
    Three queries."""
    return {
        **_base(case, today),
        "meeting": meeting,
        "meeting_guardians": list(meeting.guardians.all()),
        "meeting_staff": list(meeting.staff.all()),
    }


def minutes_filename(meeting: Meeting) -> str:
    day = timezone.localtime(meeting.starts_at).date()
    return f"referat-{meeting.kind}-{day.isoformat()}.pdf"


# --- the consent form --------------------------------------------------------------------


def recorded_consent(case: Case, consent_id: int) -> Consent:
    consent = case.consents.filter(pk=consent_id).first()
    if consent is None:
        raise Http404
    return consent


def blank_service(value: str | None) -> str:
    """The service a blank consent form is for (`?service=`), or 404 for anything else."""
    if value not in Service.values:
        raise Http404
    return value


def consent_context(
    case: Case, *, today: dt.date, consent: Consent | None = None, service: str | None = None
) -> dict[str, Any]:
    """A consent form to sign: from a recorded consent (its purpose, scope, expiry and
    who gave it), or a blank one for `service`. Signature lines for each guardian, and
    for the pupil from 15 (`cases.transitions.pupil_consent_required`). Two or three
    queries."""
    service = consent.service if consent else service
    return {
        **_base(case, today),
        "consent": consent,
        "service": service,
        "service_label": Service(service).label,
        "given_by": list(consent.guardians.all()) if consent else [],
        "signers": list(case.pupil.guardians.order_by("name", "pk")),
        "pupil_signs": pupil_consent_required(case.pupil, today),
    }


def consent_filename(service: str, today: dt.date) -> str:
    return f"samtykkeskjema-{service.replace('_', '-')}-{today.isoformat()}.pdf"


# --- the evaluation report ---------------------------------------------------------------


def case_evaluation(case: Case, evaluation_uuid) -> Evaluation:
    evaluation = (
        case.evaluations.filter(uuid=evaluation_uuid)
        .select_related("version", "meeting", "recorded_by")
        .first()
    )
    if evaluation is None:
        raise Http404
    return evaluation


def evaluation_context(case: Case, evaluation: Evaluation, *, today: dt.date) -> dict[str, Any]:
    """The report: the version evaluated, goal by goal and measure by measure, the
    pupil's and the guardians' views, the attendance effect, the outcome and its
    reason, and the effect chart. Three queries and the chart's."""
    return {
        **_base(case, today),
        "evaluation": evaluation,
        "version": evaluation.version,
        "goal_reviews": list(
            GoalReview.objects.filter(evaluation=evaluation).select_related("goal")
        ),
        "measure_reviews": list(
            MeasureReview.objects.filter(evaluation=evaluation).select_related(
                "measure__responsible_staff"
            )
        ),
        # What the evaluation saw, as it was recorded (`plans.effect`).
        "effect": Effect.from_json(evaluation.effect),
        "chart": effect_chart(case, today=today),
    }


def evaluation_filename(evaluation: Evaluation) -> str:
    return f"evalueringsrapport-{evaluation.held_on.isoformat()}.pdf"


# --- what the case page offers -----------------------------------------------------------


@dataclass(frozen=True)
class CaseDocuments:
    versions: list[PlanVersion]
    meetings: list[Meeting]
    consents: list[Consent]
    evaluations: list[Evaluation]
    services: list[tuple[str, str]]


def case_documents(case: Case) -> CaseDocuments:
    """The documents a case has to download: each version of its plan, each held
    meeting's minutes, each recorded consent, each evaluation; and a blank consent form
    for any service. Four queries."""
    return CaseDocuments(
        versions=list(
            PlanVersion.objects.filter(agreement__case=case)
            .order_by("-number")
            .only("uuid", "number", "status", "agreed_on", "agreement_id")
        ),
        meetings=list(
            case.meetings.filter(status=Meeting.Status.HELD).order_by("-starts_at", "-pk")
        ),
        consents=list(case.consents.order_by("-given_on", "-pk")),
        evaluations=list(case.evaluations.order_by("-held_on", "-pk")),
        services=list(Service.choices),
    )
