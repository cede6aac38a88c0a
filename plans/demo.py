"""The demo's measure plan (`manage.py seed_demo_plans`, run by `make run` after
`seed_demo_cases`): a nivå 1 case in 5A (kontaktlaerer@demo.no) built on seed 002's
example of a three-party agreement ("Rammer for samarbeidet"):

- the pupil meets in the library at 09:30 every day (the attendance plan, Monday to
  Friday) and checks the day's plan;
- the guardians walk the pupil to the library and install a calendar app;
- the contact teacher meets the pupil there at 09:30, stays available for an hour,
  and sends a weekly plan;
- one evaluation three weeks after the agreement, with the outcome "continue" and a
  second version of the plan (a new evaluation date and one more step).

Everything goes through the actions a person's clicks call (the cases app's for the
case, its conversation, mapping and meeting; `plans.actions.versions` for the plan,
`plans.actions.evaluations` for the evaluation and its outcome), back-dated like the
other demo cases, so the timeline, the deadlines and the effect (computed from the
demo's absence) are the product's own. Deterministic: fixed texts, days counted from
`today` and moved to the school's school days, the pupil chosen by a stable order.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from cases.actions.core import change_level, open_case
from cases.actions.meetings import (
    log_conversation,
    mark_meeting_held,
    record_mapping,
    schedule_meeting,
)
from cases.models import Case, Conversation, Level, Mapping, Meeting
from fravaer.demo import MUNICIPALITY_NAME
from fravaer.models import Enrollment, Flag, Group, Pupil, User
from fravaer.schooldays import SchoolCalendar
from plans.actions.evaluations import Review, record_evaluation
from plans.actions.versions import (
    add_attendance_step,
    add_tapering_step,
    agree_version,
    draft_next_version,
    save_attendance_day,
    save_draft,
    save_goal,
    save_measure,
    start_agreement,
)
from plans.models import Arena, Evaluation, Measure, MeasureReview, PlanVersion

GROUP = "5A"
OWNER = "kontaktlaerer@demo.no"
LIBRARY = "Skolebiblioteket"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _pupil(group: Group) -> Pupil:
    """The class's most flagged pupil without a case yet."""
    enrolled = Enrollment.objects.filter(group=group, end__isnull=True).values("pupil_id")
    return (
        Pupil.objects.filter(pk__in=enrolled)
        .exclude(cases__isnull=False)
        .annotate(active=Count("flags", filter=Q(flags__status=Flag.Status.ACTIVE)))
        .order_by("-active", "last_name", "first_name")
        .first()
    )


# Seed 002, "Hva skal følges opp til neste møte?": who does what.
MEASURES = [
    # (arena, responsible, what, when, where, special arrangement)
    (
        Arena.PUPIL,
        Measure.Responsible.PUPIL,
        "Møter på biblioteket kl. 09.30 hver dag og sjekker hva som står på planen for dagen. "
        "Har med iPad.",
        "Hver skoledag kl. 09.30",
        LIBRARY,
        False,
    ),
    (
        Arena.HOME,
        Measure.Responsible.GUARDIANS,
        "Følger eleven til biblioteket om morgenen.",
        "Hver skoledag",
        "Hjemmefra til biblioteket",
        False,
    ),
    (
        Arena.HOME,
        Measure.Responsible.GUARDIANS,
        "Laster ned en kalender-app på iPaden, minner eleven på å sjekke planen og snakker om "
        "dagen kvelden før (forberedelse).",
        "Hver kveld",
        "Hjemme",
        False,
    ),
    (
        Arena.SCHOOL,
        Measure.Responsible.STAFF,
        "Møter eleven på biblioteket kl. 09.30 og er tilgjengelig der i en time, også om "
        "eleven ikke kommer til avtalt tid.",
        "Hver skoledag kl. 09.30–10.30",
        LIBRARY,
        True,
    ),
    (
        Arena.SCHOOL,
        Measure.Responsible.STAFF,
        "Sender ukeplan med hvilke aktiviteter som skal foregå hver dag.",
        "Hver fredag",
        "Skolens app",
        False,
    ),
]


def _fill_draft(
    version: PlanVersion, *, owner: User, starts_on: dt.date, evaluation_date, now
) -> PlanVersion:
    """Version 1's content, as the owner types it into the draft editor."""
    met_by = owner.get_full_name() or owner.username
    save_draft(
        version,
        revision=version.revision,
        by=owner,
        now=now,
        long_term_goal="Eleven er på skolen hele skoledagen, hver dag, og kjenner seg trygg "
        "på hva dagen skal inneholde.",
        contact_who=met_by,
        contact_how="Telefon, og melding i skolens app",
        contact_how_often="Hver fredag, og samme dag hvis eleven ikke møter",
        evaluation_date=evaluation_date,
        attendance_note="Eleven starter i biblioteket med læreren og går til klassen når "
        "hun er klar. Tiden i klassen øker uke for uke.",
    )
    for text, weeks in (
        ("Møter på biblioteket kl. 09.30 minst fire av fem dager i uka.", 2),
        ("Er med i klassen i minst to timer hver dag.", 3),
    ):
        save_goal(
            version,
            revision=version.revision,
            by=owner,
            now=now,
            text=text,
            target_date=starts_on + dt.timedelta(weeks=weeks),
        )
    for arena, responsible, what, when, where, special in MEASURES:
        measure = save_measure(
            version,
            revision=version.revision,
            by=owner,
            now=now,
            what=what,
            responsible=responsible,
            responsible_staff=owner if responsible == Measure.Responsible.STAFF else None,
            arena=arena,
            when=when,
            where=where,
            starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(weeks=8),
            special_arrangement=special,
        )
        if special:
            for week, text in (
                (0, "Starter dagen i biblioteket med læreren; en time i klassen."),
                (1, "Biblioteket i en halv time; to timer i klassen."),
                (2, "Møtes i biblioteket og går sammen til klassen; hele dagen i klassen."),
            ):
                add_tapering_step(
                    version,
                    revision=version.revision,
                    by=owner,
                    now=now,
                    measure=measure,
                    starts_on=starts_on + dt.timedelta(weeks=week),
                    description=text,
                )
    for weekday in range(5):
        save_attendance_day(
            version,
            revision=version.revision,
            by=owner,
            now=now,
            weekday=weekday,
            starts_at=dt.time(9, 30),
            place=LIBRARY,
            met_by=met_by,
        )
    for week, text in enumerate(["En time i klassen", "To timer i klassen", "Til lunsj"]):
        add_attendance_step(
            version,
            revision=version.revision,
            by=owner,
            now=now,
            starts_on=starts_on + dt.timedelta(weeks=week),
            description=text,
        )
    return version


@transaction.atomic
def seed_demo_plan(today: dt.date | None = None) -> Case:
    today = today or timezone.localdate()
    owner = User.objects.get(username=OWNER)
    group = (
        Group.objects.current_on(today)
        .filter(school__municipality__name=MUNICIPALITY_NAME, name=GROUP)
        .select_related("school")
        .get()
    )
    pupil = _pupil(group)
    guardians = list(pupil.guardians.all())
    days = dt.timedelta

    # The agreement 24 days ago; the evaluation three weeks later, a few days ago; the
    # next evaluation three weeks after that, each on a school day of the school.
    calendar = SchoolCalendar.for_school(group.school_id, today - days(60), today + days(60))

    def school_day(day: dt.date) -> dt.date:
        return calendar.school_day_on_or_after(day) or day

    agreed_on = school_day(today - days(24))
    evaluated_on = school_day(agreed_on + days(21))
    next_evaluation = school_day(evaluated_on + days(21))
    opened = agreed_on - days(12)

    case = open_case(
        pupil,
        school=group.school,
        concern="Fraværet har økt siden skolestart; hun kommer ofte ikke i gang om morgenen "
        "og blir hjemme hele dager.",
        by=owner,
        now=_at(opened, 9),
    )
    log_conversation(
        case,
        held_on=opened + days(1),
        with_whom=Conversation.With.BOTH,
        medium=Conversation.Medium.MEETING,
        answers={
            "pupil_difficult": "Vet ikke hva som skal skje i timene, og blir nervøs av det.",
            "guardian_thriving": "Morgenene er kaotiske; hun klarer ikke å gå ut døra.",
        },
        summary="Bekymringen er reell. Vi går til nivå 1 og lager en plan sammen.",
        by=owner,
        now=_at(opened + days(1), 15),
    )
    case.refresh_from_db()
    case = change_level(
        case,
        to=Level.NIVA_1,
        by=owner,
        reason="Samtalen bekreftet bekymringen.",
        version=case.version,
        now=_at(opened + days(2), 12),
    )
    record_mapping(
        case,
        kind=Mapping.Kind.CAUSES,
        by=owner,
        basis="owner",
        school="Vet ikke hva klassen jobber med; vikar i matematikk og naturfag.",
        home="Foreldrene jobber tidlig; morgenene blir stressende.",
        leisure="Tegner mye og liker biblioteket.",
        pupil_area="Blir lett nervøs hvis hun ikke har oversikt.",
        maintaining_factors="Jo mer hun er borte, jo mindre vet hun om hva som skjer i timene.",
        worth_going_for="Bestevennen i klassen, og biblioteket.",
        now=_at(opened + days(3), 13),
    )
    meeting = schedule_meeting(
        case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=_at(agreed_on, 14),
        place="Møterom 2, Fjordvik barneskole",
        guardians=guardians,
        staff=[owner],
        by=owner,
        now=_at(opened + days(3), 14),
    )
    mark_meeting_held(
        meeting,
        pupil_view="Det er lettere å starte dagen i biblioteket enn i klasserommet. "
        "Jeg vil vite hva som skal skje.",
        minutes="Vi ble enige om en samarbeidsavtale etter modellen elev–foresatte–skole: "
        "oppmøte i biblioteket kl. 09.30 hver dag, foreldrene følger, læreren møter henne "
        "der og sender ukeplan. Evaluering om tre uker.",
        by=owner,
        version=meeting.version,
        now=_at(agreed_on, 15, 30),
    )

    agreeing = _at(agreed_on, 15)
    v1 = start_agreement(case, by=owner, now=_at(agreed_on, 14, 30))
    _fill_draft(v1, owner=owner, starts_on=agreed_on, evaluation_date=evaluated_on, now=agreeing)
    v1 = agree_version(
        v1,
        agreed_on=agreed_on,
        pupil_took_part=True,
        guardians=guardians,
        staff=[owner],
        by=owner,
        now=agreeing,
    )

    evaluating = _at(evaluated_on, 15)
    case.refresh_from_db()
    record_evaluation(
        case,
        v1,
        held_on=evaluated_on,
        form=Evaluation.Form.MEETING,
        pupil_view="Det hjelper at læreren venter i biblioteket. Ukeplanen i kalenderen gjør "
        "at jeg vet hva som kommer.",
        guardian_view="Morgenene er roligere. Mandagene er fortsatt tunge.",
        goal_results={
            goal.pk: Review(result, why)
            for goal, (result, why) in zip(
                v1.goals.all(),
                [("reached", "Møtte fire av fem dager to uker på rad."), ("partly", "")],
                strict=True,
            )
        },
        measure_results={
            m.pk: Review(MeasureReview.Result.WORKED, "Gjennomført som avtalt.")
            for m in v1.measures.all()
        },
        outcome=Evaluation.Outcome.CONTINUE,
        outcome_reason="Oppmøtet er bedre, men målet om to timer i klassen er ikke nådd ennå. "
        "Vi fortsetter planen i tre uker til, med ett trinn mer i oppmøteplanen.",
        next_evaluation_date=next_evaluation,
        by=owner,
        now=evaluating,
    )

    v2 = draft_next_version(
        v1,
        by=owner,
        now=_at(evaluated_on, 15, 15),
        change_reason="Evalueringen: fortsett planen med ny evalueringsdato og ett trinn mer "
        "i oppmøteplanen.",
    )
    save_draft(
        v2,
        revision=v2.revision,
        by=owner,
        now=_at(evaluated_on, 15, 20),
        evaluation_date=next_evaluation,
    )
    for goal in v2.goals.all():
        # The goals carry on to the next evaluation date.
        save_goal(
            v2,
            revision=v2.revision,
            by=owner,
            now=_at(evaluated_on, 15, 20),
            goal=goal,
            text=goal.text,
            target_date=next_evaluation,
        )
    add_attendance_step(
        v2,
        revision=v2.revision,
        by=owner,
        now=_at(evaluated_on, 15, 20),
        starts_on=evaluated_on + dt.timedelta(days=3),
        description="Hele skoledagen",
    )
    agree_version(
        v2,
        agreed_on=evaluated_on,
        pupil_took_part=True,
        guardians=guardians,
        staff=[owner],
        by=owner,
        now=_at(evaluated_on, 15, 30),
    )
    case.refresh_from_db()
    return case
