"""Celery tasks: thin, JSON arguments only (ids and ISO dates), idempotent through
database uniqueness, tolerant of rows deleted in the meantime."""

import datetime as dt

from celery import shared_task
from django.contrib.sessions.backends.cached_db import SessionStore
from django.utils import timezone

from fravaer.actions import scan_absence
from fravaer.actions.flags import send_notification_emails
from fravaer.actions.outbox import enqueue_on_commit, relay_outbox
from fravaer.actions.overviews import announce_monthly_overviews
from fravaer.actions.week import send_week_emails
from fravaer.models import School, SubmissionKey
from fravaer.scan import Scope


def rescan_after_commit(pupil_ids) -> None:
    """Re-evaluate these pupils once the current transaction has committed (call it
    inside the transaction of the save). Without a broker the scan runs in-process, so
    the flag is there when the page reloads; with a broker that is down or silent,
    the request still finishes within ENQUEUE_TIMEOUT and the worker's relay enqueues
    the scan once the broker is back (`fravaer.actions.outbox`)."""
    ids = sorted(set(pupil_ids))
    if ids:
        enqueue_on_commit(scan_pupils, ids, timezone.localdate().isoformat())


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
def relay_outbox_tasks() -> int:
    """Every minute, and when a worker starts: enqueue the tasks that saves could not
    hand to the broker (it was down or did not answer)."""
    return relay_outbox(now=timezone.now())


@shared_task
def scan_all_schools() -> int:
    """05:00 Europe/Oslo: one task per school, never one per pupil."""
    as_of = timezone.localdate().isoformat()
    school_ids = list(School.objects.values_list("pk", flat=True))
    for school_id in school_ids:
        scan_school.delay(school_id, as_of)
    return len(school_ids)


@shared_task
def rollup_recent_months() -> int:
    """Nightly: the monthly rollup of the current and the previous month for every
    school (`recompute_rollups` replaces their rows, so a retry does no harm)."""
    from fravaer.actions.rollups import recompute_rollups

    today = timezone.localdate()
    previous = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return recompute_rollups([previous, today.replace(day=1)])


@shared_task
def announce_monthly_overviews_daily(as_of: str | None = None) -> dict[str, int]:
    """06:10 Europe/Oslo, every day: on a school's first school day of a month, its
    leaders hear that last month's overview is ready and its contact teachers that
    their comments are due; once per school and month (`MonthlyOverviewNotice`)."""
    result = announce_monthly_overviews(_day(as_of), timezone.now())
    return {"schools": result.schools, "messages": result.messages}


@shared_task(autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def send_week_emails_friday(as_of: str | None = None) -> int:
    """Fridays 14:00 Europe/Oslo: the e-mail with a link to the week, to the contact
    teachers who chose it; once per person and week, whatever the retries do."""
    return send_week_emails(_day(as_of))
