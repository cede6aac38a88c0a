"""The case pages' questions about who may and what is allowed, for templates that
cannot call with arguments. Each filter asks the one place that answers: the grant
(`cases.access.CaseAccess`), a model, or `cases.transitions`; none decides itself."""

from __future__ import annotations

import datetime as dt

from django import template

from cases import transitions
from cases.access import CaseAccess
from cases.models import Consent, MappingTask, Meeting

register = template.Library()


@register.filter
def may_complete(grant: CaseAccess, task: MappingTask) -> bool:
    """`{% if grant|may_complete:task %}`: `CaseAccess.may_complete_task`."""
    return grant.may_complete_task(task)


@register.filter
def allows_mapping_tasks(level: str) -> bool:
    """`{% if case.level|allows_mapping_tasks %}`: `transitions.allows_mapping_tasks`."""
    return transitions.allows_mapping_tasks(level)


@register.filter
def allows_participants(level: str) -> bool:
    """`{% if case.level|allows_participants %}`: `transitions.allows_participants`."""
    return transitions.allows_participants(level)


@register.filter
def awaits_minutes(meeting: Meeting, day: dt.date) -> bool:
    """`{% if meeting|awaits_minutes:today %}`: `Meeting.awaits_minutes`."""
    return meeting.awaits_minutes(day)


@register.filter
def has_started(meeting: Meeting, now: dt.datetime) -> bool:
    """`{% if meeting|has_started:now %}`: `Meeting.has_started`."""
    return meeting.has_started(now)


@register.filter
def has_expired(consent: Consent, day: dt.date) -> bool:
    """`{% if consent|has_expired:today %}`: `Consent.has_expired`."""
    return consent.has_expired(day)
