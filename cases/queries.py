"""Reads worth naming for the case page's own workflow: what each level means and
requires (seeds 000 p. 11–14 and 004), the timeline, the pupil's case for the pupil
page and the start page, and the labels of the access log."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import access, transitions
from cases.deadlines import Window, deadline_days, deadline_window, overdue_exists
from cases.models import (
    REOPEN_DAYS,
    Case,
    CaseEvent,
    Consent,
    Conversation,
    Deadline,
    Level,
    Mapping,
    MappingTask,
    Meeting,
)
from cases.transitions import (
    PUPIL_CONSENT_AGE,
    TRANSITIONS,
    UP,
    pupil_consent_required,
    years_after,
)
from fravaer.models import Enrollment, Flag, Pupil, StaffRole, TeachingAssignment, User
from fravaer.schooldays import SchoolCalendar, closed_reason_label
from fravaer.thresholds import RULES


@dataclass(frozen=True)
class LevelGuide:
    means: str
    todo: list[str]


# What each level means and what to do there (seed 004, seed 000 p. 11–14).
LEVEL_GUIDES: dict[str, LevelGuide] = {
    Level.NIVA_0: LevelGuide(
        _("Avklar om det er grunn til bekymring. Alt fravær har betydning, fra første dag."),
        [
            _(
                "Snakk med eleven (ut fra alder og utvikling) og foresatte. Telefon går fint. "
                "Still åpne, undrende spørsmål."
            ),
            _("Del og sjekk undringen med en kollega eller nærværskontakten."),
            _("Avkreftet undring: avslutt saken."),
            _("Fortsatt bekymring: flytt saken til nivå 1. Skolens ledelse blir orientert."),
        ],
    ),
    Level.NIVA_1: LevelGuide(
        _(
            "Kartlegg årsakene til fraværet og sett inn tiltak sammen med elev, skole og "
            "hjem. Fra nå dokumenteres alt i samarbeidsavtalen (§ 10-6)."
        ),
        [
            _(
                "Møte med elev og foresatte innen 1 uke fra bekymringen er definert, med "
                "den samlede fraværsoversikten."
            ),
            _(
                "Enkel årsakskartlegging sammen med eleven før møtet: skole, hjem, fritid "
                "og eleven selv."
            ),
            _("Avtal tiltak og tid for evaluering innen 3 uker. Husk alltid elevens stemme."),
            _(
                "Ved brudd på retten til et trygt og godt skolemiljø skal det lages en "
                "aktivitetsplan (§ 12-5)."
            ),
            _(
                "Ikke nok? Rådfør deg med nærværskontakten, innhent tverrfaglig samtykke, "
                "orienter ledelsen og gå til nivå 2A."
            ),
        ],
    ),
    Level.NIVA_2A: LevelGuide(
        _(
            "Enkel tverrfaglig innsats: et tverrfaglig team, med samtykke fra foresatte "
            "og en navngitt stafettholder."
        ),
        [
            _("Første møte kartlegger og skaper forståelse; det trenger ikke ende i tiltak."),
            _("Fordel kartleggingsoppgaver med frister. Vurder henvisning til PPT."),
            _("Oppfølgingsmøte: avtal tiltak, ansvar og periode (for eksempel en oppmøteplan)."),
            _("Evaluering innen 2–3 uker. Virker det: fortsett eller avslutt. Hvis ikke: nivå 2B."),
        ],
    ),
    Level.NIVA_2B: LevelGuide(
        _("Samarbeid når situasjonen er sammensatt."),
        [
            _("Utvidet kartlegging og analyse med fordelt ansvar."),
            _("Oppsummering av kartleggingen innen 2–3 uker, og oppfølgingsmøter."),
            _("Fastlege og spesialisthelsetjenesten kan delta."),
            _("Evaluering innen 3 uker."),
        ],
    ),
}

# Requirements a user answers in the level form itself; the panel lists the others.
_ASKED_IN_FORM = {
    "level2a_needs_coordinator",
    "level2a_needs_leaders_informed",
    "summary_due_range",
    "summary_due_not_school_day",
}


# Requirements met elsewhere on the case: where, and the link's words.
_SUPPLIED_AT = {
    "level1_needs_conversation": ("cases:conversation_new", _("Registrer samtale")),
    "level2a_needs_consent": ("cases:consent_new", _("Registrer samtykke")),
    "level2b_needs_consent": ("cases:consent_new", _("Registrer samtykke")),
}


class Missing(str):
    """What a move lacks, as its message (a str, as before), with the page where it is
    supplied: `url` and `action` ("Registrer samtykke"), or empty."""

    url = ""
    action = ""


def _missing(case: Case, code: str, message: str) -> Missing:
    item = Missing(message)
    if code in _SUPPLIED_AT:
        name, action = _SUPPLIED_AT[code]
        item.url, item.action = reverse(name, args=[case.uuid]), action
    return item


def missing_before(case: Case, today: dt.date) -> dict[str, list[Missing]]:
    """For each step up from the case's level: what the case still lacks (messages,
    each with where to supply it)."""
    out: dict[str, list[str]] = {}
    for (frm, to), direction in TRANSITIONS.items():
        if frm != case.level or direction != UP:
            continue
        missing = missing_for(
            case,
            to,
            direction,
            today=today,
            coordinator=None,
            leaders_informed=False,
            summary_due=None,
        )
        out[to] = [_missing(case, code, msg) for code, msg in missing if code not in _ASKED_IN_FORM]
    return out


def coordinator_candidates(case: Case) -> QuerySet[User]:
    """Who may be the stafettholder: the school's staff (leaders, team, attendance
    contact, school nurse) and the pupil's contact teacher."""
    staff = StaffRole.objects.filter(school_id=case.school_id).exclude(
        role__in=[StaffRole.Role.PPT_ADVISOR, StaffRole.Role.MUNICIPAL_ADMIN]
    )
    return (
        User.objects.filter(
            Q(pk__in=staff.values("user_id"))
            | Q(pk__in=access.owner_candidates(case).values("pk")),
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def with_school_roles(staff: QuerySet[User], case: Case, day: dt.date) -> QuerySet[User]:
    """`staff` with what each person is at the case's school, so that a list of names
    says who is who: `is_contact_teacher` (of the pupil's class, in the same query) and
    `school_roles` (their roles at the school, and PPT in the municipality: one query
    for everyone, whatever their number)."""
    classes = Enrollment.objects.active_on(day).filter(pupil_id=case.pupil_id)
    contact = TeachingAssignment.objects.active_on(day).filter(
        user=OuterRef("pk"),
        kind=TeachingAssignment.Kind.CONTACT,
        group_id__in=classes.values("group_id"),
    )
    roles = StaffRole.objects.filter(
        Q(school_id=case.school_id)
        | Q(role=StaffRole.Role.PPT_ADVISOR, municipality_id=case.school.municipality_id)
    ).order_by("pk")
    return staff.annotate(is_contact_teacher=Exists(contact)).prefetch_related(
        Prefetch("staff_roles", queryset=roles, to_attr="school_roles")
    )


# What the case page's sections read, one query per relation: consent, referral and
# participants; conversations, meetings, mappings and tasks; deadlines.
# What the mappings section reads (`_case_mappings.html`), on the case page and in the
# fragment htmx swaps when a task is marked done.
CASE_MAPPINGS_PREFETCH = (
    Prefetch("mappings", queryset=Mapping.objects.select_related("recorded_by")),
    Prefetch(
        "mapping_tasks",
        queryset=MappingTask.objects.select_related("participant", "assignee_user"),
    ),
)

CASE_PAGE_PREFETCH = (
    "consents__guardians",
    "referrals__made_by",
    "participants",
    Prefetch("conversations", queryset=Conversation.objects.select_related("recorded_by")),
    "meetings",
    *CASE_MAPPINGS_PREFETCH,
    "deadlines",
)


@dataclass(frozen=True)
class CasePrompts:
    """What the case page asks the owner to see to (`cases.transitions`): planned
    meetings the level has left behind, a team level without consent, and the consents
    the pupil, now 15, has not given their own consent to."""

    meetings_left_behind: list[Meeting]
    consent_lapsed: bool
    consents_needing_pupil: list[Consent]
    fifteenth_birthday: dt.date
    # Without consent the school may go on alone: the level can move back to nivå 1.
    may_return_to_level1: bool = False

    def __bool__(self) -> bool:
        return bool(self.meetings_left_behind or self.consent_lapsed or self.consents_needing_pupil)


def open_and_overdue_counts(schools, today: dt.date) -> dict[int, tuple[int, int]]:
    """Per school: its open cases and those with a passed deadline. One query."""
    rows = (
        Case.objects.open()
        .filter(school__in=schools)
        .values("school_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(overdue_exists(today))))
    )
    return {row["school_id"]: (row["n"], row["late"]) for row in rows}


def case_prompts(case: Case, today: dt.date) -> CasePrompts:
    """For an open case; reads the prefetched meetings and consents (no query)."""
    consents = list(case.consents.all())
    return CasePrompts(
        meetings_left_behind=transitions.meetings_left_behind(case.level, case.meetings.all()),
        consent_lapsed=transitions.consent_lapsed(case.level, consents, today),
        consents_needing_pupil=transitions.consents_needing_pupil(
            consents, today, pupil_is_15=pupil_consent_required(case.pupil, today)
        ),
        fifteenth_birthday=years_after(case.pupil.birth_date, PUPIL_CONSENT_AGE),
        may_return_to_level1=Level.NIVA_1 in transitions.allowed_moves(case.level),
    )


def timeline(case: Case) -> list[CaseEvent]:
    """The case's events, newest first, each with the level labels and `display_text`.

    An event's stored `text` was written in the language of whoever acted; where it is
    a label the system made (a meeting's kind and time, a service, a rule), the label
    is made again here from the row the event names, in the reader's language. What
    people wrote (reasons, purposes, notes) is shown as written. One query, plus one
    per kind of row the events name."""
    labels = dict(Level.choices)
    events = list(case.events.select_related("by").order_by("-at", "-pk"))
    rows = _event_rows(events)
    rows["group"] = access.group_labels({g for event in events for g in _event_groups(event)})
    for event in events:
        event.level_from_label = labels.get(event.level_from, "")
        event.level_to_label = labels.get(event.level_to, "")
        event.display_text = _event_text(event, rows) or event.text
    return events


# The rows whose labels an event's text is made from: data key → model.
_EVENT_ROWS = {
    "meeting": Meeting,
    "mapping": Mapping,
    "conversation": Conversation,
    "deadline": Deadline,
    "consent": Consent,
    "flag": Flag,
}


def _event_rows(events: list[CaseEvent]) -> dict[str, dict]:
    wanted: dict[str, set[int]] = {key: set() for key in _EVENT_ROWS}
    for event in events:
        for key in _EVENT_ROWS:
            value = event.data.get(key) if isinstance(event.data, dict) else None
            if isinstance(value, int):
                wanted[key].add(value)
    return {
        key: _EVENT_ROWS[key].objects.in_bulk(list(ids)) if ids else {}
        for key, ids in wanted.items()
    }


def _event_groups(event: CaseEvent) -> list[str]:
    """The grant groups an access event names: {"group": name} when granted,
    {"groups": [names]} when revoked."""
    if event.kind not in (CaseEvent.Kind.ACCESS_GRANTED, CaseEvent.Kind.ACCESS_REVOKED):
        return []
    data = event.data if isinstance(event.data, dict) else {}
    names = data.get("groups") if "groups" in data else [data.get("group")]
    return [n for n in names or [] if isinstance(n, str) and n]


def _event_text(event: CaseEvent, rows: dict[str, dict]) -> str:
    kind, data = event.kind, event.data if isinstance(event.data, dict) else {}
    K = CaseEvent.Kind
    if kind in (K.ACCESS_GRANTED, K.ACCESS_REVOKED):
        # "PPT i Fjordvik kommune", also for events written with the group's internal
        # name ("ppt-kommune-1") before the text said it as people do.
        groups = _event_groups(event)
        names = [rows["group"].get(g) for g in groups]
        return ", ".join(names) if groups and all(names) else ""
    if kind in (K.MEETING_SCHEDULED, K.MEETING_HELD, K.MEETING_CANCELLED):
        meeting = rows["meeting"].get(data.get("meeting"))
        if meeting is None:
            return ""
        when = timezone.localtime(meeting.starts_at)
        label = f"{meeting.get_kind_display()}, {when:%d.%m.%Y %H:%M}"
        if kind == K.MEETING_CANCELLED and meeting.cancel_reason:
            label = f"{label}: {meeting.cancel_reason}"
        return label
    if kind == K.MAPPING_RECORDED:
        mapping = rows["mapping"].get(data.get("mapping"))
        return str(mapping.get_kind_display()) if mapping else ""
    if kind == K.CONVERSATION_LOGGED:
        c = rows["conversation"].get(data.get("conversation"))
        if c is None:
            return ""
        return f"{c.get_with_whom_display()} ({c.get_medium_display()}), {c.held_on:%d.%m.%Y}"
    if kind == K.DEADLINE_SET:
        deadline = rows["deadline"].get(data.get("deadline"))
        return deadline.set_text if deadline else ""
    if kind in (K.CONSENT_GIVEN, K.CONSENT_WITHDRAWN):
        consent = rows["consent"].get(data.get("consent"))
        return f"{consent.get_service_display()}: {consent.purpose}" if consent else ""
    if kind == K.FLAG_ATTACHED:
        flag = rows["flag"].get(data.get("flag"))
        return str(flag.definition.name) if flag and flag.rule in RULES else ""
    if kind == K.CLOSED and data.get("reason") in Case.CloseReason.values:
        # Closed without words of the closer's own: the reason's label was written
        # (in bokmål); show it in the reader's language. Typed words stay as typed.
        label = Case.CloseReason(data["reason"]).label
        with translation.override("nb"):
            written = str(label)
        return str(label) if event.text == written else ""
    return ""


def attached_flags(case: Case) -> list[Flag]:
    """The flags attached to the case, the active ones first (those are to act on),
    then the newest."""
    links = case.case_flags.select_related("flag__acknowledged_by").order_by("-attached_at", "-pk")
    flags = [cf.flag for cf in links]
    return sorted(flags, key=lambda f: f.status != Flag.Status.ACTIVE)


def active_flags(pupil: Pupil, *, besides: list[Flag] = ()) -> list[Flag]:
    """The pupil's active flags (patterns aside), except those listed in `besides`
    (the case's attached flags, shown once, above)."""
    return list(
        Flag.objects.filter(pupil=pupil, status=Flag.Status.ACTIVE)
        .exclude(rule__startswith="pattern_")
        .exclude(pk__in=[f.pk for f in besides])
        .order_by("-raised_at", "-pk")
    )


def current_group_name(pupil: Pupil, day: dt.date) -> str:
    enrollment = (
        Enrollment.objects.active_on(day)
        .filter(pupil=pupil)
        .select_related("group")
        .order_by("-start")
        .first()
    )
    return enrollment.group.name if enrollment else ""


# --- the pupil's case on the pupil page and the start page ----------------------------


@dataclass(frozen=True)
class PupilCase:
    open_case: Case | None
    recent_closed: Case | None
    can_open: bool


def pupil_case(user: User, pupil: Pupil, *, school_id: int, is_contact_teacher: bool) -> PupilCase:
    """The pupil's open case (if the user sees it), or a case closed less than 90 days
    ago to reopen, and whether the user may open one. At most two queries: the cases
    in one (the pupil's open ones and those closed lately are few), read in Python."""
    now = timezone.now()
    cases = list(
        access.visible_cases(user)
        .filter(pupil=pupil)
        .filter(
            Q(status=Case.Status.OPEN)
            | Q(status=Case.Status.CLOSED, closed_at__gte=now - dt.timedelta(days=REOPEN_DAYS))
        )
    )  # Case.Meta.ordering: the newest opened first, as `.first()` read it
    open_case = next((c for c in cases if c.status == Case.Status.OPEN), None)
    recent = None
    if open_case is None:
        closed = [c for c in cases if c.status == Case.Status.CLOSED]
        recent = max(closed, key=lambda c: c.closed_at, default=None)
    can_open = access.may_open_case(
        user, school_id=school_id, is_contact_teacher=is_contact_teacher
    )
    return PupilCase(open_case=open_case, recent_closed=recent, can_open=can_open)


def open_cases_by_pupil(user: User, pupil_ids, *, roles: set[str] | None = None) -> dict[int, Case]:
    """The open cases the user sees among `pupil_ids`, by pupil id. One query.
    `roles`: the user's roles today, if known (`access.visible_cases`)."""
    return {
        c.pupil_id: c
        for c in access.visible_cases(user, roles=roles).filter(
            pupil_id__in=list(pupil_ids), status=Case.Status.OPEN
        )
    }


def open_cases_at_school(cases: QuerySet[Case], school_id: int, pupil_ids) -> dict[int, Case]:
    """Of `cases` (`access.visible_cases(user)`, or every case for a trusted export),
    the open ones at the school among `pupil_ids`, by pupil id. One query."""
    return {
        c.pupil_id: c
        for c in cases.filter(
            school_id=school_id, pupil_id__in=list(pupil_ids), status=Case.Status.OPEN
        )
    }


# --- the case board -------------------------------------------------------------------


def _pending_deadlines() -> QuerySet[Deadline]:
    """For annotating cases: their pending deadlines, the nearest first."""
    return Deadline.objects.pending().filter(case=OuterRef("pk")).order_by("due", "pk")


def _with_next_deadline(cases: QuerySet[Case]) -> QuerySet[Case]:
    """`next_due` and `next_kind`: each case's nearest pending deadline."""
    pending = _pending_deadlines()
    return cases.annotate(
        next_due=Subquery(pending.values("due")[:1]),
        next_kind=Subquery(pending.values("kind")[:1]),
    )


def board_cases(school, today: dt.date) -> QuerySet[Case]:
    """The school's open cases with what a board row shows: one query. A case whose
    owner or coordinator no longer holds a role at the school (`owner_here`,
    `coordinator_here` False) needs a new one."""
    pending = _pending_deadlines()
    enrollment = (
        Enrollment.objects.active_on(today)
        .filter(pupil=OuterRef("pupil_id"), group__school=OuterRef("school_id"))
        .order_by("-start", "-pk")
    )
    return (
        _with_next_deadline(
            access.with_roles_held(Case.objects.open().filter(school=school), today)
        )
        .select_related("pupil", "owner")
        .annotate(
            is_overdue=Exists(pending.filter(due__lt=today)),
            group_id_now=Subquery(enrollment.values("group_id")[:1]),
            group_name=Subquery(enrollment.values("group__name")[:1]),
        )
        .order_by("pupil__last_name", "pupil__first_name", "pk")
    )


def owner_candidates_by_group(school, group_ids: set, today: dt.date) -> tuple[list[User], dict]:
    """Who may own a case on the board (the rule of `cases.access.owner_candidates`,
    for every row at once): the school's team, and each class's contact teachers."""
    team = list(
        User.objects.filter(
            is_active=True,
            pk__in=StaffRole.objects.filter(school=school, role__in=access.TEAM_ROLES).values(
                "user_id"
            ),
        )
    )
    contacts: dict[int, list[User]] = defaultdict(list)
    assignments = (
        TeachingAssignment.objects.active_on(today)
        .filter(
            kind=TeachingAssignment.Kind.CONTACT,
            group_id__in=group_ids,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("pk")
    )
    for assignment in assignments:
        contacts[assignment.group_id].append(assignment.user)
    return team, contacts


def by_name(users) -> list[User]:
    """Each person once, by first name, last name, username."""
    unique = {u.pk: u for u in users}
    return sorted(unique.values(), key=lambda u: (u.first_name, u.last_name, u.username))


def row_owner_candidates(case: Case, team: list[User], contacts: dict) -> list[User]:
    return by_name([*team, *contacts.get(case.group_id_now, [])])


# --- the access log ---------------------------------------------------------------------

BASIS_LABELS = {
    access.Basis.OWNER: _("Saksansvarlig"),
    access.Basis.CONTACT_TEACHER: _("Kontaktlærer"),
    access.Basis.LEADER: _("Skoleledelse"),
    access.Basis.TEAM: _("Skolemiljøteam"),
    access.Basis.ATTENDANCE_CONTACT: _("Nærværskontakt"),
    access.Basis.COORDINATOR: _("Stafettholder"),
    access.Basis.PARTICIPANT: _("Deltaker i saken"),
    access.Basis.PPT_REFERRAL: _("Henvisning til PPT"),
}

WHAT_LABELS = {
    # The plans app's evaluation page (`plans.views.evaluations`).
    "evaluation": _("En evaluering av tiltaksplanen"),
    "case_page": _("Sakssiden"),
    "access_log": _("Innsynsloggen"),
    "meeting": _("Møtesiden"),
    "ics": _("Kalenderinvitasjon (.ics)"),
    "consent_withdraw": _("Trekk samtykke"),
    "referral_end": _("Avslutt henvisningen til PPT"),
    "case_mappings": _("Kartlegging og oppgaver (sakssiden)"),
    "case_form": _("Skjema i saken"),
    "team_meeting_minutes": _("Referat fra teammøte (PDF)"),
    # The plans app's pages (`plans.views`).
    "plan": _("Tiltaksplanen"),
    "plan_draft": _("Utkast til tiltaksplan"),
    "plan_version": _("En versjon av tiltaksplanen"),
    "plan_compare": _("Sammenligning av versjoner av tiltaksplanen"),
    # The plans app's documents (`plans.documents.LOG_WHAT`), named here so the log
    # reads them without cases importing plans.
    "pdf:agreement": _("Samarbeidsavtalen (PDF)"),
    "pdf:minutes": _("Referat (PDF)"),
    "pdf:consent": _("Samtykkeskjema (PDF)"),
    "pdf:evaluation": _("Evalueringsrapport (PDF)"),
}


def followed_cases(user: User, today: dt.date, *, roles: set[str] | None = None) -> list[Case]:
    """The open cases the user follows up (owner, coordinator or the pupil's contact
    teacher), each with its next pending deadline (`next_due`, `next_kind`), the most
    pressing first. One query; reads go through `access.followed_cases` (`roles`: the
    user's roles today, if known)."""
    return list(
        _with_next_deadline(
            access.followed_cases(user, today, roles=roles).filter(status=Case.Status.OPEN)
        ).order_by(F("next_due").asc(nulls_last=True), "pupil__last_name", "pupil__first_name")
    )


def followed_deadlines(user: User, first: dt.date, last: dt.date) -> list[Deadline]:
    """The pending deadlines from `first` to `last` (and any passed before and still
    pending) of the open cases the user follows up (`followed_cases`' cases), the
    nearest first, each with its case and pupil: the contact teacher's week. One
    query; reads go through `access.followed_cases`."""
    followed = access.followed_cases(user, first).filter(status=Case.Status.OPEN)
    return list(
        Deadline.objects.pending()
        .filter(case__in=followed.values("pk"), due__lte=last)
        .select_related("case__pupil")
        .order_by("due", "pk")
    )


# --- what a level change requires (read by change_level and the level form) ---------


# 2B's mapping summary is due within 2–3 weeks (seed 004): the team sets the date, at
# the latest the municipality's deadline for it (21 days unless changed), and at the
# earliest a week before that, to leave time for the mapping.
SUMMARY_2B_ROOM_DAYS = 7


def summary_2b_window(case: Case, today: dt.date) -> Window:
    """The days the 2B mapping summary may be set on, and the date suggested (the last
    school day among them). A window in a holiday widens to the first school day after
    it (`school_day_window`): the summary is never due on a day without school."""
    days = deadline_days(case.school.municipality_id, Deadline.Kind.MAPPING_SUMMARY_2B)
    earliest = today + dt.timedelta(days=max(1, days - SUMMARY_2B_ROOM_DAYS))
    return deadline_window(case.school_id, earliest, today + dt.timedelta(days=days))


def active_consents(case: Case, day: dt.date) -> list[Consent]:
    return [c for c in case.consents.all() if c.is_active(day)]


def missing_for(
    case: Case,
    to: str,
    direction: str,
    *,
    today: dt.date,
    coordinator: User | None,
    leaders_informed: bool,
    summary_due: dt.date | None,
) -> list[tuple[str, str]]:
    """What the target level requires and the case does not have, as (code, message)."""
    missing: list[tuple[str, str]] = []
    if (
        to == Level.NIVA_1
        and direction == UP
        and not Conversation.objects.filter(case=case).exists()
    ):
        missing.append(
            (
                "level1_needs_conversation",
                gettext(
                    "Registrer minst én undringssamtale med eleven eller foresatte "
                    "før saken går til nivå 1."
                ),
            )
        )
    if to == Level.NIVA_2A and direction == UP:
        if not active_consents(case, today):
            missing.append(
                (
                    "level2a_needs_consent",
                    gettext(
                        "Nivå 2A krever samtykke fra foresatte for tjenestene som skal "
                        "involveres. Registrer samtykket først."
                    ),
                )
            )
        if coordinator is None and case.coordinator_id is None:
            missing.append(
                (
                    "level2a_needs_coordinator",
                    gettext("Velg en stafettholder for det tverrfaglige arbeidet."),
                )
            )
        if not leaders_informed and case.leaders_informed_at is None:
            missing.append(
                (
                    "level2a_needs_leaders_informed",
                    gettext("Skoleledelsen må være orientert før saken går til nivå 2A."),
                )
            )
    if to == Level.NIVA_2B:
        if not active_consents(case, today):
            missing.append(
                (
                    "level2b_needs_consent",
                    gettext("Nivå 2B krever et gyldig samtykke for tjenestene som er involvert."),
                )
            )
        window = summary_2b_window(case, today)
        dates = {"first": f"{window.earliest:%d.%m.%Y}", "last": f"{window.latest:%d.%m.%Y}"}
        if summary_due is not None and not window.earliest <= summary_due <= window.latest:
            missing.append(
                (
                    "summary_due_range",
                    gettext(
                        "Datoen for oppsummering av kartleggingen må være fra %(first)s "
                        "til %(last)s."
                    )
                    % dates,
                )
            )
        elif summary_due is not None:
            calendar = SchoolCalendar.for_school(case.school_id, summary_due, summary_due)
            if not calendar.is_school_day(summary_due):
                missing.append(
                    (
                        "summary_due_not_school_day",
                        gettext(
                            "%(date)s er ikke en skoledag (%(why)s). Velg en skoledag fra "
                            "%(first)s til %(last)s."
                        )
                        % {
                            "date": f"{summary_due:%d.%m.%Y}",
                            "why": closed_reason_label(calendar.closed_reason(summary_due)),
                            **dates,
                        },
                    )
                )
    return missing
