"""Messages about a case to people's inboxes (`fravaer.models.Notification`), with an
e-mail that only says there is something to read, and the school staff in given roles
they go to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from cases.models import Case
from fravaer.models import Notification, StaffRole


def notify(
    users: Iterable[int],
    *,
    case: Case,
    text: str,
    key: str,
    now: dt.datetime,
    kind: str = Notification.Kind.CASE,
) -> int:
    """Put a message about a case in each user's inbox, once per `key` (none: every
    time), and e-mail them a login link (no pupil details in e-mail). `text` must
    carry no health details: name the step, not the reason."""
    return notify_each(((user_id, case, text, key) for user_id in set(users)), now=now, kind=kind)


def notify_each(
    messages: Iterable[tuple[int, Case, str, str]],
    *,
    now: dt.datetime,
    kind: str = Notification.Kind.CASE,
) -> int:
    """`notify` for many cases at once, as (user id, case, text, key): one insert and
    one e-mail per person whatever the number of messages (the daily deadline scan)."""
    from fravaer.actions.scan_writes import queue_notification_emails

    rows = [
        Notification(
            user_id=user_id,
            kind=kind,
            pupil_id=case.pupil_id,
            text=text[:300],
            link=reverse("cases:case", args=[case.uuid]),
            key=f"{key}:{user_id}"[:100] if key else "",
            created_at=now,
        )
        for user_id, case, text, key in messages
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    per_user: dict[int, int] = {}
    for row in rows:
        per_user[row.user_id] = per_user.get(row.user_id, 0) + 1
    if per_user:
        queue_notification_emails(per_user)
    return len(rows)


def school_staff(school_id: int, roles: list[str]) -> list[int]:
    return list(
        StaffRole.objects.filter(school_id=school_id, role__in=roles).values_list(
            "user_id", flat=True
        )
    )
