"""What a case does when people leave: a pupil whose enrollment at the case's school
ends, and an owner or coordinator who no longer holds a role there.

A case belongs to its school. When the pupil no longer has an enrollment there (today
or later), the school's open case is closed as "Eleven har flyttet", and its owner and
the school's leaders are told; nobody at the new school sees it (sharing it would need
the guardians' consent). An owner or coordinator without a current role at the school
no longer sees the case (`cases.access`); the case shows on the team's board as needing
a new owner, and the leaders are told once.

`follow_people_changes` is the `people_changed` event's handler (`fravaer.events`), called
inside the transaction that ended an enrollment or a role (the roster import, the
actions in `fravaer.actions.people`, the admin). Ends that come by date (an assignment's
last day passed, no import) are caught by the nightly task, which runs the same
function over every open case. Both are idempotent: a closed case is not closed again,
and the leaders are told once per person who left each case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.access import with_roles_held
from cases.actions.core import close_case
from cases.actions.notifications import notify, school_staff
from cases.actions.timeline import add_event
from cases.models import Case, CaseEvent
from fravaer.models import Enrollment, StaffRole

LEADER_ROLES = [str(StaffRole.Role.SCHOOL_LEADER)]


@dataclass
class Followed:
    closed: int = 0
    owners_left: int = 0
    coordinators_left: int = 0


def enrolled_at_case_school(day: dt.date) -> Exists:
    """For annotating cases: the pupil has an enrollment at the case's school that has
    not ended by `day` (today's, or one that begins later)."""
    return Exists(
        Enrollment.objects.not_ended_by(day).filter(
            pupil_id=OuterRef("pupil_id"),
            group__school_id=OuterRef("school_id"),
        )
    )


def follow_people_changes(
    *,
    pupil_ids: Iterable[int] | None = None,
    user_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> Followed:
    """Close the open cases of pupils who left the case's school, and tell the leaders
    of open cases whose owner or coordinator left it. `pupil_ids`/`user_ids`: the people
    an import or an action changed (None for both: every open case, the nightly run)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    everyone = pupil_ids is None and user_ids is None
    followed = Followed()
    with transaction.atomic():
        moved = Case.objects.open().filter(~enrolled_at_case_school(day))
        if not everyone:
            moved = moved.filter(pupil_id__in=list(pupil_ids or ()))
        # Locked, so that the version the closing checks is the one read here.
        for case in moved.select_for_update().order_by("pk"):
            close_case_of_moved_pupil(case, now=now)
            followed.closed += 1
        left = with_roles_held(Case.objects.open(), day).filter(
            Q(owner_here=False) | Q(coordinator_here=False)
        )
        if not everyone:
            ids = list(user_ids or ())
            left = left.filter(Q(owner_id__in=ids) | Q(coordinator_id__in=ids))
        # Locked too: the nightly run and an action at the same moment tell once.
        left = (
            left.select_related("owner", "coordinator")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        owners, coordinators = _tell_leaders_of_departures(list(left), now=now)
        followed.owners_left, followed.coordinators_left = owners, coordinators
    return followed


def close_case_of_moved_pupil(case: Case, *, now: dt.datetime) -> Case:
    """Close the case as "Eleven har flyttet" (by the product, not a person) and tell
    its owner and the school's leaders. The message names the step only: not where the
    pupil went."""
    case = close_case(case, reason=Case.CloseReason.MOVED, by=None, version=case.version, now=now)
    notify(
        [case.owner_id, *school_staff(case.school_id, LEADER_ROLES)],
        case=case,
        text=gettext_noop("En sak er avsluttet fordi eleven har flyttet fra skolen."),
        key=f"case:{case.pk}:moved",
        now=now,
    )
    return case


def _tell_leaders_of_departures(cases: list[Case], *, now: dt.datetime) -> tuple[int, int]:
    """An event on each case and a message to the school's leaders, once per person
    who left it since they were given it (the event names who left)."""
    if not cases:
        return 0, 0
    K = CaseEvent.Kind
    told: set[tuple[int, str, int]] = set()
    assigned: dict[tuple[int, str], dt.datetime] = {}
    events = CaseEvent.objects.filter(
        case__in=cases,
        kind__in=[K.OWNER_LEFT, K.COORDINATOR_LEFT, K.OWNER_ASSIGNED, K.COORDINATOR_ASSIGNED],
    ).order_by("at", "pk")
    for case_id, kind, at, data in events.values_list("case_id", "kind", "at", "data"):
        user = data.get("user") if isinstance(data, dict) else None
        if kind in (K.OWNER_ASSIGNED, K.COORDINATOR_ASSIGNED):
            assigned[(case_id, kind)] = at
            # A later assignment starts afresh: the same person leaving again is news.
            told = {t for t in told if not (t[0] == case_id and t[1] == _LEFT[kind])}
        elif user is not None:
            told.add((case_id, kind, user))
    leaders: dict[int, list[int]] = {}
    owners = coordinators = 0
    for case in cases:
        departures = []
        if not case.owner_here:
            departures.append((K.OWNER_LEFT, case.owner_id, case.owner))
        if not case.coordinator_here:
            departures.append((K.COORDINATOR_LEFT, case.coordinator_id, case.coordinator))
        for kind, user_id, user in departures:
            if (case.pk, kind, user_id) in told:
                continue
            add_event(case, kind, by=None, now=now, text=str(user), user=user_id)
            since = assigned.get((case.pk, _ASSIGNED[kind]))
            key = f"case:{case.pk}:{kind}:{user_id}:{since.timestamp() if since else 0:.0f}"
            if case.school_id not in leaders:
                leaders[case.school_id] = school_staff(case.school_id, LEADER_ROLES)
            notify(
                leaders[case.school_id],
                case=case,
                text=_LEFT_TEXTS[kind],
                key=key,
                now=now,
            )
            if kind == K.OWNER_LEFT:
                owners += 1
            else:
                coordinators += 1
    return owners, coordinators


_LEFT = {
    CaseEvent.Kind.OWNER_ASSIGNED: CaseEvent.Kind.OWNER_LEFT,
    CaseEvent.Kind.COORDINATOR_ASSIGNED: CaseEvent.Kind.COORDINATOR_LEFT,
}

_ASSIGNED = {left: assigned for assigned, left in _LEFT.items()}

_LEFT_TEXTS = {
    CaseEvent.Kind.OWNER_LEFT: gettext_noop(
        "En sak trenger ny saksansvarlig: den saksansvarlige har ikke lenger en rolle ved skolen."
    ),
    CaseEvent.Kind.COORDINATOR_LEFT: gettext_noop(
        "En sak trenger ny stafettholder: stafettholderen har ikke lenger en rolle ved skolen."
    ),
}
