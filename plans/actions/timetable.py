"""Recording the pupil's red/yellow/green timetable (seed 002)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.actions.timeline import add_event
from cases.errors import CaseRuleError
from cases.models import Case, CaseEvent
from fravaer.models import User
from plans.models import LessonRating, TimetableSurvey


@dataclass(frozen=True)
class RatingInput:
    weekday: int  # 0 = Monday
    lesson: int  # 1 = the day's first lesson
    rating: str
    subject: str = ""
    why: str = ""


def record_timetable(
    case: Case,
    *,
    filled_on: dt.date,
    ratings: list[RatingInput],
    note: str = "",
    by: User,
) -> TimetableSurvey:
    """Record a new timetable for the case (the newest is the one shown; earlier ones
    stay) and put it on the case's timeline."""
    if not case.is_open:
        raise CaseRuleError(
            _("Saken er avsluttet. Gjenåpne saken for å registrere en ny timeplan."),
            code="case_closed",
        )
    if not ratings:
        raise CaseRuleError(
            _("Marker minst én time som grønn, gul eller rød."), code="timetable_empty"
        )
    if filled_on > timezone.localdate():
        raise CaseRuleError(_("Datoen kan ikke være i fremtiden."), code="timetable_future")
    now = timezone.now()
    with transaction.atomic():
        survey = TimetableSurvey.objects.create(
            case=case, filled_on=filled_on, note=note, recorded_by=by, recorded_at=now
        )
        LessonRating.objects.bulk_create(
            LessonRating(
                survey=survey,
                weekday=r.weekday,
                lesson=r.lesson,
                rating=r.rating,
                subject=r.subject,
                why=r.why,
            )
            for r in ratings
        )
        add_event(case, CaseEvent.Kind.TIMETABLE_RECORDED, by=by, now=now, survey=survey.pk)
    return survey
