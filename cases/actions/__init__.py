"""Every write that changes a case's state. Import from the submodules:
`cases.actions.events` (the refusal errors, the event row, the version check, inbox
messages, revoking grants, the access log), `cases.actions.core` (opening, levels,
owner, closing),
`cases.actions.meetings` (conversations, meetings, mappings, tasks),
`cases.actions.consent` (consent, participants, PPT referral),
`cases.actions.deadlines` (starting and meeting deadlines, their settings, reminders),
`cases.actions.departures` (a pupil who left the case's school, an owner or coordinator
without a role there)."""

from cases.actions.core import attach_new_flags
from cases.actions.departures import follow_people_changes

__all__ = ["attach_new_flags", "follow_people_changes"]
