"""The case's version check: a change a person makes from a form carries the `version`
they saw, and a conditional `UPDATE … WHERE version = seen` refuses it if someone else
changed the case in between (`CaseChanged`), so nothing is overwritten silently."""

from __future__ import annotations

from django.db.models import F

from cases.errors import CaseChanged
from cases.models import Case


def bump(case: Case, *, version: int | None, **fields) -> Case:
    """Write `fields` to the case if nobody changed it since `version` (None: the
    system's own change, no check). Raises `CaseChanged` otherwise."""
    qs = Case.objects.filter(pk=case.pk)
    if version is not None:
        qs = qs.filter(version=version)
    updated = qs.update(version=F("version") + 1, **fields)
    if not updated:
        raise CaseChanged()
    for name, value in fields.items():
        setattr(case, name, value)
    case.version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
    return case
