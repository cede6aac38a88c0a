"""Ending an enrollment, a teaching assignment or a staff role, and telling the upper
apps about it in the same transaction.

What follows from a pupil leaving a school, or a person leaving a role, in the cases
app (a case closed as "Eleven har flyttet", a case needing a new owner) is done there:
this module emits the `people_changed` event (`fravaer.events`) with the people
concerned, as the scan emits `flags_raised`, so that imports point one way
(cases → fravaer). The roster import calls `people_changed` too. Ends that come by
date alone are the nightly task's (`cases.tasks.follow_people_changes_daily`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fravaer.events import emit
from fravaer.models import Enrollment, StaffRole, TeachingAssignment


def people_changed(
    *, pupil_ids: Iterable[int] = (), user_ids: Iterable[int] = (), now: dt.datetime
) -> None:
    """Emit `people_changed` (`fravaer.events`) with the pupils whose enrollments and
    the staff whose roles changed, inside the caller's transaction."""
    pupils, users = sorted(set(pupil_ids)), sorted(set(user_ids))
    if not pupils and not users:
        return
    emit("people_changed", pupil_ids=pupils, user_ids=users, now=now)


def end_enrollment(
    enrollment: Enrollment, *, last_day: dt.date, now: dt.datetime | None = None
) -> Enrollment:
    """The pupil leaves the class after `last_day` (moving class or school)."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment.end = max(last_day, enrollment.start)
        enrollment.save(update_fields=["end"])
        people_changed(pupil_ids=[enrollment.pupil_id], now=now)
    return enrollment


def end_teaching_assignment(
    assignment: TeachingAssignment, *, last_day: dt.date, now: dt.datetime | None = None
) -> TeachingAssignment:
    """The teacher's assignment to the class ends after `last_day`."""
    now = now or timezone.now()
    with transaction.atomic():
        assignment.valid_to = max(last_day, assignment.valid_from)
        assignment.save(update_fields=["valid_to"])
        people_changed(user_ids=[assignment.user_id], now=now)
    return assignment


def end_staff_role(role: StaffRole, *, now: dt.datetime | None = None) -> StaffRole:
    """The staff member no longer holds the role (a role has no dates: it goes)."""
    now = now or timezone.now()
    with transaction.atomic():
        user_id = role.user_id
        role.delete()
        people_changed(user_ids=[user_id], now=now)
    return role


def staff_changed(user_ids: Iterable[int], *, now: dt.datetime | None = None) -> None:
    """Roles or assignments were written otherwise (the admin's edit form): let the
    upper apps check what follows, in the caller's transaction."""
    people_changed(user_ids=user_ids, now=now or timezone.now())
