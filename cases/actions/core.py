"""The case's own life: opening, levels, owner, coordinator, leaders informed, the
safe-environment duty, notes, flags, closing and reopening.

Every action is one transaction with one `now`, appends a `CaseEvent` for every change
of state and returns what it changed. Changes that a person makes from a form carry the
`version` the person saw; a conditional `UPDATE … WHERE version = seen` catches a second
person's change in between (`CaseChanged`), so nothing is overwritten silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.actions.deadlines import set_deadline
from cases.actions.grants import end_referral_access
from cases.actions.meetings import cancel_meeting
from cases.actions.notifications import notify, school_staff
from cases.actions.timeline import add_event
from cases.actions.versioning import bump
from cases.errors import CaseChanged, CaseRuleError
from cases.models import (
    REOPEN_DAYS,
    Case,
    CaseEvent,
    CaseFlag,
    CaseNote,
    Deadline,
    Level,
    Meeting,
    Referral,
    closed_because,
    closed_because_msgids,
)
from cases.queries import missing_for
from cases.transitions import (
    CLOSE_REASONS,
    LEVEL_DEADLINES,
    LEVEL_OWN_DEADLINES,
    TRANSITIONS,
    UP,
)
from fravaer.models import Enrollment, Flag, Pupil, School, StaffRole, User
from fravaer.models.flags import JSONWithKeys

# --- what the level changes and opening share ------------------------------------------


def _default_owner(pupil: Pupil, school: School, day: dt.date) -> User | None:
    from fravaer.models import Enrollment, TeachingAssignment

    # The pupil's own active enrollment, as a subquery: an exclude() across the
    # group's enrollments would drop the class as soon as any classmate had left it.
    groups = (
        Enrollment.objects.active_on(day)
        .filter(pupil=pupil, group__school=school)
        .values("group_id")
    )
    assignment = (
        TeachingAssignment.objects.active_on(day)
        .filter(kind=TeachingAssignment.Kind.CONTACT, group_id__in=groups)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return assignment.user if assignment else None


# --- opening ----------------------------------------------------------------------------


def open_case(
    pupil: Pupil,
    *,
    school: School,
    concern: str,
    by: User,
    flag: Flag | None = None,
    owner: User | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Open a case at nivå 0. The contact teacher owns it unless someone else is named.
    A pupil has at most one open case per school (the database says so too, under
    concurrency); another school's case is neither a hindrance nor mentioned."""
    now = now or timezone.now()
    concern = concern.strip()
    if not concern:
        raise CaseRuleError(_("Beskriv bekymringen med noen ord."), code="case_concern_required")
    if Case.objects.filter(pupil=pupil, school=school, status=Case.Status.OPEN).exists():
        raise CaseRuleError(
            _("Eleven har allerede en åpen sak. Gå til den i stedet."), code="case_already_open"
        )
    owner = owner or _default_owner(pupil, school, timezone.localdate(now)) or by
    try:
        with transaction.atomic():
            # A case opens from a flag that still asks for attention: one acknowledged
            # or cleared in the meantime (on another tab, by someone else) says that it
            # has been followed up. The row lock holds it active until the case is in.
            if flag is not None and not _lock_active_flag(flag):
                raise CaseRuleError(
                    _(
                        "Varselet er ikke lenger aktivt (det er kvittert ut eller avklart), "
                        "så det opprettes ingen sak fra det. Er du fortsatt bekymret, kan du "
                        "opprette en sak fra elevsiden."
                    ),
                    code="case_flag_not_active",
                )
            case = Case.objects.create(
                pupil=pupil,
                school=school,
                owner=owner,
                concern=concern,
                opened_by=by,
                opened_at=now,
            )
            add_event(case, CaseEvent.Kind.OPENED, by=by, now=now, level_to=Level.NIVA_0)
            add_event(
                case, CaseEvent.Kind.OWNER_ASSIGNED, by=by, now=now, text=str(owner), user=owner.pk
            )
            if flag is not None:
                attach_flags(case, [flag], now=now)
    except IntegrityError as exc:
        # Two people opened a case for the same pupil at once: the constraint
        # `case_one_open_per_pupil_school` let one through.
        raise CaseRuleError(
            _("Eleven har allerede en åpen sak. Gå til den i stedet."), code="case_already_open"
        ) from exc
    return case


def _lock_active_flag(flag: Flag) -> bool:
    return Flag.objects.select_for_update().filter(pk=flag.pk, status=Flag.Status.ACTIVE).exists()


def recently_closed_case(pupil: Pupil, now: dt.datetime) -> Case | None:
    """A case closed less than 90 days ago, to reopen instead of starting over."""
    return (
        Case.objects.filter(
            pupil=pupil,
            status=Case.Status.CLOSED,
            closed_at__gte=now - dt.timedelta(days=REOPEN_DAYS),
        )
        .order_by("-closed_at")
        .first()
    )


def attach_flags(case: Case, flags: Iterable[Flag], *, now: dt.datetime) -> int:
    rows = [CaseFlag(case=case, flag=f, attached_at=now) for f in flags]
    if not rows:
        return 0
    existing = set(
        CaseFlag.objects.filter(case=case, flag__in=[r.flag for r in rows]).values_list(
            "flag_id", flat=True
        )
    )
    rows = [r for r in rows if r.flag.pk not in existing]
    CaseFlag.objects.bulk_create(rows, ignore_conflicts=True)
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            kind=CaseEvent.Kind.FLAG_ATTACHED,
            at=now,
            text=r.flag.definition.name,
            data={"flag": r.flag.pk},
        )
        for r in rows
    )
    return len(rows)


def attach_new_flags(flags: QuerySet[Flag], *, now: dt.datetime) -> int:
    """The `flags_raised` event's handler (`fravaer.events`): flags raised for
    a pupil with an open case attach to it instead of waiting for a new case. Three
    statements whatever the number of flags."""
    from fravaer.thresholds import RULES

    # The pupil's open case at the flag's school: another school's case is not theirs.
    rows = list(
        flags.filter(
            pupil__cases__status=Case.Status.OPEN, pupil__cases__school_id=F("school_id")
        ).values_list("pk", "rule", "pupil__cases__pk")
    )
    if not rows:
        return 0
    CaseFlag.objects.bulk_create(
        [
            CaseFlag(case_id=case_id, flag_id=flag_id, attached_at=now)
            for flag_id, _, case_id in rows
        ],
        ignore_conflicts=True,
    )
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=case_id,
                kind=CaseEvent.Kind.FLAG_ATTACHED,
                at=now,
                text=str(RULES[rule].name) if rule in RULES else rule,
                data={"flag": flag_id},
            )
            for flag_id, rule, case_id in rows
        ]
    )
    return len(rows)


# --- levels -----------------------------------------------------------------------------


def change_level(
    case: Case,
    *,
    to: str,
    by: User,
    reason: str,
    version: int,
    coordinator: User | None = None,
    leaders_informed: bool = False,
    summary_due: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Move the case one step on the staircase, if the step exists and what the level
    requires is in place (seeds 000 p. 11–14 and 004)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    frm = case.level
    if not case.is_open:
        raise CaseRuleError(_("Saken er avsluttet. Gjenåpne den først."), code="case_closed")
    direction = TRANSITIONS.get((frm, to))
    if direction is None:
        raise CaseRuleError(
            _("Saken kan ikke flyttes fra %(frm)s til %(to)s.")
            % {"frm": Level(frm).label, "to": Level(to).label if to in Level.values else to},
            code="level_move_not_allowed",
        )
    reason = reason.strip()
    if not reason:
        raise CaseRuleError(
            _("Skriv kort hvorfor saken flyttes til et annet nivå."), code="level_reason_required"
        )
    missing = missing_for(
        case,
        to,
        direction,
        today=today,
        coordinator=coordinator,
        leaders_informed=leaders_informed,
        summary_due=summary_due,
    )
    if missing:
        raise CaseRuleError(missing[0][1], code=missing[0][0])

    fields: dict = {"level": to}
    with transaction.atomic():
        if to == Level.NIVA_1 and direction == UP:
            fields["concern_defined_at"] = now
            fields["leaders_informed_at"] = now
        if to == Level.NIVA_2A and direction == UP:
            if coordinator is not None and coordinator.pk != case.coordinator_id:
                fields["coordinator"] = coordinator
            if leaders_informed and case.leaders_informed_at is None:
                fields["leaders_informed_at"] = now
        bump(case, version=version, **fields)
        add_event(
            case,
            CaseEvent.Kind.LEVEL_CHANGED,
            by=by,
            now=now,
            text=reason,
            level_from=frm,
            level_to=to,
        )
        if "coordinator" in fields:
            add_event(
                case,
                CaseEvent.Kind.COORDINATOR_ASSIGNED,
                by=by,
                now=now,
                text=str(coordinator),
                user=coordinator.pk,
            )
        # Deadlines that belonged to the level left behind no longer run.
        left = LEVEL_OWN_DEADLINES.get(frm, ())
        if left:
            Deadline.objects.pending().filter(case=case, kind__in=left).update(cancelled_at=now)
        if to == Level.NIVA_1 and direction == UP:
            set_deadline(case, Deadline.Kind.LEVEL1_MEETING, now=now, by=by)
            _inform_leaders_of_level1(case, by=by, now=now)
        elif to == Level.NIVA_2A:
            if leaders_informed:
                add_event(case, CaseEvent.Kind.LEADERS_INFORMED, by=by, now=now)
            set_deadline(case, Deadline.Kind.EVALUATION_2A, now=now, by=by)
        elif to == Level.NIVA_2B:
            set_deadline(case, Deadline.Kind.MAPPING_SUMMARY_2B, now=now, due=summary_due, by=by)
    return case


def _inform_leaders_of_level1(case: Case, *, by: User, now: dt.datetime) -> None:
    """ "Skolens ledelse skal da orienteres" (seed 000): moving to nivå 1 tells the
    school's leaders."""
    leaders = school_staff(case.school_id, [str(StaffRole.Role.SCHOOL_LEADER)])
    notify(
        leaders,
        case=case,
        text=gettext_noop("En sak er flyttet til nivå 1 – iverksette tiltak."),
        key=f"case:{case.pk}:level1:{now.timestamp():.0f}",
        now=now,
    )
    add_event(case, CaseEvent.Kind.LEADERS_INFORMED, by=by, now=now, users=sorted(leaders))


# --- owner, coordinator, leaders, duty, notes -----------------------------------------


def assign_owner(
    case: Case, *, owner: User, by: User, version: int, now: dt.datetime | None = None
) -> Case:
    """The school-environment team decides who owns the case: a team member or the
    pupil's contact teacher."""
    from cases.access import owner_candidates

    now = now or timezone.now()
    if not case.is_open:
        raise CaseRuleError(_("Saken er avsluttet. Gjenåpne den først."), code="case_closed")
    if not owner_candidates(case).filter(pk=owner.pk).exists():
        raise CaseRuleError(
            _("Saksansvarlig må være i skolemiljøteamet eller elevens kontaktlærer."),
            code="owner_not_eligible",
        )
    if owner.pk == case.owner_id:
        return case
    with transaction.atomic():
        bump(case, version=version, owner=owner)
        add_event(
            case, CaseEvent.Kind.OWNER_ASSIGNED, by=by, now=now, text=str(owner), user=owner.pk
        )
        if owner.pk != by.pk:
            notify(
                [owner.pk],
                case=case,
                text=gettext_noop("Du er satt som saksansvarlig for en sak."),
                key=f"case:{case.pk}:owner:{now.timestamp():.0f}",
                now=now,
            )
    return case


def record_environment_duty(
    case: Case,
    *,
    involved: bool,
    reference: str,
    by: User,
    version: int,
    now: dt.datetime | None = None,
) -> Case:
    """§ 12-4/12-5: the safe-school-environment duty is involved and an aktivitetsplan
    is needed; `reference` points to it."""
    now = now or timezone.now()
    reference = reference.strip()
    if involved and not reference:
        raise CaseRuleError(
            _("Oppgi en referanse til aktivitetsplanen (for eksempel saksnummer)."),
            code="activity_plan_ref_required",
        )
    with transaction.atomic():
        bump(case, version=version, environment_duty=involved, activity_plan_ref=reference)
        add_event(
            case, CaseEvent.Kind.ENVIRONMENT_DUTY, by=by, now=now, text=reference, involved=involved
        )
    return case


def add_note(
    case: Case, *, text: str, by: User, basis: str, now: dt.datetime | None = None
) -> CaseNote:
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise CaseRuleError(_("Notatet er tomt."), code="note_empty")
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, text=text, author=by, basis=basis, at=now)
        add_event(case, CaseEvent.Kind.NOTE_ADDED, by=by, now=now, note=note.pk)
    return note


# --- closing and reopening -------------------------------------------------------------


def meetings_to_cancel(case: Case) -> list[Meeting]:
    """The case's planned meetings, which closing the case cancels. Reads the
    prefetched `meetings` when the case page has them."""
    return sorted(
        (m for m in case.meetings.all() if m.is_scheduled),
        key=lambda m: (m.starts_at, m.pk),
    )


def close_case(
    case: Case,
    *,
    reason: str,
    text: str = "",
    by: User | None,
    version: int,
    now: dt.datetime | None = None,
) -> Case:
    """Close from any level, for a reason that fits the level (`CLOSE_REASONS`).
    Deadlines stop; referrals end and their access goes; planned meetings are cancelled
    (their participants are told); the flags attached to the case that are still active
    are acknowledged by the closer, with the reason, so they leave the start page.

    `by` None: the product closes the case itself (`close_case_of_moved_pupil`); the
    flags are then left as they are (nobody acknowledged them, and the school the
    pupil left no longer sees them)."""
    now = now or timezone.now()
    if not case.is_open:
        raise CaseRuleError(_("Saken er allerede avsluttet."), code="case_closed")
    if reason not in Case.CloseReason.values:
        raise CaseRuleError(_("Velg hvorfor saken avsluttes."), code="close_reason_required")
    if version != case.version:
        # Before the level's reasons: the level may be what changed.
        raise CaseChanged()
    if reason not in CLOSE_REASONS.get(case.level, ()):
        raise CaseRuleError(
            _("«%(reason)s» passer ikke for en sak på %(level)s. Velg en annen grunn.")
            % {"reason": Case.CloseReason(reason).label, "level": Level(case.level).label},
            code="close_reason_not_for_level",
        )
    text = text.strip()
    if reason == Case.CloseReason.OTHER and not text:
        raise CaseRuleError(_("Skriv kort hvorfor saken avsluttes."), code="close_text_required")
    because = str(closed_because(reason))
    kept = closed_because_msgids(reason)
    with transaction.atomic():
        # Before the case is closed: cancelling needs an open case. A change by someone
        # else (the case's version below, or a meeting's) rolls all of it back.
        for meeting in Meeting.objects.filter(case=case, status=Meeting.Status.SCHEDULED):
            meeting.case = case
            cancel_meeting(meeting, reason=because, by=by, version=meeting.version, now=now)
        flags = (
            list(
                Flag.objects.filter(case_links__case=case, status=Flag.Status.ACTIVE).values_list(
                    "pk", flat=True
                )
            )
            if by is not None
            else []
        )
        # What `fravaer.actions.flags.acknowledge_flag` sets, for all of them at once and
        # with this action's `now`: who, when and why are kept on each flag.
        Flag.objects.filter(pk__in=flags, status=Flag.Status.ACTIVE).update(
            status=Flag.Status.ACKNOWLEDGED,
            acknowledged_by=by,
            acknowledged_at=now,
            acknowledgement=because[:300],
            details=JSONWithKeys(
                F("details"),
                acknowledged_as=JSONObject(
                    kind=Value("case_closed"),
                    reason=Value(reason),
                    text=Value(kept["text"]),
                    values=JSONObject(reason=Value(kept["values"]["reason"])),
                ),
            ),
        )
        bump(
            case,
            version=version,
            status=Case.Status.CLOSED,
            closed_at=now,
            closed_by=by,
            close_reason=reason,
            close_text=text,
        )
        Deadline.objects.pending().filter(case=case).update(cancelled_at=now)
        for referral in Referral.objects.filter(case=case, ended_at__isnull=True):
            end_referral_access(referral, by=by, now=now, reason=_("Saken er avsluttet."))
        add_event(
            case,
            CaseEvent.Kind.CLOSED,
            by=by,
            now=now,
            text=text or Case.CloseReason(reason).label,
            reason=reason,
            level_from=case.level,
            **({"acknowledged_flags": flags} if flags else {}),
        )
    return case


def _still_at_school(case: Case, day: dt.date) -> bool:
    return (
        Enrollment.objects.not_ended_by(day)
        .filter(pupil_id=case.pupil_id, group__school_id=case.school_id)
        .exists()
    )


def reopen_case(
    case: Case, *, by: User, reason: str, version: int, now: dt.datetime | None = None
) -> Case:
    """A case closed less than 90 days ago is reopened at the level it closed on,
    instead of starting over."""
    now = now or timezone.now()
    if case.is_open:
        raise CaseRuleError(_("Saken er allerede åpen."), code="case_open")
    if not case.can_reopen(now):
        raise CaseRuleError(
            _("Saken ble avsluttet for mer enn 90 dager siden. Opprett en ny sak."),
            code="reopen_too_late",
        )
    if not _still_at_school(case, timezone.localdate(now)):
        # A case belongs to its school: one the pupil has left stays closed.
        raise CaseRuleError(
            _("Eleven går ikke lenger ved skolen, så saken kan ikke gjenåpnes."),
            code="reopen_pupil_left",
        )
    reason = reason.strip()
    if not reason:
        raise CaseRuleError(_("Skriv kort hvorfor saken gjenåpnes."), code="reopen_reason_required")
    try:
        with transaction.atomic():
            bump(
                case,
                version=version,
                status=Case.Status.OPEN,
                closed_at=None,
                closed_by=None,
                close_reason="",
                close_text="",
            )
            add_event(
                case, CaseEvent.Kind.REOPENED, by=by, now=now, text=reason, level_to=case.level
            )
            # Closing cancelled the level's deadline; a reopened case runs it again
            # from today, so it cannot stall unnoticed.
            kind = LEVEL_DEADLINES.get(case.level)
            if kind:
                set_deadline(case, kind, now=now, by=by)
    except IntegrityError as exc:
        raise CaseRuleError(
            _("Eleven har en annen åpen sak. Gå til den i stedet."), code="case_already_open"
        ) from exc
    return case
