"""The append-only access log of case reads (`CaseAccessLog`, "innsynslogg"): who read
which case, when, and on what basis."""

from __future__ import annotations

from django.utils import timezone

from cases.models import Case, CaseAccessLog
from fravaer.models import User


def log_case_read(case: Case, *, user: User, basis: str, what: str) -> CaseAccessLog:
    """Append who read which case, when, and on what basis. Never updated or deleted."""
    return CaseAccessLog.objects.create(
        case=case, user=user, at=timezone.now(), basis=basis, what=what[:50]
    )


def log_case_reads(cases, *, user: User, basis_of, what: str) -> list[CaseAccessLog]:
    """`log_case_read` for every case a page lists (`basis_of(case)`: the reader's
    basis), in one query whatever their number."""
    now = timezone.now()
    return CaseAccessLog.objects.bulk_create(
        CaseAccessLog(case=case, user=user, at=now, basis=basis_of(case), what=what[:50])
        for case in cases
    )
