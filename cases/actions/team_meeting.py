"""The school-environment team's meeting: starting it, the decisions taken in it, and
ending it, which writes the minutes on each case discussed.

Opening a case and assigning an owner change the case at once, through the case's own
actions (`open_case`, `assign_owner`, with their events); the meeting keeps a
`TeamMeetingItem` for each decision. The team's next step and its notes are the
meeting's own until it ends: then each case discussed gets one note on its timeline,
"Drøftet i teammøte 07.12.2026: …" with every decision about it (`add_note`), once,
guarded by the conditional update that ends the meeting.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import access
from cases.actions.core import add_note, assign_owner, attach_flags, open_case
from cases.errors import CaseRuleError
from cases.models import Case, CaseNote, TeamMeeting, TeamMeetingItem
from cases.team_meeting import flags_since_for, minutes_text
from fravaer.models import Flag, Pupil, School, User

NEXT_STEP_MAX_DAYS = 365


def _running(meeting: TeamMeeting) -> None:
    """Inside the decision's transaction: the row lock holds the meeting open until the
    decision is in, so one taken while someone ends the meeting is either in its
    minutes or refused, never lost."""
    if not (
        TeamMeeting.objects.select_for_update()
        .filter(pk=meeting.pk, ended_at__isnull=True)
        .exists()
    ):
        raise CaseRuleError(
            _("Teammøtet er avsluttet. Beslutninger kan ikke lenger legges til."),
            code="team_meeting_ended",
        )


def _item(meeting, case, kind, *, by, now, text="", due=None) -> TeamMeetingItem:
    return TeamMeetingItem.objects.create(
        meeting=meeting, case=case, kind=kind, text=text, due=due, by=by, at=now
    )


def start_team_meeting(
    school: School,
    *,
    held_on: dt.date,
    participants: list[User],
    by: User,
    now: dt.datetime | None = None,
) -> TeamMeeting:
    """Start the meeting: its date and who is present. One meeting runs at a time per
    school (`teammeeting_one_running_per_school`)."""
    now = now or timezone.now()
    if held_on > timezone.localdate(now):
        raise CaseRuleError(
            _("Møtedatoen kan ikke være fram i tid."), code="team_meeting_in_future"
        )
    if not participants:
        raise CaseRuleError(
            _("Kryss av for hvem som er til stede."), code="team_meeting_no_participants"
        )
    try:
        with transaction.atomic():
            meeting = TeamMeeting.objects.create(
                school=school,
                held_on=held_on,
                flags_since=flags_since_for(school, now),
                started_by=by,
                started_at=now,
            )
            meeting.participants.set(participants)
    except IntegrityError as exc:
        raise CaseRuleError(
            _("Et teammøte pågår allerede ved skolen. Fortsett det, eller avslutt det først."),
            code="team_meeting_running",
        ) from exc
    return meeting


def open_case_in_meeting(
    meeting: TeamMeeting,
    pupil: Pupil,
    *,
    flags: list[Flag],
    concern: str,
    owner: User | None,
    by: User,
    now: dt.datetime | None = None,
) -> Case:
    """Open a case from the pupil's new flags (the first opens it, the others are
    attached), and record the decision."""
    now = now or timezone.now()
    with transaction.atomic():
        _running(meeting)
        case = open_case(
            pupil,
            school=meeting.school,
            concern=concern,
            by=by,
            flag=flags[0] if flags else None,
            owner=owner,
            now=now,
        )
        attach_flags(case, flags[1:], now=now)
        _item(meeting, case, TeamMeetingItem.Kind.CASE_OPENED, by=by, now=now, text=case.concern)
    return case


def assign_owner_in_meeting(
    meeting: TeamMeeting,
    case: Case,
    *,
    owner: User,
    by: User,
    version: int,
    now: dt.datetime | None = None,
) -> TeamMeetingItem:
    """The team decides who owns the case (keeping the owner is a decision too)."""
    now = now or timezone.now()
    with transaction.atomic():
        _running(meeting)
        assign_owner(case, owner=owner, by=by, version=version, now=now)
        return _item(
            meeting, case, TeamMeetingItem.Kind.OWNER_ASSIGNED, by=by, now=now, text=str(owner)
        )


def set_next_step(
    meeting: TeamMeeting,
    case: Case,
    *,
    text: str,
    due: dt.date,
    by: User,
    now: dt.datetime | None = None,
) -> TeamMeetingItem:
    """The team's next step on the case and the date it is to be done by: the team's
    own date, shown on the case, not one of the staircase's deadlines."""
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise CaseRuleError(_("Skriv hva som er neste steg."), code="next_step_required")
    today = timezone.localdate(now)
    if due < today:
        raise CaseRuleError(
            _("Datoen for neste steg kan ikke være tilbake i tid."), code="next_step_in_past"
        )
    if due > today + dt.timedelta(days=NEXT_STEP_MAX_DAYS):
        raise CaseRuleError(
            _("Datoen for neste steg må være innen ett år."), code="next_step_too_late"
        )
    if not case.is_open:
        raise CaseRuleError(_("Saken er avsluttet. Gjenåpne den først."), code="case_closed")
    with transaction.atomic():
        _running(meeting)
        return _item(
            meeting, case, TeamMeetingItem.Kind.NEXT_STEP, by=by, now=now, text=text, due=due
        )


def add_meeting_note(
    meeting: TeamMeeting, case: Case, *, text: str, by: User, now: dt.datetime | None = None
) -> TeamMeetingItem:
    """A note on the case from the meeting; it goes into the minutes."""
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise CaseRuleError(_("Notatet er tomt."), code="note_empty")
    with transaction.atomic():
        _running(meeting)
        return _item(meeting, case, TeamMeetingItem.Kind.NOTE, by=by, now=now, text=text)


def end_team_meeting(
    meeting: TeamMeeting, *, by: User, now: dt.datetime | None = None
) -> list[CaseNote]:
    """End the meeting and write its minutes: one note on each case discussed, with
    every decision about it. Ending twice (a second tab, a double click) is refused,
    so the minutes are written once."""
    now = now or timezone.now()
    with transaction.atomic():
        ended = TeamMeeting.objects.filter(pk=meeting.pk, ended_at__isnull=True).update(
            ended_at=now, ended_by=by
        )
        if not ended:
            raise CaseRuleError(_("Teammøtet er allerede avsluttet."), code="team_meeting_ended")
        meeting.ended_at, meeting.ended_by = now, by
        items: dict[int, list[TeamMeetingItem]] = defaultdict(list)
        for item in meeting.items.select_related("case").order_by("at", "pk"):
            items[item.case_id].append(item)
        # The note's basis: why the one ending the meeting sees each case.
        bases = {
            c.pk: access.case_basis(c, by)
            for c in access.visible_cases(by, timezone.localdate(now)).filter(pk__in=list(items))
        }
        notes = []
        for case_id, case_items in items.items():
            notes.append(
                add_note(
                    case_items[0].case,
                    text=minutes_text(meeting, case_items),
                    by=by,
                    basis=bases.get(case_id, ""),
                    now=now,
                )
            )
    return notes
