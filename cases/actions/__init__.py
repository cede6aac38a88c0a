"""Every write that changes a case's state. Import from the submodules:
`cases.actions.core` (opening, levels, owner, closing),
`cases.actions.meetings` (conversations, meetings, mappings, tasks),
`cases.actions.consent` (consent, participants, PPT referral),
`cases.actions.deadlines` (starting and meeting deadlines, their settings, reminders),
`cases.actions.departures` (a pupil who left the case's school, an owner or coordinator
without a role there).

What these share, each in a module of its own (none imports the modules above):
`cases.actions.timeline` (`add_event`, the event row), `cases.actions.versioning`
(`bump`, the version check), `cases.actions.notifications` (inbox messages),
`cases.actions.grants` (revoking per-case grants, ending a referral's access) and
`cases.actions.access_log` (`log_case_read`). The refusals they raise are in
`cases.errors`."""

from cases.actions.core import attach_new_flags
from cases.actions.departures import follow_people_changes

__all__ = ["attach_new_flags", "follow_people_changes"]
