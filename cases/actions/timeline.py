"""The case's timeline: the append-only `CaseEvent` row every case action writes, in its
own transaction, for every change of state. The case page's timeline is read from these
rows (`cases.queries`)."""

from __future__ import annotations

import datetime as dt

from cases.models import Case, CaseEvent
from fravaer.models import User


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
