"""What every case action shares: the refusal errors, the append-only event, the version
check, messages to people's inboxes, revoking per-case grants and the access log.

`cases.actions.core` (the case's own life), `meetings`, `consent` and `deadlines` build
on these; this module imports none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access import group_labels
from cases.models import Case, CaseAccessLog, CaseEvent, Referral
from fravaer.models import Notification, StaffRole, User


class CaseRuleError(ValidationError):
    """A rule of the staircase was broken; `code` names it, the message says what to do."""


class CaseChanged(CaseRuleError):
    """Someone else changed the case after the user loaded it."""

    def __init__(self):
        super().__init__(
            _(
                "Saken er endret av noen andre mens du arbeidet med den. Det du skrev er "
                "tatt vare på nedenfor: se over endringene i saken og lagre på nytt."
            ),
            code="case_changed",
        )


# --- events, versions, messages ---------------------------------------------------------


def add_event(
    case: Case, kind: str, *, by: User | None, now: dt.datetime, text: str = "", **data
) -> CaseEvent:
    level_from = data.pop("level_from", "")
    level_to = data.pop("level_to", "")
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=now,
        by=by,
        text=text,
        level_from=level_from,
        level_to=level_to,
        data=data,
    )


def bump(case: Case, *, version: int | None, **fields) -> Case:
    """Write `fields` to the case if nobody changed it since `version` (None: the
    system's own change, no check). Raises `CaseChanged` otherwise."""
    qs = Case.objects.filter(pk=case.pk)
    if version is not None:
        qs = qs.filter(version=version)
    updated = qs.update(version=F("version") + 1, **fields)
    if not updated:
        raise CaseChanged()
    for name, value in fields.items():
        setattr(case, name, value)
    case.version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
    return case


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


# --- access grants (django-guardian behind cases.access) -------------------------------


def revoke_case_access(case: Case, *, by: User, now: dt.datetime, basis: str) -> int:
    """Remove every per-case grant at once (to users, and to groups such as the
    municipality's PPT): the next request answers 404."""
    from cases.models import CaseGroupObjectPermission, CaseUserObjectPermission

    grants = CaseUserObjectPermission.objects.filter(content_object=case)
    users = list(grants.values_list("user_id", flat=True))
    grants.delete()
    group_grants = CaseGroupObjectPermission.objects.filter(content_object=case)
    groups = list(group_grants.values_list("group__name", flat=True))
    group_grants.delete()
    if users or groups:
        labels = group_labels(groups)
        add_event(
            case,
            CaseEvent.Kind.ACCESS_REVOKED,
            by=by,
            now=now,
            # People's names for the groups, as "Tilgang gitt" says it ("PPT i
            # Fjordvik kommune"), not the internal group name.
            text=", ".join(labels.get(g, g) for g in groups),
            users=users,
            groups=groups,
            basis=basis,
        )
    return len(users) + len(groups)


def end_referral_access(referral: Referral, *, by: User, now: dt.datetime, reason: str) -> Referral:
    """End a referral and revoke the access it gave, inside the caller's transaction."""
    Referral.objects.filter(pk=referral.pk, ended_at__isnull=True).update(
        ended_at=now, ended_by=by, end_reason=reason[:300]
    )
    referral.ended_at, referral.ended_by, referral.end_reason = now, by, reason[:300]
    add_event(
        referral.case,
        CaseEvent.Kind.REFERRAL_ENDED,
        by=by,
        now=now,
        text=reason,
        referral=referral.pk,
    )
    revoke_case_access(referral.case, by=by, now=now, basis="ppt_referral")
    return referral


# --- the access log ---------------------------------------------------------------------


def log_case_read(case: Case, *, user: User, basis: str, what: str) -> CaseAccessLog:
    """Append who read which case, when, and on what basis. Never updated or deleted."""
    return CaseAccessLog.objects.create(
        case=case, user=user, at=timezone.now(), basis=basis, what=what[:50]
    )
