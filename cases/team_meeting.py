"""Reads for the school-environment team's meeting (issue #15, section 3; seed 003:
worrying absence "drøftes i tverrfaglig team", seed 000 p. 8–10): the agenda, the
decisions taken so far, the minutes' words, the earlier meetings, and the team's
latest next step on a case.

The agenda is the cases and flags the member may see (`access.visible_cases`, and the
school's flags through the overview's access, `fravaer.access.overview_flags`), in
this order of urgency, each case once, in the first point it belongs to:

1. cases with a deadline passed (the oldest deadline first);
2. cases whose owner (or coordinator) no longer holds a role at the school and that
   need a new one (the board's "Trenger ny saksansvarlig"; the highest level first);
3. new flags on pupils without an open case, raised since the previous meeting started
   (14 days before the first meeting), pupils with the most flags first, then the
   oldest flag first;
4. cases with a deadline in the next 7 days (the nearest first);
5. the other open cases by level, 2B, 2A, 1 and 0, by the pupil's name.

Whatever the number of cases and flags, building it takes a fixed number of queries:
the cases (one), the flags (one), the owner candidates (two) and the decisions (one).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import access, queries
from cases.models import Case, Level, TeamMeeting, TeamMeetingItem
from fravaer import access as fravaer_access
from fravaer.models import Enrollment, Flag, StaffRole, User
from fravaer.queries import is_pattern
from fravaer.thresholds import RULE_LIST

# The first meeting's agenda looks this far back for new flags.
FIRST_MEETING_FLAG_DAYS = 14
# A deadline this many days ahead (or fewer) puts the case on the agenda's point 4.
DUE_SOON_DAYS = 7

OVERDUE, OWNERLESS, NEW_FLAGS, DUE_SOON, BY_LEVEL = (
    "overdue",
    "ownerless",
    "new_flags",
    "due_soon",
    "by_level",
)
SECTION_ORDER = (OVERDUE, OWNERLESS, NEW_FLAGS, DUE_SOON, BY_LEVEL)
SECTION_TITLES = {
    OVERDUE: _("Saker med passert frist"),
    OWNERLESS: _("Saker som trenger ny saksansvarlig"),
    NEW_FLAGS: _("Nye varsler uten sak"),
    DUE_SOON: _("Saker med frist de neste 7 dagene"),
    BY_LEVEL: _("Andre aktive saker etter nivå"),
}
# Higher levels first: the more complex the situation, the earlier it is discussed.
LEVEL_RANK = {Level.NIVA_2B: 0, Level.NIVA_2A: 1, Level.NIVA_1: 2, Level.NIVA_0: 3}
ALERT_RULES = [rule.code for rule in RULE_LIST if not is_pattern(rule.code)]


@dataclass
class FlaggedPupil:
    """A pupil with new flags and no open case: one point of the agenda."""

    pupil: object
    group_id: int | None
    group_name: str
    flags: list[Flag] = field(default_factory=list)
    candidates: list[User] = field(default_factory=list)

    @property
    def rules(self) -> list[tuple[str, int]]:
        """The flags' rules, each once with how many flags it raised, the first
        raised first: a pupil may have a month's flag for each rule and period."""
        counts: dict[str, int] = {}
        for flag in self.flags:
            name = str(flag.definition.name)
            counts[name] = counts.get(name, 0) + 1
        return list(counts.items())

    @property
    def last_raised(self) -> dt.datetime:
        return max(flag.raised_at for flag in self.flags)


@dataclass
class AgendaCase:
    case: Case
    section: str
    candidates: list[User]
    decisions: list[TeamMeetingItem]


@dataclass
class Section:
    key: str
    title: str
    cases: list[AgendaCase] = field(default_factory=list)
    pupils: list[FlaggedPupil] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.cases) + len(self.pupils)


def flags_since_for(school, now: dt.datetime) -> dt.datetime:
    """Where a new meeting's flags start: the previous meeting's start, or 14 days ago."""
    previous = (
        TeamMeeting.objects.filter(school=school, started_at__lt=now)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return previous or now - dt.timedelta(days=FIRST_MEETING_FLAG_DAYS)


def agenda_cases(user: User, school, today: dt.date) -> QuerySet[Case]:
    """The school's open cases the user may see, with what a board row shows
    (`queries.board_cases`). One query."""
    visible = access.visible_cases(user, today).filter(school=school).values("pk")
    return queries.board_cases(school, today).filter(pk__in=visible)


def new_flags(user: User, school, since: dt.datetime, today: dt.date) -> QuerySet[Flag]:
    """Active flags raised since `since` on the school's pupils without an open case
    there, as the school's flag overview shows them to the user (patterns aside: they
    ask nobody to act). One query."""
    open_case = Case.objects.open().filter(pupil=OuterRef("pupil_id"), school=OuterRef("school_id"))
    enrollment = (
        Enrollment.objects.active_on(today)
        .filter(pupil=OuterRef("pupil_id"), group__school=OuterRef("school_id"))
        .order_by("-start", "-pk")
    )
    return (
        fravaer_access.overview_flags(today)
        .filter(
            school=school,
            school__in=fravaer_access.flag_overview_schools(user),
            rule__in=ALERT_RULES,
            raised_at__gte=since,
        )
        .exclude(Exists(open_case))
        .annotate(
            group_id_now=Subquery(enrollment.values("group_id")[:1]),
            group_name=Subquery(enrollment.values("group__name")[:1]),
        )
        .select_related("pupil")
        .order_by("raised_at", "pk")
    )


def decisions_by_case(meeting: TeamMeeting, case_ids=None) -> dict[int, list[TeamMeetingItem]]:
    """The meeting's decisions so far, by case, in the order taken. One query."""
    items = meeting.items.select_related("by").order_by("at", "pk")
    if case_ids is not None:
        items = items.filter(case_id__in=list(case_ids))
    out: dict[int, list[TeamMeetingItem]] = defaultdict(list)
    for item in items:
        out[item.case_id].append(item)
    return out


def section_of(case: Case, today: dt.date) -> str:
    if case.is_overdue:
        return OVERDUE
    if not case.owner_here or not case.coordinator_here:
        return OWNERLESS
    if case.next_due is not None and case.next_due <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return BY_LEVEL


def _case_order(case: Case, section: str) -> tuple:
    name = (case.pupil.last_name, case.pupil.first_name, case.pk)
    if section in (OVERDUE, DUE_SOON):
        return (case.next_due, *name)
    return (LEVEL_RANK.get(case.level, 9), *name)


def _pupils(flags: list[Flag]) -> list[FlaggedPupil]:
    by_pupil: dict[int, FlaggedPupil] = {}
    for flag in flags:
        entry = by_pupil.get(flag.pupil_id)
        if entry is None:
            entry = by_pupil[flag.pupil_id] = FlaggedPupil(
                pupil=flag.pupil, group_id=flag.group_id_now, group_name=flag.group_name or ""
            )
        entry.flags.append(flag)
    return sorted(
        by_pupil.values(),
        key=lambda e: (-len(e.flags), e.flags[0].raised_at, e.pupil.last_name, e.pupil.pk),
    )


def agenda(
    user: User,
    meeting: TeamMeeting,
    today: dt.date,
    *,
    case_id: int | None = None,
    pupil_id: int | None = None,
) -> list[Section]:
    """The meeting's agenda as `user` may see it, in `SECTION_ORDER` (empty points
    included, so the team sees that nothing waits there). `case_id` or `pupil_id`:
    only that case or pupil (one point's row, after a decision). Six queries."""
    school = meeting.school
    cases_qs = agenda_cases(user, school, today)
    flags_qs = new_flags(user, school, meeting.flags_since, today)
    if case_id is not None:
        cases_qs, flags_qs = cases_qs.filter(pk=case_id), flags_qs.none()
    elif pupil_id is not None:
        cases_qs, flags_qs = cases_qs.none(), flags_qs.filter(pupil_id=pupil_id)
    cases = list(cases_qs)
    pupils = _pupils(list(flags_qs))
    group_ids = {c.group_id_now for c in cases} | {p.group_id for p in pupils}
    team, contacts = queries.owner_candidates_by_group(school, group_ids - {None}, today)
    decisions = decisions_by_case(meeting, case_ids=[c.pk for c in cases])
    sections = {key: Section(key, str(SECTION_TITLES[key])) for key in SECTION_ORDER}
    for case in cases:
        key = section_of(case, today)
        sections[key].cases.append(
            AgendaCase(
                case=case,
                section=key,
                candidates=queries.row_owner_candidates(case, team, contacts),
                decisions=decisions.get(case.pk, []),
            )
        )
    for entry in pupils:
        entry.candidates = queries.by_name([*team, *contacts.get(entry.group_id, [])])
    sections[NEW_FLAGS].pupils = pupils
    for section in sections.values():
        section.cases.sort(key=lambda row: _case_order(row.case, row.section))
    return [sections[key] for key in SECTION_ORDER]


# --- the minutes ---------------------------------------------------------------------------


def decision_text(item: TeamMeetingItem) -> str:
    """One decision in words, in the active language (the minutes and the PDF)."""
    K = TeamMeetingItem.Kind
    if item.kind == K.CASE_OPENED:
        return gettext("Sak opprettet: %(concern)s") % {"concern": item.text}
    if item.kind == K.OWNER_ASSIGNED:
        return gettext("Saksansvarlig: %(name)s.") % {"name": item.text}
    if item.kind == K.NEXT_STEP:
        return gettext("Neste steg: %(text)s (innen %(date)s).") % {
            "text": item.text,
            "date": f"{item.due:%d.%m.%Y}",
        }
    return gettext("Notat: %(text)s") % {"text": item.text}


def minutes_text(meeting: TeamMeeting, items: list[TeamMeetingItem]) -> str:
    """The note each case discussed gets on its timeline when the meeting ends."""
    return gettext("Drøftet i teammøte %(date)s: %(decisions)s") % {
        "date": f"{meeting.held_on:%d.%m.%Y}",
        "decisions": " ".join(decision_text(item) for item in items),
    }


@dataclass
class MinutesCase:
    case: Case
    decisions: list[TeamMeetingItem]


def minutes_for(user: User, meeting: TeamMeeting) -> list[MinutesCase]:
    """The cases discussed in the meeting that `user` may see today, with their
    decisions, by the pupil's name. Two queries; a case the user may not see is left
    out, not named."""
    decisions = decisions_by_case(meeting)
    cases = (
        access.visible_cases(user)
        .filter(pk__in=list(decisions))
        .order_by("pupil__last_name", "pupil__first_name", "pk")
    )
    return [MinutesCase(case=c, decisions=decisions[c.pk]) for c in cases]


def earlier_meetings(school) -> QuerySet[TeamMeeting]:
    """The school's meetings, newest first, with how many were present and how many
    cases were discussed. One query."""
    return (
        TeamMeeting.objects.filter(school=school)
        .annotate(
            n_present=Count("participants", distinct=True),
            n_cases=Count("items__case", distinct=True),
        )
        .select_related("started_by")
    )


def running_meeting(school) -> TeamMeeting | None:
    return TeamMeeting.objects.filter(school=school, ended_at__isnull=True).first()


def team_candidates(school) -> QuerySet[User]:
    """Who may be recorded present: the school's team and leaders."""
    staff = StaffRole.objects.filter(
        school=school, role__in=access.TEAM_ROLES + access.LEADER_ROLES
    ).values("user_id")
    return User.objects.filter(pk__in=staff, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def latest_next_step(case: Case) -> TeamMeetingItem | None:
    """The team's latest next step on the case (its own date, not a staircase
    deadline). One query."""
    return (
        TeamMeetingItem.objects.filter(case=case, kind=TeamMeetingItem.Kind.NEXT_STEP)
        .select_related("meeting")
        .order_by("-at", "-pk")
        .first()
    )
