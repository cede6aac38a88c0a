"""Events: how an upper app (`cases`, later `plans`) reacts to a change in `fravaer`
without `fravaer` importing it. This is the only mechanism for it (no Django signals:
no domain logic in signals); pages use `fravaer.panels`.

An action that made the change calls `emit(name, **payload)` inside its transaction;
`emit` calls each handler named for the event in `settings.EVENT_HANDLERS`, in the
order listed, as `handler(**payload)`, in that same transaction: a handler that raises
rolls the whole action back, so the change and what follows from it commit together
or not at all. Handlers are actions of the upper app (they may write); they return
nothing that `emit` uses. Payloads carry ids, querysets and times, never names.

The events and their payloads:

`flags_raised` (`fravaer.actions.scan_writes`, after a scan wrote new or reactivated
flags): `flags: QuerySet[Flag]` (those raised by this scan), `now: datetime`.

`people_changed` (`fravaer.actions.people`, the roster import, the admin: an
enrollment, a teaching assignment or a staff role ended or changed):
`pupil_ids: list[int]` (pupils whose enrollments changed), `user_ids: list[int]`
(staff whose roles or assignments changed), `now: datetime`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

# The events `emit` accepts: name → the payload's keywords. A new event is added here,
# documented above, and given its handlers in `settings.EVENT_HANDLERS`.
EVENTS: dict[str, frozenset[str]] = {
    "flags_raised": frozenset({"flags", "now"}),
    "people_changed": frozenset({"pupil_ids", "user_ids", "now"}),
}


def emit(name: str, /, **payload) -> None:
    """Call every handler of `settings.EVENT_HANDLERS[name]` with `payload`, in order,
    inside the caller's transaction (opened here if there is none, without a savepoint
    if there is one)."""
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}")
    if set(payload) != EVENTS[name]:
        raise TypeError(f"event {name!r} takes {sorted(EVENTS[name])}, got {sorted(payload)}")
    handlers = [import_string(path) for path in settings.EVENT_HANDLERS.get(name, ())]
    with transaction.atomic(savepoint=False):
        for handler in handlers:
            handler(**payload)
