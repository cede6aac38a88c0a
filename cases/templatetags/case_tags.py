"""The pupil's case on fravaer's pages (pupil page, start page) without fravaer
importing cases: the templates load these tags (imports point cases → fravaer)."""

from __future__ import annotations

from django import template

from cases import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def pupil_case(context, pupil, grant):
    """The pupil's open case, a recently closed one, and whether the user may open a
    case (`queries.PupilCase`). At most three queries."""
    return queries.pupil_case(
        context["request"].user,
        pupil,
        school_id=grant.group.school_id,
        is_contact_teacher=grant.is_contact_teacher,
    )


@register.simple_tag(takes_context=True)
def open_cases_for(context, entries):
    """The user's visible open cases among the pupils of `entries` (objects with a
    `pupil`), by pupil id. One query."""
    return queries.open_cases_by_pupil(context["request"].user, {e.pupil.pk for e in entries})


@register.filter
def case_of(cases_by_pupil: dict, pupil):
    return cases_by_pupil.get(pupil.pk)
