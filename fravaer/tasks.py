"""Celery tasks: thin, JSON arguments only (ids and ISO dates), idempotent through
database uniqueness, tolerant of rows deleted in the meantime."""

import datetime as dt

from celery import shared_task
from django.contrib.sessions.backends.cached_db import SessionStore
from django.utils import timezone

from fravaer.actions import scan_absence
from fravaer.models import School
from fravaer.scan import Scope


def _day(as_of: str | None) -> dt.date:
    return dt.date.fromisoformat(as_of) if as_of else timezone.localdate()


@shared_task
def clear_expired_sessions() -> None:
    """Nightly: expired sessions (who was logged in, from where) are not kept."""
    SessionStore.clear_expired()


@shared_task
def scan_pupils(pupil_ids: list[int], as_of: str | None = None) -> int:
    """Re-evaluate the pupils whose absence was just saved."""
    return len(scan_absence(Scope(pupil_ids=tuple(pupil_ids)), as_of=_day(as_of)).new_flags)


@shared_task
def scan_school(school_id: int, as_of: str | None = None) -> int:
    """Nightly, per school: window rules change with the calendar."""
    return len(scan_absence(Scope(school_ids=(school_id,)), as_of=_day(as_of)).new_flags)


@shared_task
def scan_all_schools() -> int:
    """05:00 Europe/Oslo: one task per school, never one per pupil."""
    as_of = timezone.localdate().isoformat()
    school_ids = list(School.objects.values_list("pk", flat=True))
    for school_id in school_ids:
        scan_school.delay(school_id, as_of)
    return len(school_ids)
