"""Keeping the monthly rollup (`MonthlyRollup`): the nightly task and the backfill
command both call `recompute_rollups`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fravaer.models import MonthlyRollup, School
from fravaer.rollups import contributors, month_bounds


def recompute_rollups(months: Iterable[dt.date], *, school_ids: Iterable[int] | None = None) -> int:
    """Compute every contributor's figures for these months and schools (default:
    every school) and replace the rows the table had for them, one transaction per
    month: a second run, or a retry after a failure, leaves the same rows. A month
    not begun yet is skipped. Returns the rows written."""
    now = timezone.now()
    today = timezone.localdate(now)
    ids = (
        sorted(school_ids)
        if school_ids is not None
        else list(School.objects.order_by("pk").values_list("pk", flat=True))
    )
    written = 0
    for month in sorted({m.replace(day=1) for m in months}):
        if month > today:
            continue
        first, last = month_bounds(month)
        rows = [
            MonthlyRollup(
                school_id=f.school_id,
                month=first,
                grade=f.grade,
                metric=f.metric,
                key=f.key,
                value=f.value,
                base=f.base,
                pupils=f.pupils,
                computed_at=now,
            )
            for contributor in contributors()
            for f in contributor.compute(ids, first, last, today=today)
        ]
        with transaction.atomic():
            MonthlyRollup.objects.filter(school_id__in=ids, month=first).delete()
            MonthlyRollup.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written
