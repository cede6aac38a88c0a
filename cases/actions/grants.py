"""Revoking the per-case django-guardian grants (read through `cases.access`, which
alone asks django-guardian), and ending a referral with the access it gave. Grants and
revocations happen only inside actions, so each one leaves an event on the case."""

from __future__ import annotations

import datetime as dt

from cases.access import group_labels
from cases.actions.timeline import add_event
from cases.models import Case, CaseEvent, Referral
from fravaer.models import User


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
