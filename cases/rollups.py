"""The cases app's figures for the monthly rollup (`fravaer.rollups`): cases per level
at the month's end, cases opened, closed and escalated, and deadlines met or missed.
Reads only; each a fixed number of grouped queries for any number of schools."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, Deadline, Level
from fravaer.rollups import Contributor, Figure, Metric, aware_bounds, counted

LEVEL_RANK = {str(level.value): n for n, level in enumerate(Level)}
MET, MISSED = "met", "missed"


def escalations() -> Q:
    """A level change to a higher level (0 → 1 → 2A → 2B)."""
    ups = [
        Q(level_from=a, level_to=b)
        for a, ra in LEVEL_RANK.items()
        for b, rb in LEVEL_RANK.items()
        if rb > ra
    ]
    q = Q(pk__in=[])
    for up in ups:
        q |= up
    return q


def level_at(moment) -> Coalesce:
    """For annotating cases: the case's level at `moment` (a datetime or an
    `OuterRef`), from its timeline (the level the latest opening, reopening or level change
    before it set), else its level now."""
    latest = (
        CaseEvent.objects.filter(
            case=OuterRef("pk"),
            kind__in=[
                CaseEvent.Kind.OPENED,
                CaseEvent.Kind.LEVEL_CHANGED,
                CaseEvent.Kind.REOPENED,
            ],
            at__lte=moment,
        )
        .exclude(level_to="")
        .order_by("-at", "-pk")
        .values("level_to")[:1]
    )
    return Coalesce(Subquery(latest), F("level"))


def open_at(school_ids, moment: dt.datetime) -> QuerySet[Case]:
    """Cases of these schools open at `moment`: opened before it, not closed by then."""
    return Case.objects.filter(school_id__in=school_ids, opened_at__lt=moment).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=moment)
    )


def _by_key(cases: QuerySet[Case], key, metric: str) -> list[Figure]:
    rows = (
        cases.annotate(k=key)
        .values_list("school_id", "k")
        .annotate(n=Count("pk"), pupils=Count("pupil_id", distinct=True))
        .order_by()
    )
    totals = dict(
        cases.values_list("school_id").annotate(p=Count("pupil_id", distinct=True)).order_by()
    )
    return counted(rows, metric, totals=totals)


def escalated_events(school_ids, start: dt.datetime, end: dt.datetime) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(
        escalations(),
        kind=CaseEvent.Kind.LEVEL_CHANGED,
        case__school_id__in=school_ids,
        at__gte=start,
        at__lt=end,
    )


def deadline_outcomes(school_ids, first: dt.date, last: dt.date, today: dt.date):
    """Deadlines due in [first, last] that are settled by `today`: met on or before
    the day they were due, or missed (met late, or still not met once the day has
    passed). Cancelled deadlines and those not yet due are left out. A queryset with
    `settled_in_time`."""
    met_in_time = Q(met_at__isnull=False) & Q(met_day__lte=F("due"))
    return (
        Deadline.objects.filter(
            case__school_id__in=school_ids,
            due__gte=first,
            due__lte=last,
            cancelled_at__isnull=True,
        )
        .annotate(met_day=TruncDate("met_at"))
        .filter(Q(met_at__isnull=False) | Q(due__lt=today))
        .annotate(settled_in_time=ExpressionWrapper(met_in_time, output_field=BooleanField()))
    )


def _cases(school_ids, first, last, *, today) -> list[Figure]:
    start, end = aware_bounds(first, last)
    _s, now_end = aware_bounds(first, min(last, today))
    figures = _by_key(open_at(school_ids, now_end), level_at(now_end), "cases_open")
    opened = Case.objects.filter(school_id__in=school_ids, opened_at__gte=start, opened_at__lt=end)
    figures += _by_key(opened, level_at(OuterRef("opened_at")), "cases_opened")
    closed = Case.objects.filter(school_id__in=school_ids, closed_at__gte=start, closed_at__lt=end)
    figures += _by_key(closed, F("level"), "cases_closed")
    events = escalated_events(school_ids, start, end)
    rows = (
        events.values_list("case__school_id", "level_to")
        .annotate(n=Count("pk"), pupils=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    totals = dict(
        events.values_list("case__school_id")
        .annotate(p=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    figures += counted(rows, "cases_escalated", totals=totals)
    return figures


def _deadlines(school_ids, first, last, *, today) -> list[Figure]:
    settled = deadline_outcomes(school_ids, first, last, today)
    rows = (
        settled.values_list("case__school_id", "settled_in_time")
        .annotate(n=Count("pk"), pupils=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    totals = dict(
        settled.values_list("case__school_id")
        .annotate(p=Count("case__pupil_id", distinct=True))
        .order_by()
    )
    return counted(
        ((s, MET if in_time else MISSED, n, p) for s, in_time, n, p in rows),
        "deadlines",
        totals=totals,
    )


LEVELS = tuple((str(level.value), level.label) for level in Level)

cases = Contributor(
    (
        Metric("cases_open", _("Åpne saker ved månedsslutt, etter nivå"), LEVELS),
        Metric("cases_opened", _("Saker opprettet, etter nivå"), LEVELS),
        Metric("cases_closed", _("Saker avsluttet, etter nivå"), LEVELS),
        Metric("cases_escalated", _("Saker flyttet opp, etter nytt nivå"), LEVELS),
    ),
    _cases,
)

deadlines = Contributor(
    (
        Metric(
            "deadlines",
            _("Frister overholdt og oversittet"),
            ((MET, _("Overholdt")), (MISSED, _("Oversittet"))),
        ),
    ),
    _deadlines,
)
