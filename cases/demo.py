"""Demo cases for Fjordvik kommune (`manage.py seed_demo_cases`, run by `make run` after
`seed_demo`): one case on each step of the staircase, written through the same
actions a teacher's clicks call, back-dated so deadlines and the timeline look lived
in.

- 5A (kontaktlaerer@demo.no): a nivå 0 case opened from today's flag, waiting for its
  wondering conversation, and a nivå 1 case whose meeting with the home is tomorrow.
- 3A: a nivå 1 case whose one-week meeting deadline has passed (the board's overdue
  mark, the owner's reminder).
- 6A: a nivå 2A case with PPT consent and a referral: ppt@demo.no sees this case and
  no other.
- 9A: a nivå 0 case at the lower secondary school.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from cases.actions.consent import add_participant, record_consent, refer_to_ppt
from cases.actions.core import change_level, open_case
from cases.actions.deadlines import send_deadline_reminders
from cases.actions.meetings import log_conversation, record_mapping, schedule_meeting
from cases.models import Case, Conversation, Level, Mapping, Meeting, Service
from fravaer.demo import MUNICIPALITY_NAME
from fravaer.models import Enrollment, Flag, Group, Pupil, User


@dataclass
class DemoCasesSummary:
    cases: int = 0
    by_level: dict[str, int] | None = None


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _most_flagged(group: Group, *, skip: set[int], count: int) -> list[Pupil]:
    """The group's pupils with the most active flags, for cases that look real."""
    enrolled = Enrollment.objects.filter(group=group, end__isnull=True).values("pupil_id")
    return list(
        Pupil.objects.filter(pk__in=enrolled)
        .exclude(pk__in=skip)
        .annotate(active=Count("flags", filter=Q(flags__status=Flag.Status.ACTIVE)))
        .order_by("-active", "last_name", "first_name")[:count]
    )


def _first_flag(pupil: Pupil) -> Flag | None:
    return pupil.flags.filter(status=Flag.Status.ACTIVE).order_by("-raised_at").first()


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _open(pupil: Pupil, group: Group, by: User, concern: str, when: dt.datetime) -> Case:
    return open_case(
        pupil, school=group.school, concern=concern, by=by, flag=_first_flag(pupil), now=when
    )


def _conversation(case: Case, by: User, day: dt.date, when: dt.datetime) -> Conversation:
    return log_conversation(
        case,
        held_on=day,
        with_whom=Conversation.With.BOTH,
        medium=Conversation.Medium.PHONE,
        answers={
            "pupil_thriving": "Trives i klassen, men gruer seg til mandager.",
            "pupil_difficult": "Synes matematikkprøvene er vanskelige.",
            "guardian_thriving": "Foreldrene merker at det er tungt å komme i gang om morgenen.",
        },
        consulted_attendance_contact=True,
        summary="Bekymringen er reell: fraværet samler seg på mandager. Vi går videre "
        "til nivå 1 med et møte hjemme-skole.",
        by=by,
        now=when,
    )


def _guardians(pupil: Pupil) -> list:
    return list(pupil.guardians.all())


@transaction.atomic
def seed_demo_cases(today: dt.date | None = None) -> DemoCasesSummary:
    today = today or timezone.localdate()
    contact = _user("kontaktlaerer@demo.no")
    team = _user("miljoteam@demo.no")
    team_us = _user("miljoteam.us@demo.no")
    groups = {
        g.name: g
        for g in Group.objects.current_on(today)
        .filter(school__municipality__name=MUNICIPALITY_NAME)
        .select_related("school")
    }
    used: set[int] = set()

    def pick(group_name: str) -> Pupil:
        pupil = _most_flagged(groups[group_name], skip=used, count=1)[0]
        used.add(pupil.pk)
        return pupil

    days = dt.timedelta

    # 5A: nivå 1, meeting tomorrow.
    g5 = groups["5A"]
    p = pick("5A")
    case = _open(
        p, g5, contact, "Mye fravær på mandager siden høstferien.", _at(today - days(9), 9)
    )
    _conversation(case, contact, today - days(8), _at(today - days(8), 15))
    change_level(
        case,
        to=Level.NIVA_1,
        by=contact,
        reason="Samtalen bekreftet bekymringen.",
        version=case.version,
        now=_at(today - days(6), 12),
    )
    record_mapping(
        case,
        kind=Mapping.Kind.CAUSES,
        by=contact,
        basis="owner",
        school="Gruer seg til matematikk og gymtimer.",
        home="Småsøsken; travle morgener.",
        leisure="Fotball to kvelder i uka, trives der.",
        pupil_area="Sover dårlig søndag kveld.",
        maintaining_factors="Fravær fører til at hen henger etter i matematikk.",
        worth_going_for="Vennene i klassen og friminuttene.",
        now=_at(today - days(5), 13),
    )
    schedule_meeting(
        case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=_at(today + days(1), 14),
        place="Møterom 2, Fjordvik barneskole",
        guardians=_guardians(p),
        staff=[contact],
        by=contact,
        now=_at(today - days(5), 13, 30),
    )

    # 5A: nivå 0, opened from today's flag; the conversation is the next step.
    p = pick("5A")
    _open(p, g5, contact, "Flere udokumenterte fravær den siste tiden.", _at(today, 8, 15))

    # 3A: nivå 1 with the meeting deadline passed.
    g3 = groups["3A"]
    teacher_3a = _user("kontaktlaerer.3a@demo.no")
    p = pick("3A")
    case = _open(p, g3, teacher_3a, "Mange enkeltdager borte i oktober.", _at(today - days(16), 10))
    _conversation(case, teacher_3a, today - days(15), _at(today - days(15), 14))
    change_level(
        case,
        to=Level.NIVA_1,
        by=teacher_3a,
        reason="Foresatte deler bekymringen.",
        version=case.version,
        now=_at(today - days(12), 9),
    )

    # 6A: nivå 2A with PPT consent and a referral; the team member coordinates.
    g6 = groups["6A"]
    p = pick("6A")
    case = _open(
        p, g6, contact, "Langvarig fravær og vegring om morgenen.", _at(today - days(40), 9)
    )
    _conversation(case, contact, today - days(39), _at(today - days(39), 15))
    change_level(
        case,
        to=Level.NIVA_1,
        by=contact,
        reason="Bekymringen er bekreftet.",
        version=case.version,
        now=_at(today - days(37), 9),
    )
    guardians = _guardians(p)
    record_consent(
        case,
        service=Service.PPT,
        purpose="Pedagogisk-psykologisk vurdering av skolefraværet",
        scope="Utveksle opplysninger om fravær, trivsel og læring med PPT.",
        guardians=guardians,
        given_on=today - days(10),
        by=contact,
        now=_at(today - days(10), 11),
    )
    case.refresh_from_db()
    change_level(
        case,
        to=Level.NIVA_2A,
        by=team,
        reason="Tiltakene på nivå 1 har ikke virket nok.",
        version=case.version,
        coordinator=team,
        leaders_informed=True,
        now=_at(today - days(9), 10),
    )
    add_participant(
        case,
        service=Service.PPT,
        name="Øyvind Lie",
        role="PPT-rådgiver",
        user=_user("ppt@demo.no"),
        by=team,
        now=_at(today - days(9), 10, 30),
    )
    refer_to_ppt(
        case,
        reason="Ønsker pedagogisk analyse og råd om tilrettelegging.",
        by=team,
        now=_at(today - days(9), 11),
    )

    # 9A: nivå 0 at the lower secondary school.
    g9 = groups["9A"]
    p = pick("9A")
    _open(p, g9, team_us, "Mange sene ankomster og timefravær i norsk.", _at(today - days(2), 12))

    send_deadline_reminders(today)
    cases = Case.objects.filter(pupil__municipality__name=MUNICIPALITY_NAME)
    return DemoCasesSummary(
        cases=cases.count(),
        by_level=dict(cases.values_list("level").annotate(n=Count("pk")).order_by("level")),
    )
