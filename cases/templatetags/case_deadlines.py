"""Deadlines in templates: days left, the kind's name, and the start page's link to
the case boards with the number of cases past a deadline."""

from __future__ import annotations

import datetime as dt

from django import template
from django.db.models import Count, Q

from cases.access import LEADER_ROLES, TEAM_ROLES, board_schools
from cases.actions.deadlines import overdue_exists
from cases.models import Case, Deadline
from cases.queries import followed_cases

register = template.Library()

BOARD_ROLES = {*LEADER_ROLES, *TEAM_ROLES}


@register.filter
def days_until(due: dt.date | None, today: dt.date) -> int | None:
    """Calendar days from `today` to `due` (negative once it has passed)."""
    if due is None or today is None:
        return None
    return (due - today).days


@register.filter
def days_since(due: dt.date | None, today: dt.date) -> int | None:
    """Calendar days since `due` passed."""
    left = days_until(due, today)
    return None if left is None else -left


@register.filter
def pending_deadlines(deadlines) -> list[Deadline]:
    """From a case's (prefetched) deadlines: the pending ones, soonest first."""
    return sorted((d for d in deadlines if d.is_pending), key=lambda d: (d.due, d.pk))


@register.filter
def finished_deadlines(deadlines) -> list[Deadline]:
    """The met and cancelled ones, latest first."""
    done = [d for d in deadlines if not d.is_pending]
    return sorted(done, key=lambda d: (d.due, d.pk), reverse=True)


@register.filter
def deadline_kind(value: str) -> str:
    return Deadline.Kind(value).label if value in Deadline.Kind.values else value


@register.inclusion_tag("cases/board/_home_boards.html", takes_context=True)
def case_boards(context) -> dict:
    """The team's and leaders' boards with open and overdue counts: two queries, and
    none for anyone else than school staff."""
    user, today = context["user"], context["today"]
    if not set(context.get("roles") or ()) & BOARD_ROLES:
        return {"boards": []}
    schools = list(board_schools(user).order_by("name"))
    if not schools:
        return {"boards": []}
    counts = {
        row["school_id"]: row
        for row in Case.objects.open()
        .filter(school__in=schools)
        .values("school_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(overdue_exists(today))))
    }
    boards = [
        {
            "school": s,
            "open": counts.get(s.pk, {}).get("n", 0),
            "overdue": counts.get(s.pk, {}).get("late", 0),
        }
        for s in schools
    ]
    return {"boards": boards}


@register.inclusion_tag("cases/includes/_home_my_cases.html", takes_context=True)
def my_cases(context) -> dict:
    """The cases the user follows up (`queries.followed_cases`), on the start page."""
    user, today = context["user"], context["today"]
    return {"cases": followed_cases(user, today), "today": today, "user": user}
