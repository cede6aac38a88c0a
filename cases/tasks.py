"""Celery tasks for cases: thin, JSON arguments only (ISO dates), idempotent through
the deadlines' reminder timestamps and the notifications' unique keys."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from cases.actions.consent import remind_pupil_consent
from cases.actions.deadlines import send_deadline_reminders
from cases.actions.departures import follow_people_changes


@shared_task
def send_deadline_reminders_daily(as_of: str | None = None) -> dict[str, int]:
    """06:00 Europe/Oslo: two school days before a deadline, and when it has passed."""
    today = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    result = send_deadline_reminders(today, timezone.now())
    return {"soon": result.soon, "overdue": result.overdue}


@shared_task
def remind_pupil_consent_daily(as_of: str | None = None) -> dict[str, int]:
    """06:05 Europe/Oslo: owners of cases whose pupil has turned 15, once per case."""
    today = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return {"reminded": remind_pupil_consent(today, timezone.now())}


@shared_task
def follow_people_changes_daily() -> dict[str, int]:
    """00:30 Europe/Oslo: enrollments and roles that ended by date (no import, no
    action) take effect on the cases: a moved pupil's case closes, the leaders hear of
    an owner or coordinator who left (access follows the date by itself)."""
    result = follow_people_changes(now=timezone.now())
    return {"closed": result.closed, "owners_left": result.owners_left}
