"""The access policy: the one place that decides what a user may see and do.

Views, HTMX fragments, exports, imports and tasks ask this module. Anything a user
may not see answers 404, exactly like something that does not exist. Superuser
status gives Django admin and nothing here: reading a pupil needs a role.

Rules (issue #2):
- a contact teacher sees and registers for the pupils of their groups;
- a subject teacher registers lesson absence and late arrivals for groups they teach
  (the class register), and sees no pupil page;
- school leaders, school-environment team members, attendance contacts and school
  nurses see the pupils of their school; of them, leaders and the team (and the
  pupil's contact teacher) may acknowledge a flag, the others read (`may_acknowledge`);
- PPT advisors see no pupil until a case is referred (a later issue);
- municipal administrators manage their municipality's settings and imports.

The questions it answers, asked by views and templates (through `grant` in the
context) and re-derived nowhere else: in a group's register, who registers
(`GroupAccess.can_register`), which kinds (`allowed_kinds`), whose records one edits
(`edits_only_own_records`), who opens the pupils (`can_open_pupils`) and contacts the
home (`may_contact_home`); on a pupil, who edits absence and logs contact
(`PupilAccess.can_edit`) and who acknowledges a flag (`may_acknowledge`); who is told
about a new flag (`flag_recipients`, from the table `FLAG_AUDIENCES`, of which the
scan builds its SQL). The cases app's questions are in `cases.access`.
"""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from dataclasses import dataclass
from functools import reduce

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from fravaer.models import (
    Enrollment,
    Flag,
    Group,
    Municipality,
    Notification,
    Pupil,
    School,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.thresholds import CONTACT, LEADERS, NURSE, RULES, TEAM

SCHOOL_ROLES = [str(r) for r in StaffRole.SCHOOL_ROLES]
# Roles that may upload roster and absence files for their school.
IMPORT_ROLES = [StaffRole.Role.SCHOOL_LEADER]


def _assignments(user: User, day: dt.date, kind: str | None = None) -> QuerySet:
    qs = TeachingAssignment.objects.active_on(day).filter(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def holds_role_at(user, school, day: dt.date) -> Q:
    """Whether `user` holds a current role at `school` on `day`: a staff role there
    (leader, team, attendance contact, school nurse) or a teaching assignment in force
    in one of its classes. Either may be a value or an `OuterRef` (the case board asks
    it for every case's owner at once), so the cases app reads one definition: a case's
    owner or coordinator whose assignment ended, or who moved to another school, no
    longer sees the case on that basis."""
    return Q(Exists(StaffRole.objects.filter(user=user, school=school, role__in=SCHOOL_ROLES))) | Q(
        Exists(TeachingAssignment.objects.active_on(day).filter(user=user, group__school=school))
    )


# --- groups -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupAccess:
    group: Group
    is_contact_teacher: bool
    is_subject_teacher: bool
    is_school_staff: bool

    @property
    def can_register(self) -> bool:
        return self.is_contact_teacher or self.is_subject_teacher

    @property
    def allowed_kinds(self) -> frozenset[str]:
        """Kinds of absence this user may register in the group's class register."""
        if self.is_contact_teacher:
            return frozenset({"day", "lesson", "late"})
        if self.is_subject_teacher:
            return frozenset({"lesson", "late"})
        return frozenset()

    @property
    def can_open_pupils(self) -> bool:
        return self.is_contact_teacher or self.is_school_staff

    @property
    def edits_only_own_records(self) -> bool:
        """A subject teacher edits, in the register, only the absence they registered
        themselves; the contact teacher edits the class's."""
        return not self.is_contact_teacher

    @property
    def may_contact_home(self) -> bool:
        """Log contact with the home of the group's pupils: the contact teacher (the
        group's side of `PupilAccess.can_edit`, which the contact log's view asks)."""
        return self.is_contact_teacher


def _group_annotations(user: User, day: dt.date) -> dict:
    return {
        "is_contact": Exists(
            _assignments(user, day, TeachingAssignment.Kind.CONTACT).filter(group=OuterRef("pk"))
        ),
        "is_subject": Exists(
            _assignments(user, day, TeachingAssignment.Kind.SUBJECT).filter(group=OuterRef("pk"))
        ),
        "is_staff_here": Exists(
            StaffRole.objects.filter(user=user, role__in=SCHOOL_ROLES, school=OuterRef("school_id"))
        ),
    }


def visible_groups(user: User, day: dt.date | None = None) -> QuerySet[Group]:
    day = day or timezone.localdate()
    return (
        Group.objects.annotate(**_group_annotations(user, day))
        .filter(Q(is_contact=True) | Q(is_subject=True) | Q(is_staff_here=True))
        .select_related("school", "school_year")
    )


def week_classes_or_404(user: User, day: dt.date, today: dt.date) -> list[Group]:
    """The classes the contact teacher's week shows: those the user is contact teacher
    of on `day` (the week's last day that has come), in school, grade and name order.
    Someone who is no contact teacher today either gets 404; a contact teacher looking
    at a week before their classes began gets an empty list. Two queries at most."""
    groups = list(visible_groups(user, day).current_on(day).filter(is_contact=True))
    if not groups and not visible_groups(user, today).filter(is_contact=True).exists():
        raise Http404
    groups.sort(key=lambda g: (g.school.name, g.grade, g.name))
    return groups


def group_access_or_404(user: User, group_id: int, *, annotate: dict | None = None) -> GroupAccess:
    """One query: the group, its school and municipality, and the user's standing
    (plus any `annotate` expressions the caller needs in the same query)."""
    group = (
        visible_groups(user)
        .select_related("school__municipality")
        .annotate(**(annotate or {}))
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise Http404
    return GroupAccess(
        group=group,
        is_contact_teacher=group.is_contact,
        is_subject_teacher=group.is_subject,
        is_school_staff=group.is_staff_here,
    )


# --- pupils -------------------------------------------------------------------


def visible_pupils(user: User, day: dt.date | None = None) -> QuerySet[Pupil]:
    day = day or timezone.localdate()
    contact_groups = _assignments(user, day, TeachingAssignment.Kind.CONTACT).values("group_id")
    enrollment = (
        Enrollment.objects.active_on(day)
        .filter(pupil=OuterRef("pk"))
        .filter(
            Q(group_id__in=contact_groups)
            | Q(group__school_id__in=StaffRole.objects.school_ids(user))
        )
    )
    return Pupil.objects.filter(Exists(enrollment))


@dataclass(frozen=True)
class PupilAccess:
    pupil: Pupil
    enrollment: Enrollment
    is_contact_teacher: bool
    # `may_acknowledge` for this pupil's flags, read in the same query (the pupil
    # page shows the acknowledge form by it).
    may_acknowledge: bool = False

    @property
    def group(self) -> Group:
        return self.enrollment.group

    @property
    def can_edit(self) -> bool:
        """Register, correct and remove absence, and log contact with the home."""
        return self.is_contact_teacher

    @property
    def basis(self) -> str:
        return "contact_teacher" if self.is_contact_teacher else "school_staff"


def pupil_access_or_404(user: User, pupil_uuid: uuid.UUID | str) -> PupilAccess:
    """The pupil, their current enrollment and the user's standing, or 404."""
    day = timezone.localdate()
    try:
        pupil_uuid = uuid.UUID(str(pupil_uuid))
    except ValueError as exc:
        raise Http404 from exc
    contact_groups = _assignments(user, day, TeachingAssignment.Kind.CONTACT).values("group_id")
    acknowledging = _acknowledging_enrollments(user, day).filter(pupil_id=OuterRef("pupil_id"))
    enrollment = (
        Enrollment.objects.active_on(day)
        .filter(pupil__uuid=pupil_uuid)
        .filter(
            Q(group_id__in=contact_groups)
            | Q(group__school_id__in=StaffRole.objects.school_ids(user))
        )
        .annotate(is_contact=Q(group_id__in=contact_groups), may_acknowledge=Exists(acknowledging))
        .select_related("pupil", "group__school__municipality", "group__school_year")
        .order_by("-is_contact", "-start")
        .first()
    )
    if enrollment is None:
        raise Http404
    return PupilAccess(
        pupil=enrollment.pupil,
        enrollment=enrollment,
        is_contact_teacher=enrollment.is_contact,
        may_acknowledge=enrollment.may_acknowledge,
    )


# --- schools and municipalities --------------------------------------------------


def schools_for_import(user: User) -> QuerySet[School]:
    """Schools whose roster and absence files this user may upload."""
    return School.objects.filter(
        Q(pk__in=StaffRole.objects.school_ids(user, [str(r) for r in IMPORT_ROLES]))
        | Q(
            municipality__in=StaffRole.objects.filter(
                user=user, role=StaffRole.Role.MUNICIPAL_ADMIN
            ).values("municipality_id")
        )
    ).select_related("municipality")


def municipalities_for_import(user: User) -> QuerySet[Municipality]:
    return Municipality.objects.filter(Q(schools__in=schools_for_import(user))).distinct()


def roles_of(user: User) -> set[str]:
    """The roles a user holds today, for choosing the start page (two queries)."""
    day = timezone.localdate()
    roles = set(StaffRole.objects.filter(user=user).values_list("role", flat=True))
    roles |= {
        f"{kind}_teacher"
        for kind in _assignments(user, day).values_list("kind", flat=True).distinct()
    }
    return roles


# --- flags and notifications -----------------------------------------------------

# Roles that see their school's flags on the leaders' overview. The school nurse sees
# pupils but follows flags through the pupils she is involved with, not the overview.
FLAG_OVERVIEW_ROLES = [
    str(StaffRole.Role.SCHOOL_LEADER),
    str(StaffRole.Role.ENVIRONMENT_TEAM),
    str(StaffRole.Role.ATTENDANCE_CONTACT),
]


# Roles that act on the flags of their school's pupils: acknowledging a flag is for
# the pupil's contact teacher, the school's leaders and its school-environment team.
# The attendance contact and the school nurse read them (README, "Who sees what").
ACKNOWLEDGE_ROLES = [
    str(StaffRole.Role.SCHOOL_LEADER),
    str(StaffRole.Role.ENVIRONMENT_TEAM),
]


def _acknowledging_enrollments(user: User, day: dt.date) -> QuerySet[Enrollment]:
    """The enrollments on `day` through which the user may acknowledge a pupil's
    flags: in a group the user is contact teacher of, or at a school where the user
    holds one of `ACKNOWLEDGE_ROLES`. The one definition of `may_acknowledge`."""
    contact_groups = _assignments(user, day, TeachingAssignment.Kind.CONTACT).values("group_id")
    return Enrollment.objects.active_on(day).filter(
        Q(group_id__in=contact_groups)
        | Q(group__school_id__in=StaffRole.objects.school_ids(user, ACKNOWLEDGE_ROLES))
    )


def may_acknowledge(user: User, flag: Flag, day: dt.date | None = None) -> bool:
    """Whether the user may acknowledge the flag: its pupil's contact teacher and the
    leaders and school-environment team of the pupil's school today (where the pupil
    page shows it). Everyone else, the nurse and the attendance contact included, may
    at most read it. One query; the pupil page reads the same answer with the pupil
    (`PupilAccess.may_acknowledge`)."""
    day = day or timezone.localdate()
    return _acknowledging_enrollments(user, day).filter(pupil_id=flag.pupil_id).exists()


def contact_teacher_flags(user: User, day: dt.date | None = None) -> QuerySet[Flag]:
    """Flags on the pupils enrolled today in the groups the user is contact teacher of:
    flags the user may acknowledge (`may_acknowledge`), every one."""
    day = day or timezone.localdate()
    contact_groups = _assignments(user, day, TeachingAssignment.Kind.CONTACT).values("group_id")
    enrolled = (
        Enrollment.objects.active_on(day).filter(group_id__in=contact_groups).values("pupil_id")
    )
    return Flag.objects.filter(pupil_id__in=enrolled)


# --- who is told about a new flag ---------------------------------------------------

# Who takes over when the home does not answer an undocumented absence (the routine:
# "leadership or the school-environment team follows up"): the leaders and the team.
HANDOVER_ROLES = (StaffRole.Role.SCHOOL_LEADER, StaffRole.Role.ENVIRONMENT_TEAM)
# The staff roles behind the rule table's recipients (`thresholds.Rule.recipients`)
# besides the contact teacher.
RECIPIENT_ROLES = {
    LEADERS: StaffRole.Role.SCHOOL_LEADER,
    TEAM: StaffRole.Role.ENVIRONMENT_TEAM,
    NURSE: StaffRole.Role.SCHOOL_NURSE,
}


def _rules_reaching(who: str) -> frozenset[str]:
    return frozenset(code for code, rule in RULES.items() if who in rule.recipients)


def _contact_assignments(day: dt.date) -> QuerySet[TeachingAssignment]:
    """Contact teachers' assignments in force on `day`: the ground on which a contact
    teacher sees the pupils of their class (`visible_pupils`)."""
    return TeachingAssignment.objects.active_on(day).filter(kind=TeachingAssignment.Kind.CONTACT)


@dataclass(frozen=True)
class FlagAudience:
    """One line of the table of who is told about a new flag (`FLAG_AUDIENCES`): for a
    flag of one of `rules` (with `handed_over`, only one raised already handed over),
    the contact teachers of the flag's class in force on the day, or, with `roles`,
    the holders of those school roles at the flag's school. Both are grounds on which
    `visible_pupils` shows the pupil of a class or school, so nobody is told about a
    flag whose pupil they may not see."""

    rules: frozenset[str]
    roles: tuple[str, ...] = ()
    handed_over: bool = False

    def __post_init__(self) -> None:
        # A role that does not see the school's pupils (PPT, the municipality) would
        # be told about flags it may not open: refuse the table at import.
        others = sorted(str(role) for role in self.roles if role not in SCHOOL_ROLES)
        if others:
            raise ValueError(f"not a school role: {others}")

    @property
    def on(self) -> str:
        """The column (of the people and of the flag) that matches them: the class or
        the school."""
        return "school_id" if self.roles else "group_id"

    def reaches(self, rule: str, *, handed_over: bool = False) -> bool:
        return rule in self.rules and (handed_over or not self.handed_over)

    def people(self, day: dt.date) -> QuerySet:
        """(user_id, `on`): each person and the class or school whose flags they are
        told about. The scan's SQL joins these rows to its new flags
        (`fravaer.actions.scan_writes.recipients_sql`)."""
        if self.roles:
            people = StaffRole.objects.filter(role__in=self.roles)
        else:
            people = _contact_assignments(day)
        return people.order_by().values("user_id", self.on)


# The hand-over: the people told about an undocumented flag once the home did not
# answer (`fravaer.actions.flags.hand_over_unanswered`), and about one raised already
# handed over (a try logged before the absence came in).
HANDOVER_AUDIENCE = FlagAudience(
    frozenset({"undocumented"}), roles=HANDOVER_ROLES, handed_over=True
)
# Who is told about a new flag: the rule table (`Rule.recipients`) as people, and the
# hand-over.
FLAG_AUDIENCES = (
    FlagAudience(_rules_reaching(CONTACT)),
    *(FlagAudience(_rules_reaching(who), roles=(role,)) for who, role in RECIPIENT_ROLES.items()),
    HANDOVER_AUDIENCE,
)


def flag_recipients(
    rule: str, *, group_id: int, school_id: int, day: dt.date, handed_over: bool = False
) -> QuerySet[User]:
    """Who is told about a new flag of `rule` for a pupil in the class `group_id` at
    the school `school_id` on `day` (`handed_over`: an undocumented flag raised
    already handed over): the one definition, `FLAG_AUDIENCES`, from which the scan
    builds its SQL too. Each of them may see the pupil on `day` (`visible_pupils`)."""
    key = {"group_id": group_id, "school_id": school_id}
    reached = [
        Q(pk__in=audience.people(day).filter(**{audience.on: key[audience.on]}).values("user_id"))
        for audience in FLAG_AUDIENCES
        if audience.reaches(rule, handed_over=handed_over)
    ]
    if not reached:
        return User.objects.none()
    return User.objects.filter(reduce(operator.or_, reached))


def pupil_flag_or_404(grant: PupilAccess, flag_id: int) -> Flag:
    """One of the pupil's flags. Whoever may see the pupil (`pupil_access_or_404`) may
    see its flags; acknowledging one is `may_acknowledge`'s to say."""
    flag = Flag.objects.filter(pk=flag_id, pupil=grant.pupil).first()
    if flag is None:
        raise Http404
    return flag


def flag_overview_schools(user: User) -> QuerySet[School]:
    """Schools whose flags the user sees on the leaders' overview."""
    return School.objects.filter(pk__in=StaffRole.objects.school_ids(user, FLAG_OVERVIEW_ROLES))


def flag_overview_school_or_404(user: User, school_id: int) -> School:
    school = flag_overview_schools(user).filter(pk=school_id).first()
    if school is None:
        raise Http404
    return school


def overview_flags(day: dt.date) -> QuerySet[Flag]:
    """The active flags that the schools' overviews show and count: those about pupils
    enrolled at the flag's school on `day`. A flag outlives the pupil's move to
    another school, but the school they left may no longer see the pupil (their page
    answers 404 there), so it no longer sees their flags either. Filter by school
    (`flag_overview_school_or_404`); the school may be an `OuterRef`."""
    enrolled = Enrollment.objects.active_on(day).filter(
        group__school_id=OuterRef("school_id"),
        pupil_id=OuterRef("pupil_id"),
    )
    return Flag.objects.active().filter(Exists(enrolled))


def administered_municipalities(user: User) -> QuerySet[Municipality]:
    """Municipalities whose rule settings the user manages."""
    return Municipality.objects.filter(
        pk__in=StaffRole.objects.filter(user=user, role=StaffRole.Role.MUNICIPAL_ADMIN).values(
            "municipality_id"
        )
    )


def municipality_admin_or_404(user: User, municipality_id: int) -> Municipality:
    municipality = administered_municipalities(user).filter(pk=municipality_id).first()
    if municipality is None:
        raise Http404
    return municipality


def own_notifications(user: User) -> QuerySet[Notification]:
    """A user's inbox holds their own notifications and nobody else's."""
    return Notification.objects.filter(user=user)


def inbox_notifications(user: User, day: dt.date | None = None) -> QuerySet[Notification]:
    """The user's messages. A case message carries `pupil_visible`: whether the user
    may still see its pupil (a message outlives a class change or an ended role, and
    then shows without the pupil's details). A flag message lists flags; read them
    with `message_flags`."""
    visible = visible_pupils(user, day).filter(pk=OuterRef("pupil_id"))
    return own_notifications(user).annotate(pupil_visible=Exists(visible)).select_related("pupil")


def own_notification_or_404(user: User, notification_id: int) -> Notification:
    notification = own_notifications(user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def message_flags(
    user: User,
    messages,
    *,
    first: int | None = None,
    by_name: bool = False,
    day: dt.date | None = None,
) -> QuerySet[Flag]:
    """The flags that the user's own messages list (`Notification.flag_ids`; another
    person's messages add nothing), or the `first` few of each, each flag with
    `pupil_visible`: only then may its pupil's name and the figures be shown. A flag
    deleted since is simply not there. `by_name`: the pupils the user may see in
    name order, the others last in the order they were raised, so that not even
    their place in the list hints at a name."""
    ids: set[int] = set()
    for message in messages:
        if message.user_id == user.pk and message.kind == Notification.Kind.FLAG:
            ids.update(sorted(message.flag_ids)[:first])
    visible = visible_pupils(user, day).filter(pk=OuterRef("pupil_id"))
    flags = (
        Flag.objects.filter(pk__in=ids)
        .annotate(pupil_visible=Exists(visible))
        .select_related("pupil", "group")
    )
    if by_name:
        hidden = Value("")
        flags = flags.annotate(
            shown_last=Case(When(pupil_visible=True, then=F("pupil__last_name")), default=hidden),
            shown_first=Case(When(pupil_visible=True, then=F("pupil__first_name")), default=hidden),
        ).order_by(
            "-pupil_visible", "shown_last", "shown_first", "pupil_id", "rule", "period_start", "pk"
        )
    return flags


# --- the leaders' monthly overview and the class comments ---------------------------

# Who reads a school's monthly overview, every class's figures and comments: its
# leaders and its school-environment team (seed 000 p. 10: leadership takes the
# overview to the team). Not the attendance contact, the nurse, PPT or the
# municipality (PPT hears it at the contact meeting, without names).
MONTHLY_OVERVIEW_ROLES = [
    str(StaffRole.Role.SCHOOL_LEADER),
    str(StaffRole.Role.ENVIRONMENT_TEAM),
]
# Who writes a class's comment besides its contact teacher: the school's leaders.
CLASS_COMMENT_ROLES = [str(StaffRole.Role.SCHOOL_LEADER)]


def monthly_overview_schools(user: User) -> QuerySet[School]:
    """Schools whose monthly overview the user reads."""
    return School.objects.filter(
        pk__in=StaffRole.objects.school_ids(user, MONTHLY_OVERVIEW_ROLES)
    ).select_related("municipality")


def monthly_overview_school_or_404(user: User, school_id: int) -> School:
    school = monthly_overview_schools(user).filter(pk=school_id).first()
    if school is None:
        raise Http404
    return school


@dataclass(frozen=True)
class CommentAccess:
    """A user's standing on a class's monthly comment (`class_comment_access_or_404`)."""

    group: Group
    is_contact_teacher: bool
    is_leader: bool

    @property
    def may_write(self) -> bool:
        return self.is_contact_teacher or self.is_leader


def class_comment_access_or_404(
    user: User, group_id: int, month_last_day: dt.date
) -> CommentAccess:
    """A class's comment for a month: its contact teacher (an assignment in force today
    or on the month's last day) and the school's leaders write it; the team reads it
    on the overview. Everyone else: 404. One query."""
    today = timezone.localdate()
    contact = TeachingAssignment.objects.filter(
        user=user, kind=TeachingAssignment.Kind.CONTACT, group=OuterRef("pk")
    ).filter(TeachingAssignment.active_q(today) | TeachingAssignment.active_q(month_last_day))
    leader = StaffRole.objects.filter(
        user=user, role__in=CLASS_COMMENT_ROLES, school=OuterRef("school_id")
    )
    group = (
        Group.objects.annotate(is_contact=Exists(contact), is_leader=Exists(leader))
        .filter(Q(is_contact=True) | Q(is_leader=True), pk=group_id)
        .select_related("school", "school_year")
        .first()
    )
    if group is None:
        raise Http404
    return CommentAccess(group, is_contact_teacher=group.is_contact, is_leader=group.is_leader)


def commentable_groups(user: User, day: dt.date | None = None) -> QuerySet[Group]:
    """The classes whose comments the user writes: those they are contact teacher of
    on `day` (the week view links from these)."""
    day = day or timezone.localdate()
    return Group.objects.filter(
        pk__in=_assignments(user, day, TeachingAssignment.Kind.CONTACT).values("group_id")
    )
