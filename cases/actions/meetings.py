"""Conversations, meetings, mappings and mapping tasks (seeds 000 p. 11–16 and 004).

- Nivå 0: the wondering conversation (undring) with the pupil and/or the guardians,
  with the open questions of seed 000 p. 15–16 (`cases.questions`).
- Nivå 1 and on: meetings with pupil, guardians and staff. A held meeting records the
  pupil's own view ("Husk alltid elevens stemme", opplæringslova § 10-1); a held
  nivå 1 meeting meets the one-week deadline. The evaluation deadlines are the plan's
  (`plans`): agreeing a plan starts them, recording an evaluation meets them.
- The cause mapping over school, home, leisure and the pupil before the nivå 1
  meeting; PPT's pedagogical analysis; 2B's extended mapping.
- Nivå 2A/2B: mapping tasks shared out to participants with due dates.

Every action is one transaction with one `now`, appends a `CaseEvent` and refuses
with a `CaseRuleError` whose `code` names the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import access, transitions
from cases.actions.deadlines import meet_deadline, set_deadline
from cases.actions.notifications import notify
from cases.actions.timeline import add_event
from cases.errors import CaseChanged, CaseRuleError
from cases.models import (
    Case,
    CaseEvent,
    Conversation,
    Deadline,
    Level,
    Mapping,
    MappingTask,
    Meeting,
    Participant,
)
from cases.questions import CONVERSATION_QUESTIONS, THEME_QUESTIONS
from fravaer.models import Guardian, User

MIN_DURATION = 15
MAX_DURATION = 8 * 60


# A meeting or conversation more than a year away from today is a typing error.
MEETING_WINDOW_DAYS = 366


def meeting_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a conversation, meeting or task deadline may be on: a year either side
    of today (`MEETING_WINDOW_DAYS`); anything further is a typing error."""
    span = dt.timedelta(days=MEETING_WINDOW_DAYS)
    return today - span, today + span


def outside_window(earliest: dt.date, latest: dt.date) -> str:
    """The refusal of a meeting date outside `meeting_window`: a year either way, so
    a date long past is not told "within a year from today"."""
    return _(
        "Møtetidspunktet må være fra %(first)s til %(last)s (ett år før eller etter i dag)."
    ) % {
        "first": f"{earliest:%d.%m.%Y}",
        "last": f"{latest:%d.%m.%Y}",
    }


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise CaseRuleError(_("Saken er avsluttet. Gjenåpne den først."), code="case_closed")


def _clean_texts(values: dict, known: Iterable[str]) -> dict[str, str]:
    """Only known keys with something written, stripped."""
    known = set(known)
    return {k: str(v).strip() for k, v in values.items() if k in known and str(v or "").strip()}


# --- who may be invited or given a task -------------------------------------------------


def staff_candidates(case: Case, day: dt.date | None = None) -> QuerySet[User]:
    """Staff who may join a meeting or get a mapping task: the active users among those
    who can open the case (`cases.access.case_viewers`), so that the invitation's link
    and the task's "done" button work for them. The pupil's subject teachers, or a
    nurse without a consent in force, cannot open it and are not offered."""
    return (
        access.case_viewers(case, day)
        .filter(is_active=True)
        .order_by("first_name", "last_name", "username")
    )


# --- nivå 0: the wondering conversation -------------------------------------------------


def log_conversation(
    case: Case,
    *,
    held_on: dt.date,
    with_whom: str,
    medium: str,
    answers: dict[str, str],
    by: User,
    consulted_colleague: bool = False,
    consulted_attendance_contact: bool = False,
    summary: str = "",
    now: dt.datetime | None = None,
) -> Conversation:
    """Record a conversation with the pupil and/or the guardians. Every question is
    optional, but something must have been written: an answer or a summary."""
    now = now or timezone.now()
    _require_open(case)
    if held_on < meeting_window(timezone.localdate(now))[0]:
        raise CaseRuleError(
            _("Samtalen må være holdt i løpet av det siste året."),
            code="conversation_too_old",
        )
    if held_on > timezone.localdate(now):
        raise CaseRuleError(
            _("Samtalen kan ikke registreres før den er holdt: datoen er fram i tid."),
            code="conversation_in_future",
        )
    if with_whom not in Conversation.With.values:
        raise CaseRuleError(_("Velg hvem samtalen var med."), code="conversation_with_required")
    if medium not in Conversation.Medium.values:
        raise CaseRuleError(
            _("Velg hvordan samtalen ble holdt."), code="conversation_medium_required"
        )
    answers = _clean_texts(answers, CONVERSATION_QUESTIONS)
    summary = summary.strip()
    if not answers and not summary:
        raise CaseRuleError(
            _("Skriv svar på minst ett spørsmål, eller en kort oppsummering."),
            code="conversation_empty",
        )
    with transaction.atomic():
        conversation = Conversation.objects.create(
            case=case,
            held_on=held_on,
            with_whom=with_whom,
            medium=medium,
            answers=answers,
            consulted_colleague=consulted_colleague,
            consulted_attendance_contact=consulted_attendance_contact,
            summary=summary,
            recorded_by=by,
            recorded_at=now,
        )
        add_event(
            case,
            CaseEvent.Kind.CONVERSATION_LOGGED,
            by=by,
            now=now,
            text=f"{conversation.get_with_whom_display()} ({conversation.get_medium_display()}), "
            f"{held_on:%d.%m.%Y}",
            conversation=conversation.pk,
        )
    return conversation


# --- meetings ---------------------------------------------------------------------------


def schedule_meeting(
    case: Case,
    *,
    kind: str,
    starts_at: dt.datetime,
    place: str,
    by: User,
    duration_minutes: int = 60,
    pupil_attends: bool = True,
    guardians: Iterable[Guardian] = (),
    staff: Iterable[User] = (),
    others: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Put a meeting on the case. Guardians must be the pupil's own; staff must be
    people who may take part (`staff_candidates`). Invited staff get a message."""
    now = now or timezone.now()
    _require_open(case)
    if kind not in Meeting.Kind.values:
        raise CaseRuleError(_("Velg hva slags møte det er."), code="meeting_kind_required")
    place = place.strip()
    if not place:
        raise CaseRuleError(_("Skriv hvor møtet skal være."), code="meeting_place_required")
    earliest, latest = meeting_window(timezone.localdate(now))
    if not earliest <= timezone.localdate(starts_at) <= latest:
        raise CaseRuleError(outside_window(earliest, latest), code="meeting_date_out_of_range")
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        raise CaseRuleError(
            _("Varigheten må være mellom %(min)d og %(max)d minutter.")
            % {"min": MIN_DURATION, "max": MAX_DURATION},
            code="meeting_duration_invalid",
        )
    guardians, staff = list(guardians), list(staff)
    own = set(case.pupil.guardians.values_list("pk", flat=True))
    if any(g.pk not in own for g in guardians):
        raise CaseRuleError(
            _("Bare elevens egne foresatte kan føres opp på møtet."),
            code="meeting_guardian_not_of_pupil",
        )
    if staff:
        allowed = set(staff_candidates(case).values_list("pk", flat=True))
        if any(u.pk not in allowed for u in staff):
            raise CaseRuleError(
                _("En av de ansatte kan ikke delta i denne saken."),
                code="meeting_staff_not_eligible",
            )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            case=case,
            kind=kind,
            level=case.level,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            place=place[:200],
            pupil_attends=pupil_attends,
            others=others.strip()[:300],
            scheduled_by=by,
            scheduled_at=now,
        )
        meeting.guardians.set(guardians)
        meeting.staff.set(staff)
        add_event(
            case,
            CaseEvent.Kind.MEETING_SCHEDULED,
            by=by,
            now=now,
            text=_meeting_label(meeting),
            meeting=meeting.pk,
        )
        invited = [u.pk for u in staff if u.pk != by.pk]
        if invited:
            notify(
                invited,
                case=case,
                text=gettext_noop("Du er invitert til et møte i en sak."),
                key=f"meeting:{meeting.pk}:invited",
                now=now,
            )
    return meeting


def _meeting_label(meeting: Meeting) -> str:
    when = timezone.localtime(meeting.starts_at)
    return f"{meeting.get_kind_display()}, {when:%d.%m.%Y %H:%M}"


def _update_meeting(meeting: Meeting, *, version: int, **fields) -> Meeting:
    """Write `fields` if nobody changed the meeting since `version` and it is still
    scheduled; `CaseChanged` otherwise."""
    updated = Meeting.objects.filter(
        pk=meeting.pk, version=version, status=Meeting.Status.SCHEDULED
    ).update(version=F("version") + 1, **fields)
    if not updated:
        raise CaseChanged()
    for name, value in fields.items():
        setattr(meeting, name, value)
    meeting.version = version + 1
    return meeting


def _require_scheduled(meeting: Meeting) -> None:
    if not meeting.is_scheduled:
        raise CaseRuleError(
            _("Møtet er allerede %(status)s.") % {"status": meeting.get_status_display().lower()},
            code="meeting_not_scheduled",
        )


def mark_meeting_held(
    meeting: Meeting,
    *,
    pupil_view: str,
    by: User,
    version: int,
    minutes: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Record that the meeting was held, with the pupil's own view and the minutes. A
    held nivå 1 meeting meets the case's one-week deadline."""
    now = now or timezone.now()
    case = meeting.case
    _require_open(case)
    _require_scheduled(meeting)
    if not meeting.has_started(now):
        raise CaseRuleError(
            _("Møtet kan ikke merkes som holdt før det har begynt."), code="meeting_not_started"
        )
    pupil_view = pupil_view.strip()
    if not pupil_view:
        raise CaseRuleError(
            _("Skriv elevens egen stemme: hva eleven selv mener. Husk alltid elevens stemme."),
            code="meeting_pupil_view_required",
        )
    with transaction.atomic():
        _update_meeting(
            meeting,
            version=version,
            status=Meeting.Status.HELD,
            pupil_view=pupil_view,
            minutes=minutes.strip(),
            held_recorded_at=now,
        )
        add_event(
            case,
            CaseEvent.Kind.MEETING_HELD,
            by=by,
            now=now,
            text=_meeting_label(meeting),
            meeting=meeting.pk,
        )
        # The evaluation deadlines (nivå 1's "Evaluering av tiltaksplanen", 2A's and
        # 2B's evaluations) are not met here: agreeing a plan starts them and recording
        # an evaluation of it meets them (`plans`), so a held meeting alone never marks
        # an evaluation done with nothing evaluated.
        if meeting.kind == Meeting.Kind.LEVEL1:
            meet_deadline(case, Deadline.Kind.LEVEL1_MEETING, now=now, by=by)
        elif (
            meeting.kind == Meeting.Kind.FOLLOW_UP
            and case.level == Level.NIVA_2B
            and not Deadline.objects.pending()
            .filter(case=case, kind=Deadline.Kind.EVALUATION_2B)
            .exists()
        ):
            # Seed 004, nivå 2B: the follow-up meeting agrees measures, responsibilities
            # and period, and they are evaluated within three weeks (seed 000 p. 14:
            # "evalueringsmøte om tre uker"). A later follow-up meeting does not push a
            # running evaluation back.
            set_deadline(case, Deadline.Kind.EVALUATION_2B, now=now, by=by)
    return meeting


def cancel_meeting(
    meeting: Meeting,
    *,
    reason: str,
    by: User | None,
    version: int,
    now: dt.datetime | None = None,
) -> Meeting:
    """Cancel a planned meeting with the reason; the invited staff are told. Closing the
    case cancels its planned meetings through this too (`by` None: the product closed
    it, for a pupil who moved school)."""
    now = now or timezone.now()
    case = meeting.case
    _require_open(case)
    _require_scheduled(meeting)
    reason = reason.strip()
    if not reason:
        raise CaseRuleError(
            _("Skriv kort hvorfor møtet avlyses."), code="meeting_cancel_reason_required"
        )
    with transaction.atomic():
        _update_meeting(
            meeting, version=version, status=Meeting.Status.CANCELLED, cancel_reason=reason[:300]
        )
        add_event(
            case,
            CaseEvent.Kind.MEETING_CANCELLED,
            by=by,
            now=now,
            text=f"{_meeting_label(meeting)}: {reason[:300]}",
            meeting=meeting.pk,
        )
        # Those who were invited are told, as they were of the invitation.
        invited = [
            pk for pk in meeting.staff.values_list("pk", flat=True) if by is None or pk != by.pk
        ]
        if invited:
            notify(
                invited,
                case=case,
                text=gettext_noop("Et møte du var invitert til i en sak, er avlyst."),
                key=f"meeting:{meeting.pk}:cancelled",
                now=now,
            )
    return meeting


# --- mappings ---------------------------------------------------------------------------

MAPPING_TEXT_FIELDS = (
    "school",
    "home",
    "leisure",
    "pupil_area",
    "maintaining_factors",
    "worth_going_for",
    "text",
)


def record_mapping(
    case: Case,
    *,
    kind: str,
    by: User,
    basis: str,
    themes: dict[str, str] | None = None,
    now: dt.datetime | None = None,
    **texts: str,
) -> Mapping:
    """Record a mapping: the cause mapping over the four areas (with maintaining
    factors, what makes school worth going to and the seven themes as prompts), PPT's
    pedagogical analysis or 2B's extended mapping (free text). `basis` is how the
    author sees the case (a PPT advisor's mapping says so)."""
    now = now or timezone.now()
    _require_open(case)
    if kind not in Mapping.Kind.values:
        raise CaseRuleError(_("Velg hva slags kartlegging det er."), code="mapping_kind_required")
    unknown = set(texts) - set(MAPPING_TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown mapping fields: {sorted(unknown)}")
    values = {name: (texts.get(name) or "").strip() for name in MAPPING_TEXT_FIELDS}
    themes = _clean_texts(themes or {}, THEME_QUESTIONS)
    if not any(values.values()) and not themes:
        raise CaseRuleError(
            _("Kartleggingen er tom. Skriv noe i minst ett felt."), code="mapping_empty"
        )
    with transaction.atomic():
        mapping = Mapping.objects.create(
            case=case,
            kind=kind,
            themes=themes,
            recorded_by=by,
            recorded_at=now,
            basis=basis,
            **values,
        )
        add_event(
            case,
            CaseEvent.Kind.MAPPING_RECORDED,
            by=by,
            now=now,
            text=str(mapping.get_kind_display()),
            mapping=mapping.pk,
        )
        if kind == Mapping.Kind.EXTENDED and case.level == Level.NIVA_2B:
            # 2B's extended mapping, summarised, is what its deadline asks for.
            meet_deadline(case, Deadline.Kind.MAPPING_SUMMARY_2B, now=now, by=by)
    return mapping


# --- mapping tasks (nivå 2A/2B) ---------------------------------------------------------


def assign_task(
    case: Case,
    *,
    description: str,
    due: dt.date,
    by: User,
    participant: Participant | None = None,
    assignee_user: User | None = None,
    now: dt.datetime | None = None,
) -> MappingTask:
    """Share out a mapping task to one of the case's participants or a staff member,
    with a due date (seed 004, nivå 2A: "kartleggingsoppgaver fordeles")."""
    now = now or timezone.now()
    _require_open(case)
    if not transitions.allows_mapping_tasks(case.level):
        raise CaseRuleError(
            _("Kartleggingsoppgaver fordeles på nivå 2A og 2B."), code="task_needs_level2"
        )
    description = description.strip()
    if not description:
        raise CaseRuleError(_("Beskriv oppgaven."), code="task_description_required")
    if (participant is None) == (assignee_user is None):
        raise CaseRuleError(
            _("Velg én deltaker eller ansatt som har ansvar for oppgaven."),
            code="task_assignee_required",
        )
    if participant is not None and (
        participant.case_id != case.pk or participant.removed_at is not None
    ):
        raise CaseRuleError(
            _("Deltakeren er ikke med i saken."), code="task_participant_not_in_case"
        )
    user_id = participant.user_id if participant is not None else assignee_user.pk
    if user_id is not None and not staff_candidates(case).filter(pk=user_id).exists():
        raise CaseRuleError(
            _("Den ansatte kan ikke få oppgaver i denne saken."), code="task_assignee_not_eligible"
        )
    if due < timezone.localdate(now):
        raise CaseRuleError(_("Fristen kan ikke være tilbake i tid."), code="task_due_in_past")
    if due > meeting_window(timezone.localdate(now))[1]:
        # A mapping task is work for the coming weeks; a year out is a typing error.
        raise CaseRuleError(_("Fristen må være innen ett år fra i dag."), code="task_due_too_far")
    with transaction.atomic():
        task = MappingTask.objects.create(
            case=case,
            participant=participant,
            assignee_user=assignee_user,
            description=description[:300],
            due=due,
            created_by=by,
            created_at=now,
        )
        who = participant or assignee_user
        add_event(
            case,
            CaseEvent.Kind.TASK_ASSIGNED,
            by=by,
            now=now,
            text=f"{description[:300]} – {who}, {due:%d.%m.%Y}",
            task=task.pk,
        )
        if assignee_user is not None and assignee_user.pk != by.pk:
            notify(
                [assignee_user.pk],
                case=case,
                text=gettext_noop("Du har fått en kartleggingsoppgave i en sak."),
                key=f"task:{task.pk}:assigned",
                now=now,
            )
    return task


def complete_task(task: MappingTask, *, by: User, now: dt.datetime | None = None) -> MappingTask:
    now = now or timezone.now()
    _require_open(task.case)
    with transaction.atomic():
        updated = MappingTask.objects.filter(pk=task.pk, done_at__isnull=True).update(done_at=now)
        if not updated:
            raise CaseRuleError(_("Oppgaven er allerede utført."), code="task_already_done")
        task.done_at = now
        add_event(
            task.case,
            CaseEvent.Kind.TASK_DONE,
            by=by,
            now=now,
            text=task.description,
            task=task.pk,
        )
    return task
