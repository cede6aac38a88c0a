"""Deadlines: the municipality's deadline settings and the daily reminders.

Deadlines themselves start and stop with the case (`set_deadline`, `meet_deadline`
here, called by level changes, meetings and closing); what is pending, passed or due
when is read in `cases.deadlines`. Here the owner is told two school days
before a deadline and on the first school day after it has passed, each once: a
conditional `UPDATE … WHERE reminded_at IS NULL` (or `overdue_notified_at`) on rows this
run holds locked, and the notification's unique key, make a re-run or a second beat
harmless.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cases.actions.notifications import notify_each
from cases.actions.timeline import add_event
from cases.deadlines import (
    REMIND_SCHOOL_DAYS_BEFORE,
    Due,
    deadline_days,
    deadline_due,
    municipality_deadline_days,
    overdue_day,
    pending_deadlines,
    reminder_day,
)
from cases.errors import CaseRuleError
from cases.models import (
    DEADLINE_DAYS_RANGE,
    Case,
    CaseEvent,
    Deadline,
    DeadlineSetting,
    DeadlineSettingChange,
)
from fravaer.models import Municipality, NonSchoolDay, Notification, User
from fravaer.schooldays import SEARCH_LIMIT_DAYS, SchoolCalendar

# Where each default comes from, for the settings page.
DEADLINE_SOURCES: dict[str, str] = {
    Deadline.Kind.LEVEL1_MEETING: gettext_lazy(
        "Færder kommune, nivå 1: møte med elev og foresatte «innen 1 uke fra bekymring "
        "er definert»."
    ),
    Deadline.Kind.PLAN_EVALUATION: gettext_lazy(
        "Færder kommune, nivå 1: «Evaluering innen 3 uker»; Søndre Land kommune, "
        "Rutine fraværsoppfølging (2025), s. 14: evalueringsmøte om tre uker."
    ),
    Deadline.Kind.EVALUATION_2A: gettext_lazy(
        "Færder kommune, nivå 2A: «Evaluering av innsats innen 2–3 uker»."
    ),
    Deadline.Kind.MAPPING_SUMMARY_2B: gettext_lazy(
        "Færder kommune, nivå 2B: «Dato for oppsummering av kartlegging settes innen 2–3 uker»."
    ),
    Deadline.Kind.EVALUATION_2B: gettext_lazy(
        "Færder kommune, nivå 2B: «Evaluering av tiltak innen 3 uker»; Søndre Land kommune, "
        "Rutine fraværsoppfølging (2025), s. 14: evalueringsmøte om tre uker."
    ),
}

# Inbox texts: the step, never the reason (no health details). Fixed strings, so the
# inbox can translate them when it shows them.
SOON_TEXTS: dict[str, str] = {
    Deadline.Kind.LEVEL1_MEETING: gettext_noop(
        "Frist om to skoledager: møte med elev og foresatte (nivå 1)"
    ),
    Deadline.Kind.PLAN_EVALUATION: gettext_noop(
        "Frist om to skoledager: evaluering av tiltaksplanen"
    ),
    Deadline.Kind.EVALUATION_2A: gettext_noop("Frist om to skoledager: evaluering (nivå 2A)"),
    Deadline.Kind.MAPPING_SUMMARY_2B: gettext_noop(
        "Frist om to skoledager: oppsummering av kartleggingen (nivå 2B)"
    ),
    Deadline.Kind.EVALUATION_2B: gettext_noop(
        "Frist om to skoledager: evaluering av tiltakene (nivå 2B)"
    ),
}
# A deadline set closer than two school days ahead is still announced, without the
# count.
NEAR_TEXTS: dict[str, str] = {
    Deadline.Kind.LEVEL1_MEETING: gettext_noop("Frist snart: møte med elev og foresatte (nivå 1)"),
    Deadline.Kind.PLAN_EVALUATION: gettext_noop("Frist snart: evaluering av tiltaksplanen"),
    Deadline.Kind.EVALUATION_2A: gettext_noop("Frist snart: evaluering (nivå 2A)"),
    Deadline.Kind.MAPPING_SUMMARY_2B: gettext_noop(
        "Frist snart: oppsummering av kartleggingen (nivå 2B)"
    ),
    Deadline.Kind.EVALUATION_2B: gettext_noop("Frist snart: evaluering av tiltakene (nivå 2B)"),
}
OVERDUE_TEXTS: dict[str, str] = {
    Deadline.Kind.LEVEL1_MEETING: gettext_noop(
        "Fristen er passert: møte med elev og foresatte (nivå 1)"
    ),
    Deadline.Kind.PLAN_EVALUATION: gettext_noop("Fristen er passert: evaluering av tiltaksplanen"),
    Deadline.Kind.EVALUATION_2A: gettext_noop("Fristen er passert: evaluering (nivå 2A)"),
    Deadline.Kind.MAPPING_SUMMARY_2B: gettext_noop(
        "Fristen er passert: oppsummering av kartleggingen (nivå 2B)"
    ),
    Deadline.Kind.EVALUATION_2B: gettext_noop(
        "Fristen er passert: evaluering av tiltakene (nivå 2B)"
    ),
}


# --- starting and meeting deadlines --------------------------------------------------


def set_deadline(
    case: Case,
    kind: str,
    *,
    now: dt.datetime,
    due: dt.date | Due | None = None,
    by: User | None,
) -> Deadline:
    """Start a deadline (replacing a pending one of the same kind). Counted in days,
    it falls on a school day: one that lands in a holiday or a weekend moves forward
    to the next school day (`due_on_school_day`), and the case page says so."""
    if due is None:
        days = deadline_days(case.school.municipality_id, kind)
        due = deadline_due(case.school_id, timezone.localdate(now), days)
    elif isinstance(due, dt.date):
        due = Due(due)
    Deadline.objects.pending().filter(case=case, kind=kind).update(cancelled_at=now)
    deadline = Deadline.objects.create(
        case=case,
        kind=kind,
        due=due.date,
        moved_from=due.moved_from,
        moved_because=due.because[:100],
        created_at=now,
    )
    add_event(
        case,
        CaseEvent.Kind.DEADLINE_SET,
        by=by,
        now=now,
        text=deadline.set_text,
        deadline=deadline.pk,
    )
    return deadline


def meet_deadline(case: Case, kind: str, *, now: dt.datetime, by: User | None) -> int:
    """Mark the pending deadline of `kind` as met (a meeting held, an evaluation done)."""
    ids = list(Deadline.objects.pending().filter(case=case, kind=kind).values_list("pk", flat=True))
    if ids:
        Deadline.objects.filter(pk__in=ids).update(met_at=now)
        add_event(case, CaseEvent.Kind.DEADLINE_MET, by=by, now=now, deadline=ids[0])
    return len(ids)


# --- reminders --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderResult:
    soon: int
    overdue: int


def send_deadline_reminders(today: dt.date, now: dt.datetime | None = None) -> ReminderResult:
    """Tell each case owner two school days before a pending deadline, and on the first
    school day after it has passed (`overdue_day`). Set-based: a fixed number of
    queries whatever the number of cases and schools (one calendar load for all
    schools)."""
    now = now or timezone.now()
    horizon = today + dt.timedelta(days=SEARCH_LIMIT_DAYS)
    with transaction.atomic():
        # Rows another run holds are skipped; that run sends their messages.
        candidates = list(
            pending_deadlines()
            .filter(
                Q(reminded_at__isnull=True, due__gte=today, due__lte=horizon)
                | Q(overdue_notified_at__isnull=True, due__lt=today)
            )
            .select_related("case")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        upcoming = [d for d in candidates if d.due >= today]
        calendars = _calendars({d.case.school_id for d in candidates}, today, horizon)
        soon = [d for d in upcoming if reminder_day(d.due, calendars[d.case.school_id]) <= today]
        overdue = [
            d
            for d in candidates
            if d.due < today
            and d.overdue_notified_at is None
            and overdue_day(d.due, calendars[d.case.school_id]) <= today
        ]

        messages = []
        if soon:
            Deadline.objects.filter(pk__in=[d.pk for d in soon], reminded_at__isnull=True).update(
                reminded_at=now
            )
            for d in soon:
                calendar = calendars[d.case.school_id]
                left = calendar.count_school_days(today + dt.timedelta(days=1), d.due)
                texts = SOON_TEXTS if left == REMIND_SCHOOL_DAYS_BEFORE else NEAR_TEXTS
                messages.append((d.case.owner_id, d.case, texts[d.kind], f"deadline:{d.pk}:soon"))
        if overdue:
            Deadline.objects.filter(
                pk__in=[d.pk for d in overdue], overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            for d in overdue:
                messages.append(
                    (d.case.owner_id, d.case, OVERDUE_TEXTS[d.kind], f"deadline:{d.pk}:overdue")
                )
        if messages:
            notify_each(messages, now=now, kind=Notification.Kind.DEADLINE)
    return ReminderResult(soon=len(soon), overdue=len(overdue))


def _calendars(school_ids: set[int], start: dt.date, end: dt.date) -> dict[int, SchoolCalendar]:
    """Each school's calendar from `start` back to the search limit and up to `end`:
    one query for all schools."""
    days: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    if school_ids:
        rows = NonSchoolDay.objects.filter(
            school_id__in=school_ids,
            date__gte=start - dt.timedelta(days=SEARCH_LIMIT_DAYS),
            date__lte=end,
        ).values_list("school_id", "date", "name")
        for school_id, day, name in rows:
            days[school_id].append((day, name))
    return {school_id: SchoolCalendar.from_days(days[school_id]) for school_id in school_ids}


# --- settings ---------------------------------------------------------------------------


def change_deadline_settings(
    municipality: Municipality,
    *,
    days: Mapping[str, int],
    by: User,
    now: dt.datetime | None = None,
) -> list[DeadlineSettingChange]:
    """Set the days of each deadline kind for the municipality's schools. Deadlines
    already running keep their date; new ones use the new days. Every change is logged
    (append-only)."""
    now = now or timezone.now()
    for kind, value in days.items():
        if kind not in Deadline.Kind.values:
            raise CaseRuleError(_("Ukjent frist."), code="deadline_kind_unknown")
        low, high = DEADLINE_DAYS_RANGE[kind]
        if not low <= value <= high:
            raise CaseRuleError(
                _("%(kind)s: fristen må være mellom %(min)s og %(max)s dager.")
                % {"kind": Deadline.Kind(kind).label, "min": low, "max": high},
                code="deadline_days_range",
            )
    changes = []
    with transaction.atomic():
        # Two administrators saving at once: the second sees the first's values.
        list(DeadlineSetting.objects.select_for_update().filter(municipality=municipality))
        current = municipality_deadline_days(municipality.pk)
        for kind in Deadline.Kind.values:
            if kind not in days or days[kind] == current[kind]:
                continue
            DeadlineSetting.objects.update_or_create(
                municipality=municipality,
                kind=kind,
                defaults={"days": days[kind], "updated_by": by, "updated_at": now},
            )
            changes.append(
                DeadlineSettingChange(
                    municipality=municipality,
                    kind=kind,
                    days_before=current[kind],
                    days_after=days[kind],
                    by=by,
                    at=now,
                )
            )
        DeadlineSettingChange.objects.bulk_create(changes)
    return changes
