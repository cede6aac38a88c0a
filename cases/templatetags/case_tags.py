"""Pure lookups for the cases app's panel templates (`cases.panels`): no queries and
no access checks here."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def case_of(cases_by_pupil: dict, pupil):
    """`{% with open_case=open_cases|case_of:pupil %}`: the pupil's case in a dict by
    pupil id, or None."""
    return cases_by_pupil.get(pupil.pk)
