"""Who may see and do what in a case. The cases app's part of the access policy; it
builds on `fravaer.access` (imports point one way: cases → fravaer) and is the only
place that reads django-guardian's per-case grants.

A case belongs to its school (`Case.school`), and is visible to:
- its owner and its coordinator (stafettholder), while they hold a current role at the
  case's school (`fravaer.access.holds_role_at`): a contact teacher whose assignment
  ended, or a team member moved to another school, no longer sees it on that basis
  (the team's board shows it as needing a new owner);
- the contact teacher of the pupil's current class at the case's school (a pupil who
  moves school is followed up by the new school in a case of its own);
- the school's leaders, school-environment team and attendance contact;
- staff added to the case as participants (e.g. the school nurse), while they are,
  the case is open and a consent for their service is in force (for PPT, a referral
  too);
- the municipality's PPT advisors, through a per-case grant to the municipality's
  PPT group that exists only while a referral to PPT with consent is active (granted
  and revoked inside `cases.actions.consent`; see `_ppt_granted`).

A grant on the case to one user by name gives nothing: nothing makes one, and one would
outlive the referral it should rest on. Anything else answers 404, exactly like a case
that does not exist.

The questions it answers (views and templates ask these, and re-derive none of them):
- which cases may the user read: `visible_cases` (smaller with the user's `roles=`;
  `followed_cases`: those they own, coordinate or teach), `case_access_or_404`, `referred_cases`
  (PPT's list, for PPT advisors: `may_see_ppt_cases`);
  who may read one case: `case_viewers`; on what basis: `case_basis`;
- on one case, through its grant (`CaseAccess`): who runs it (`can_manage`), who may
  assign its owner (`can_assign_owner`), read its access log (`can_view_access_log`)
  and see the pupil's other flags (`sees_other_flags`); who may log a conversation
  (`may_log_conversation`), set up a meeting (`may_schedule_meeting`), mark one held
  or cancel it (`may_change_meeting`), record a mapping (`may_record_mapping`), share
  out mapping tasks (`may_distribute_tasks`), mark a task done
  (`may_complete_task(task)`), record or withdraw consent (`may_record_consent`),
  refer to PPT or end the referral (`may_refer_to_ppt`), add or remove participants
  (`may_change_participants`); whether they write as PPT (`writes_for_ppt`);
- who may open a case on a pupil: `may_open_case`;
- whose case board the user sees: `board_schools`, `board_school_or_404`; who may own
  a case: `owner_candidates`; who is a PPT advisor: `is_ppt_advisor`.

What the case's state allows (open, its level, a meeting still planned) is not a
question of who: the model (`Case.is_open`, `Meeting.is_scheduled`) and
`cases.transitions` (`allows_mapping_tasks`, `allows_participants`) answer it, and the
actions refuse with their reason what it does not allow. Templates ask those through
`cases.templatetags.case_rules` where they need an argument.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import BooleanField, CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    Case,
    CaseGroupObjectPermission,
    Consent,
    MappingTask,
    Participant,
    Referral,
    Service,
)
from fravaer.access import holds_role_at
from fravaer.models import Enrollment, Municipality, StaffRole, TeachingAssignment, User

VIEW_CASE = "view_case"

LEADER_ROLES = [str(StaffRole.Role.SCHOOL_LEADER)]
TEAM_ROLES = [str(StaffRole.Role.ENVIRONMENT_TEAM)]
ATTENDANCE_ROLES = [str(StaffRole.Role.ATTENDANCE_CONTACT)]


class Basis:
    """Why a user may see a case; written to the access log with every read."""

    OWNER = "owner"
    CONTACT_TEACHER = "contact_teacher"
    LEADER = "leader"
    TEAM = "team"
    ATTENDANCE_CONTACT = "attendance_contact"
    COORDINATOR = "coordinator"
    PARTICIPANT = "participant"
    PPT_REFERRAL = "ppt_referral"

    # Bases whose holders run the case: change its level, owner, meetings, consent.
    MANAGING = frozenset({OWNER, CONTACT_TEACHER, LEADER, TEAM, COORDINATOR})


def _contact_enrollments(user: User, day: dt.date) -> QuerySet:
    """The case's pupil enrolled today in a class at the case's school that the user is
    contact teacher of."""
    groups = (
        TeachingAssignment.objects.active_on(day)
        .filter(user=user, kind=TeachingAssignment.Kind.CONTACT)
        .values("group_id")
    )
    return Enrollment.objects.active_on(day).filter(
        group_id__in=groups,
        pupil_id=OuterRef("pupil_id"),
        group__school_id=OuterRef("school_id"),
    )


# PPT's access on referral is a django-guardian grant on the case to the referring
# municipality's PPT group ("ppt-kommune-<id>"), not to each advisor by name. Who is in
# that group is not auth-group membership but the `ppt_advisor` StaffRole in that
# municipality, read at every request. So an advisor who joins PPT after the referral
# sees the referred cases at once, one who leaves loses them at once, and no grant
# needs syncing when roles change (roles come from the admin and imports, which know
# nothing of cases). The grant also counts only while a referral resting on a consent
# that is still in force is active: an expired consent closes the door even before
# anyone ends the referral.
PPT_GROUP_PREFIX = "ppt-kommune-"


def ppt_group_name(municipality_id: int) -> str:
    return f"{PPT_GROUP_PREFIX}{municipality_id}"


def ppt_group_municipality_id(group_name: str) -> int | None:
    """The municipality whose PPT group `group_name` is, or None for another group."""
    rest = group_name.removeprefix(PPT_GROUP_PREFIX)
    return int(rest) if rest != group_name and rest.isascii() and rest.isdigit() else None


def ppt_group_label(municipality_name: str) -> str:
    """The PPT group as people read it, in the active language."""
    return _("PPT i %(municipality)s") % {"municipality": municipality_name}


def group_labels(group_names) -> dict[str, str]:
    """People's names for the per-case grant groups among `group_names` ("PPT i
    Fjordvik kommune" for "ppt-kommune-1"). One query, none without PPT groups."""
    ids = {name: ppt_group_municipality_id(name) for name in group_names}
    wanted = {i for i in ids.values() if i is not None}
    if not wanted:
        return {}
    names = dict(Municipality.objects.filter(pk__in=wanted).values_list("pk", "name"))
    return {g: ppt_group_label(names[i]) for g, i in ids.items() if i in names}


def is_ppt_advisor(user: User, municipality_id: int) -> bool:
    """Whether the user is one of the municipality's PPT advisors (one query)."""
    return StaffRole.objects.filter(
        user=user, role=StaffRole.Role.PPT_ADVISOR, municipality_id=municipality_id
    ).exists()


def _ppt_group_names(user: User) -> QuerySet:
    return (
        StaffRole.objects.filter(user=user, role=StaffRole.Role.PPT_ADVISOR)
        .annotate(
            group_name=Concat(
                Value(PPT_GROUP_PREFIX), Cast("municipality_id", CharField(max_length=20))
            )
        )
        .values("group_name")
    )


def _referrals_in_force(day: dt.date) -> QuerySet:
    return Referral.objects.filter(
        Consent.in_force_q(day, prefix="consent__"), ended_at__isnull=True
    )


def _active_referrals(day: dt.date, case_ref: str = "pk") -> QuerySet:
    return _referrals_in_force(day).filter(case=OuterRef(case_ref))


def _ppt_granted(user: User, day: dt.date) -> Q:
    grant = CaseGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"),
        permission__codename=VIEW_CASE,
        group__name__in=_ppt_group_names(user),
    )
    return Q(Exists(grant)) & Q(Exists(_active_referrals(day)))


def _participations(day: dt.date) -> QuerySet:
    """A participant's access follows what it rests on, like PPT's grant: the case is
    open, a consent for the participant's service is in force (an expired consent
    closes the door even before anyone removes the participant), and for PPT a
    referral is active (ending it ends PPT's access)."""
    consent = Consent.objects.in_force(day).filter(
        case=OuterRef("case_id"), service=OuterRef("service")
    )
    referral = _active_referrals(day, case_ref="case_id")
    return Participant.objects.filter(
        Q(Exists(referral)) | ~Q(service=Service.PPT),
        Exists(consent),
        removed_at__isnull=True,
        case__status=Case.Status.OPEN,
    )


def _participating(user: User, day: dt.date) -> QuerySet:
    return _participations(day).filter(user=user, case=OuterRef("pk"))


# What each basis needs the user to hold somewhere (`fravaer.access.roles_of`'s names):
# without it the basis is false for every case, and `visible_cases(..., roles=)` leaves
# its subquery out of the SQL (a contact teacher's query has no leader, team,
# attendance or PPT parts to compile and run). Owner and coordinator need a role at
# the case's school (`holds_role_at`: a staff role or a teaching assignment);
# participation rests on the case's own rows and is always asked.
CONTACT_TEACHER_ROLE = f"{TeachingAssignment.Kind.CONTACT}_teacher"
_HOLDS_ROLE = frozenset(
    [str(r) for r in StaffRole.SCHOOL_ROLES]
    + [f"{kind}_teacher" for kind in TeachingAssignment.Kind.values]
)
_NEEDS = {
    "is_owner": _HOLDS_ROLE,
    "is_coordinator": _HOLDS_ROLE,
    "is_contact": frozenset({CONTACT_TEACHER_ROLE}),
    "is_leader": frozenset(LEADER_ROLES),
    "is_team": frozenset(TEAM_ROLES),
    "is_attendance": frozenset(ATTENDANCE_ROLES),
    "is_ppt_referred": frozenset({str(StaffRole.Role.PPT_ADVISOR)}),
}

# The bases of the cases a user follows up (the start page's "Mine saker", the week).
FOLLOWING = ("is_owner", "is_coordinator", "is_contact")

_BUILDERS = {
    "is_owner": lambda user, day: Q(owner=user) & holds_role_at(user, OuterRef("school_id"), day),
    "is_coordinator": lambda user, day: (
        Q(coordinator=user) & holds_role_at(user, OuterRef("school_id"), day)
    ),
    "is_contact": lambda user, day: Exists(_contact_enrollments(user, day)),
    "is_leader": lambda user, day: Q(
        school_id__in=StaffRole.objects.school_ids(user, LEADER_ROLES)
    ),
    "is_team": lambda user, day: Q(school_id__in=StaffRole.objects.school_ids(user, TEAM_ROLES)),
    "is_attendance": lambda user, day: Q(
        school_id__in=StaffRole.objects.school_ids(user, ATTENDANCE_ROLES)
    ),
    "is_participant": lambda user, day: Exists(_participating(user, day)),
    "is_ppt_referred": _ppt_granted,
}


def _annotations(user: User, day: dt.date, roles: set[str] | None = None, only=None) -> dict:
    """The bases as annotations (`only`: these, default all). With `roles` (the user's
    roles now, `fravaer.access.roles_of`), a basis whose role the user does not hold is
    a constant False instead of a subquery: the same answer, less SQL."""
    return {
        name: _BUILDERS[name](user, day)
        if roles is None or name not in _NEEDS or roles & _NEEDS[name]
        else Value(False, output_field=BooleanField())
        for name in only or _BUILDERS
    }


def _cases_on(annotations: dict) -> QuerySet[Case]:
    """The cases with any of the bases that may hold (the constant False ones left
    out of the filter), with what every list of cases shows."""
    asked = [name for name, a in annotations.items() if not isinstance(a, Value)]
    if not asked:  # never with `is_participant`, which is always asked
        return Case.objects.none()
    anyone = Q()
    for name in asked:
        anyone |= Q(**{name: True})
    return (
        Case.objects.annotate(**annotations)
        .filter(anyone)
        .select_related("pupil", "school__municipality", "owner", "coordinator")
    )


def visible_cases(
    user: User, day: dt.date | None = None, *, roles: set[str] | None = None
) -> QuerySet[Case]:
    """Every case the user may read, annotated with the flags `case_basis` reads.
    `roles`: the user's roles now (`fravaer.access.roles_of`), if the caller has them:
    the bases they rule out are left out of the query (the same cases)."""
    return _cases_on(_annotations(user, day or timezone.localdate(), roles))


def followed_cases(
    user: User, day: dt.date | None = None, *, roles: set[str] | None = None
) -> QuerySet[Case]:
    """The cases the user follows up: owner, coordinator or the pupil's contact
    teacher (`FOLLOWING`). Each of these is a basis of `visible_cases`, so these are
    those of its cases, with only these bases asked (a smaller query); `roles` as
    there."""
    return _cases_on(_annotations(user, day or timezone.localdate(), roles, only=FOLLOWING))


def with_roles_held(cases: QuerySet[Case], day: dt.date) -> QuerySet[Case]:
    """`owner_here` and `coordinator_here`: whether the case's owner and coordinator
    hold a current role at its school (no coordinator counts as held). The board and
    the nightly task read these; `visible_cases` asks the same `holds_role_at`."""
    return cases.annotate(
        owner_here=holds_role_at(OuterRef("owner_id"), OuterRef("school_id"), day),
        coordinator_here=Q(coordinator__isnull=True)
        | holds_role_at(OuterRef("coordinator_id"), OuterRef("school_id"), day),
    )


def case_viewers(case: Case, day: dt.date | None = None) -> QuerySet[User]:
    """Everyone who may read `case`: `visible_cases` seen from the case's side, so that
    invitations and tasks go only to people who can open what they link to. One query.
    Keep the two in step (tests/cases/test_case_viewers.py checks them against each
    other)."""
    day = day or timezone.localdate()
    contact = (
        TeachingAssignment.objects.active_on(day)
        .filter(
            kind=TeachingAssignment.Kind.CONTACT,
            group_id__in=Enrollment.objects.active_on(day)
            .filter(pupil_id=case.pupil_id, group__school_id=case.school_id)
            .values("group_id"),
        )
        .values("user_id")
    )
    school_staff = StaffRole.objects.filter(
        school_id=case.school_id, role__in=LEADER_ROLES + TEAM_ROLES + ATTENDANCE_ROLES
    ).values("user_id")
    participants = _participations(day).filter(case=case).values("user_id")
    group_names = CaseGroupObjectPermission.objects.filter(
        content_object=case, permission__codename=VIEW_CASE
    ).values("group__name")
    ppt = (
        StaffRole.objects.filter(role=StaffRole.Role.PPT_ADVISOR)
        .annotate(
            group_name=Concat(
                Value(PPT_GROUP_PREFIX), Cast("municipality_id", CharField(max_length=20))
            )
        )
        .filter(group_name__in=group_names)
        .values("user_id")
    )
    referral = _referrals_in_force(day).filter(case=case)
    runs_case = Q(pk=case.owner_id) | Q(pk=case.coordinator_id)
    return User.objects.filter(
        (runs_case & holds_role_at(OuterRef("pk"), case.school_id, day))
        | Q(pk__in=contact)
        | Q(pk__in=school_staff)
        | Q(pk__in=participants)
        | (Q(pk__in=ppt) & Q(Exists(referral)))
    )


def referred_cases(user: User, day: dt.date | None = None) -> QuerySet[Case]:
    """PPT's case list: the cases with an active referral to PPT that this advisor's
    municipality holds a grant for, and nothing else (a PPT advisor has no other
    basis). Annotated with `referred_at`, when the active referral was made."""
    day = day or timezone.localdate()
    referral = _active_referrals(day)
    return (
        Case.objects.filter(_ppt_granted(user, day))
        .annotate(referred_at=Subquery(referral.order_by("-made_at").values("made_at")[:1]))
        .select_related("pupil", "school", "owner")
    )


def may_see_ppt_cases(user: User) -> bool:
    """PPT's case list (`referred_cases`) is for PPT advisors, in any municipality;
    anyone else gets 404 for it. One query."""
    return StaffRole.objects.filter(user=user, role=StaffRole.Role.PPT_ADVISOR).exists()


def case_basis(case: Case, user: User) -> str:
    """The strongest basis on which `user` sees `case` (annotated by `visible_cases`)."""
    if case.is_owner:
        return Basis.OWNER
    if case.is_contact:
        return Basis.CONTACT_TEACHER
    if case.is_leader:
        return Basis.LEADER
    if case.is_team:
        return Basis.TEAM
    if case.is_coordinator:
        return Basis.COORDINATOR
    if case.is_attendance:
        return Basis.ATTENDANCE_CONTACT
    if case.is_participant:
        return Basis.PARTICIPANT
    return Basis.PPT_REFERRAL


@dataclass(frozen=True)
class CaseAccess:
    case: Case
    user: User
    basis: str
    is_leader: bool
    is_team: bool

    @property
    def can_manage(self) -> bool:
        """Change level, owner, coordinator, meetings, mappings, consent; close."""
        return self.basis in Basis.MANAGING

    @property
    def can_contribute(self) -> bool:
        """Add notes and mappings, join meetings: everyone who may see the case."""
        return True

    @property
    def can_assign_owner(self) -> bool:
        """The school-environment team decides who owns each case (leaders may too)."""
        return self.is_team or self.is_leader

    @property
    def can_view_access_log(self) -> bool:
        return self.is_leader

    @property
    def sees_other_flags(self) -> bool:
        """The pupil's active flags that are not the case's: the school's own people
        see them. PPT and the other services see the case, and the flags attached to
        it, not the rest of the pupil's absence."""
        return self.basis in Basis.MANAGING or self.basis == Basis.ATTENDANCE_CONTACT

    # Who may take each step on the case. The step's view asks and answers 404 when
    # the answer is no; the case page asks the same (`grant` in the context) before it
    # offers the step. Whether the case's state allows the step now (open, its level,
    # a meeting still planned) is the model's or `cases.transitions`' to say, and the
    # step's action refuses with its reason what the state does not allow.

    @property
    def may_log_conversation(self) -> bool:
        """Log a nivå 0 conversation: those who run the case."""
        return self.can_manage

    @property
    def may_schedule_meeting(self) -> bool:
        """Set up a meeting: those who run the case."""
        return self.can_manage

    @property
    def may_change_meeting(self) -> bool:
        """Mark a planned meeting held, or cancel it: those who run the case."""
        return self.can_manage

    @property
    def may_record_mapping(self) -> bool:
        """Record a mapping: everyone who may see the case (PPT its own analysis)."""
        return self.can_contribute

    def writes_for_ppt(self) -> bool:
        """The user writes on the case as PPT (their mapping is the pedagogical
        analysis): on the referral, or as one of the municipality's PPT advisors who
        joined the case as a participant. At most one query."""
        return self.basis == Basis.PPT_REFERRAL or is_ppt_advisor(
            self.user, self.case.school.municipality_id
        )

    @property
    def may_distribute_tasks(self) -> bool:
        """Share out mapping tasks: those who run the case."""
        return self.can_manage

    def may_complete_task(self, task: MappingTask) -> bool:
        """Mark a mapping task done: those who run the case, and the person the task
        was given to (by name, or as the participant's linked account)."""
        if self.can_manage:
            return True
        holders = {task.assignee_user_id, task.participant.user_id if task.participant else None}
        return self.user.pk in holders - {None}

    @property
    def may_record_consent(self) -> bool:
        """Record or withdraw a consent: those who run the case."""
        return self.can_manage

    @property
    def may_refer_to_ppt(self) -> bool:
        """Refer the case to PPT, or end the referral: those who run the case."""
        return self.can_manage

    @property
    def may_change_participants(self) -> bool:
        """Add or remove participants from other services: those who run the case."""
        return self.can_manage


def case_access_or_404(user: User, case_uuid: uuid.UUID | str) -> CaseAccess:
    """One query: the case, its pupil, school and owner, and the user's standing."""
    try:
        case_uuid = uuid.UUID(str(case_uuid))
    except ValueError as exc:
        raise Http404 from exc
    case = visible_cases(user).filter(uuid=case_uuid).first()
    if case is None:
        raise Http404
    return CaseAccess(
        case=case,
        user=user,
        basis=case_basis(case, user),
        is_leader=bool(case.is_leader),
        is_team=bool(case.is_team),
    )


OPENER_ROLES = LEADER_ROLES + TEAM_ROLES


def may_open_case(user: User, *, school_id: int, is_contact_teacher: bool) -> bool:
    """Whether the user may open a case on a pupil at the school: the pupil's contact
    teacher, the school's environment team and its leaders (issue #4); the opening
    pages answer 404 to anyone else, and the pupil page offers it only to them."""
    return is_contact_teacher or (
        StaffRole.objects.filter(user=user, school_id=school_id, role__in=OPENER_ROLES).exists()
    )


# Who sees a school's case board: the team and the leaders, who assign the owners, and
# the attendance contact, who reads it (issue #15: they could open a case by its
# address but had no list). Reading a case from it is `visible_cases`' to decide.
BOARD_ROLES = TEAM_ROLES + LEADER_ROLES + ATTENDANCE_ROLES


def board_schools(user: User) -> QuerySet:
    """Schools whose case board the user sees, each with `assigns_owners`: whether the
    user may change owners on it (`CaseAccess.can_assign_owner`'s roles, the team's and
    the leaders'); the attendance contact's board is read-only."""
    from fravaer.models import School

    return School.objects.filter(pk__in=StaffRole.objects.school_ids(user, BOARD_ROLES)).annotate(
        assigns_owners=Exists(
            StaffRole.objects.filter(
                user=user, school_id=OuterRef("pk"), role__in=TEAM_ROLES + LEADER_ROLES
            )
        )
    )


def board_school_or_404(user: User, school_id: int):
    school = board_schools(user).filter(pk=school_id).first()
    if school is None:
        raise Http404
    return school


def team_meetings_school_or_404(user: User, school_id: int):
    """The school whose team meetings the user runs: its school-environment team and
    its leaders, who assign the owners (`board_schools`' `assigns_owners`). The
    attendance contact reads the board but runs no meeting: 404."""
    school = board_school_or_404(user, school_id)
    if not school.assigns_owners:
        raise Http404
    return school


def team_meeting_or_404(user: User, school_id: int, meeting_uuid):
    """A team meeting at a school whose meetings the user runs (the team and the
    leaders, `team_meetings_school_or_404`), and the school; anyone else, and another
    school's meeting, 404. What each of them may read of it is `visible_cases`' to
    say, case by case."""
    from cases.models import TeamMeeting

    school = team_meetings_school_or_404(user, school_id)
    try:
        meeting_uuid = uuid.UUID(str(meeting_uuid))
    except ValueError as exc:
        raise Http404 from exc
    meeting = TeamMeeting.objects.filter(school=school, uuid=meeting_uuid).first()
    if meeting is None:
        raise Http404
    return school, meeting


def semester_status_school_or_404(user: User, school_id: int):
    """The school whose semester status the user reads: its leaders and its
    school-environment team (the system meeting's members), as the case board."""
    return board_school_or_404(user, school_id)


def owner_candidates(case: Case) -> QuerySet[User]:
    """Who may own a case: a member of the school's environment team, or the contact
    teacher of the pupil's current class at the case's school."""
    day = timezone.localdate()
    team = StaffRole.objects.filter(school_id=case.school_id, role__in=TEAM_ROLES).values("user_id")
    contact = (
        TeachingAssignment.objects.active_on(day)
        .filter(
            kind=TeachingAssignment.Kind.CONTACT,
            group__school_id=case.school_id,
            group__enrollments__in=Enrollment.objects.active_on(day).filter(pupil_id=case.pupil_id),
        )
        .values("user_id")
    )
    return User.objects.filter(Q(pk__in=team) | Q(pk__in=contact), is_active=True).order_by(
        "first_name", "last_name", "username"
    )
