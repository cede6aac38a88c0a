"""Celery tasks: thin, JSON arguments only (ids and ISO dates), idempotent through
database uniqueness, tolerant of rows deleted in the meantime."""

import datetime as dt
import logging

from celery import shared_task
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import transaction
from django.utils import timezone

from fravaer.actions import scan_absence
from fravaer.actions.flags import send_notification_emails
from fravaer.models import School, SubmissionKey
from fravaer.scan import Scope

logger = logging.getLogger(__name__)


def rescan_after_commit(pupil_ids) -> None:
    """Re-evaluate these pupils once the current transaction has committed. Without a
    broker the scan runs in-process, so the flag is there when the page reloads; with
    a broker that is down, the request still finishes and the nightly scan catches up.
    """
    ids = sorted(set(pupil_ids))
    if not ids:
        return
    as_of = timezone.localdate().isoformat()

    def enqueue() -> None:
        try:
            scan_pupils.delay(ids, as_of)
        except Exception:  # the broker is unreachable: never fail the user's save
            logger.warning("could not enqueue a scan of %d pupils", len(ids), exc_info=True)

    transaction.on_commit(enqueue)


def _day(as_of: str | None) -> dt.date:
    return dt.date.fromisoformat(as_of) if as_of else timezone.localdate()


@shared_task
def clear_expired_sessions() -> None:
    """Nightly: expired sessions (who was logged in, from where) are not kept, nor the
    keys of forms sent more than a day ago (`OncePerSubmissionMiddleware`)."""
    SessionStore.clear_expired()
    SubmissionKey.objects.expired(timezone.now()).delete()


@shared_task
def scan_pupils(pupil_ids: list[int], as_of: str | None = None) -> int:
    """Re-evaluate the pupils whose absence was just saved."""
    return scan_absence(Scope(pupil_ids=tuple(pupil_ids)), as_of=_day(as_of)).raised


@shared_task
def scan_school(school_id: int, as_of: str | None = None) -> int:
    """Nightly, per school: window rules change with the calendar."""
    return scan_absence(Scope(school_ids=(school_id,)), as_of=_day(as_of)).raised


@shared_task
def send_inbox_emails(per_user: dict[str, int]) -> int:
    """After a scan or a step in a case: one short e-mail per person about what is new
    in their inbox, without details (`send_notification_emails`). The arguments are
    user ids and counts; JSON makes the ids strings."""
    return send_notification_emails({int(user_id): n for user_id, n in per_user.items()})


@shared_task
def scan_all_schools() -> int:
    """05:00 Europe/Oslo: one task per school, never one per pupil."""
    as_of = timezone.localdate().isoformat()
    school_ids = list(School.objects.values_list("pk", flat=True))
    for school_id in school_ids:
        scan_school.delay(school_id, as_of)
    return len(school_ids)
