"""Deadlines in templates: days left and the kind's name. Pure filters: the start
page's boards and cases are panels (`cases.panels`)."""

from __future__ import annotations

import datetime as dt

from django import template

from cases.models import Deadline

register = template.Library()


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
