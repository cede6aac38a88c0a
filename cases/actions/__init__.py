"""Every write that changes a case's state. Import from the submodules:
`cases.actions.core` (opening, levels, owner, closing, grants, the access log),
`cases.actions.meetings` (conversations, meetings, mappings, tasks),
`cases.actions.consent` (consent, participants, PPT referral),
`cases.actions.deadlines` (deadline settings and reminders)."""

from cases.actions.core import attach_new_flags

__all__ = ["attach_new_flags"]
