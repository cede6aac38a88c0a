"""Small factories for test data that many test modules share: absence records, flags
(raised, acknowledged, cleared) and inbox messages, contacts with the home, scans, and
cases' consents, conversations and levels. Personas (users,
schools, classes, pupils) are fixtures in `tests/conftest.py`."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.actions.consent import record_consent
from cases.errors import CaseRuleError
from cases.models import Case, Consent, Conversation, Service
from fravaer.actions import AbsenceInput, apply_absence_changes, scan_absence
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Flag,
    Group,
    NonSchoolDay,
    Notification,
    Pupil,
    RuleSetting,
)
from fravaer.scan import Scope
from tests.conftest import TODAY, make_pupil

MONDAY, TUESDAY = dt.date(2026, 11, 16), dt.date(2026, 11, 17)  # the week of TODAY
CONTACT = {"channel": "phone", "summary": "Mor ringte", "outcome": "clarified"}


def give(case, by, *, service=Service.PPT, given_on=TODAY, **extra) -> Consent:
    return record_consent(
        case,
        service=service,
        purpose="Kartlegging og tiltak",
        guardians=case.pupil.guardians.all(),
        given_on=given_on,
        by=by,
        **extra,
    )


def refused(code: str, fn, *args, **kwargs) -> CaseRuleError:
    with pytest.raises(CaseRuleError) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code
    return exc.value


_keys = itertools.count(1)


def make_flag(pupil, rule="month_days", *, status="active", raised_at=None, **extra) -> Flag:
    enrollment = Enrollment.objects.select_related("group").filter(pupil=pupil).first()
    group = enrollment.group
    defaults = {
        "period_key": f"2026-{next(_keys)}",
        "period_start": dt.date(2026, 11, 1),
        "period_end": dt.date(2026, 11, 18),
        "value": Decimal(4),
        "threshold": Decimal(3),
        "as_of": dt.date(2026, 11, 18),
        "raised_at": raised_at or timezone.now(),
    }
    defaults.update(extra)
    return Flag.objects.create(
        pupil=pupil, school=group.school, group=group, rule=rule, status=status, **defaults
    )


def acknowledged_flag(pupil, rule="month_days", *, by, reason: str) -> Flag:
    """A flag `by` acknowledged now with `reason`."""
    return make_flag(
        pupil,
        rule,
        status="acknowledged",
        acknowledged_by=by,
        acknowledged_at=timezone.now(),
        acknowledgement=reason,
    )


def cleared_flag(pupil, cause: str = "", by=None, **extra) -> Flag:
    """An undocumented flag cleared now, with `cause` (and who) kept as a scan or a
    contact keeps them; no cause: cleared before causes were kept."""
    details = {"cleared_cause": cause, "cleared_by": by.pk if by else None} if cause else {}
    return make_flag(
        pupil,
        "undocumented",
        status="cleared",
        cleared_at=timezone.now(),
        details=details,
        **extra,
    )


def undocumented_flag(pupil, record) -> Flag:
    return Flag.objects.get(pupil=pupil, rule="undocumented", record=record)


def scan(school):
    return scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY)


def at(hour: int, day: dt.date = TODAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def logged_elsewhere(
    pupil, by, hour: int, outcome: str = "clarified", counterpart: str = "guardian"
) -> ContactLog:
    """A contact written without `log_contact` (an import, the admin) at `hour` today:
    only the scan clears the flags it answers."""
    return ContactLog.objects.create(
        pupil=pupil,
        contacted_at=at(hour),
        counterpart=counterpart,
        logged_by=by,
        logged_at=at(hour),
        **{**CONTACT, "outcome": outcome},
    )


def notify(user, *flags, read=False, created_at=None) -> Notification:
    """One inbox message listing these flags, as a scan writes it."""
    now = timezone.now()
    return Notification.objects.create(
        user=user,
        flag_ids=sorted(f.pk for f in flags),
        created_at=created_at or now,
        read_at=now if read else None,
    )


def absence(pupil, day, by, kind="day", documented=False, code=None, **extra):
    reason = AbsenceReason.objects.get(
        municipality=pupil.municipality,
        code=code or ("illness" if documented else "unknown"),
    )
    data = AbsenceInput(kind=kind, documented=documented, reason=reason, **extra)
    return apply_absence_changes(creates=[(pupil, day, data)], by=by).created[0]


def conversation(case, by):
    return Conversation.objects.create(
        case=case,
        held_on=TODAY,
        with_whom=Conversation.With.BOTH,
        medium=Conversation.Medium.PHONE,
        recorded_by=by,
        recorded_at=timezone.now(),
    )


def consent(case, by, **extra):
    values = {"service": "ppt", "purpose": "Tverrfaglig samarbeid", "given_on": TODAY}
    values.update(extra)
    return Consent.objects.create(case=case, recorded_by=by, recorded_at=timezone.now(), **values)


def at_level(case, level, *, ready=True, by=None):
    """Put the case on `level` (test setup) with every requirement of every move met."""
    if ready:
        conversation(case, by or case.owner)
        consent(case, by or case.owner)
        Case.objects.filter(pk=case.pk).update(
            level=level, coordinator=case.owner, leaders_informed_at=timezone.now()
        )
    else:
        Case.objects.filter(pk=case.pk).update(level=level)
    case.refresh_from_db()
    return case


def saved_before_the_ranges(municipality, admin) -> RuleSetting:
    """A threshold outside today's range (5 alternate weeks; the scan reads 8 weeks),
    saved before the ranges existed."""
    from django.utils import timezone

    return RuleSetting.objects.create(
        municipality=municipality,
        rule="pattern_alternate_week",
        enabled=True,
        threshold=Decimal(5),
        updated_by=admin,
        updated_at=timezone.now(),
    )


def weekdays(start, n):
    day, out = start, []
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def make_deadline(case, due: dt.date, kind: str = "level1_meeting"):
    """A pending deadline of `kind` on the case, due on `due` (test setup)."""
    from cases.models import Deadline

    return Deadline.objects.create(case=case, kind=kind, due=due, created_at=timezone.now())


def running_team_meeting(school, by, *participants, held_on=TODAY):
    """A team meeting at the school started now by `by`, present `by` and the others."""
    from cases.actions.team_meeting import start_team_meeting

    return start_team_meeting(school, held_on=held_on, participants=[by, *participants], by=by)


def raw_record(pupil, day, by, kind="day", *, lessons=None, deleted=False, documented=False):
    """An absence record written straight to the table (no scan, no flags), for
    figures computed by hand. `deleted`: removed since."""
    from fravaer.models import AbsenceRecord

    now = timezone.now()
    return AbsenceRecord.objects.create(
        pupil=pupil,
        date=day,
        kind=kind,
        lessons=lessons,
        documented=documented,
        reason=AbsenceReason.objects.get(municipality=pupil.municipality, code="unknown"),
        registered_by=by,
        registered_at=now,
        deleted_at=now if deleted else None,
        deleted_by=by if deleted else None,
    )


def moved_class(pupil, new_group, *, last_day):
    """The pupil leaves their class after `last_day` and joins `new_group` the day after."""
    Enrollment.objects.filter(pupil=pupil, end__isnull=True).update(end=last_day)
    return Enrollment.objects.create(
        pupil=pupil, group=new_group, start=last_day + dt.timedelta(days=1)
    )


def rollup_cells(**filters) -> dict:
    """The monthly rollup as {(school_id, month, grade, metric, key): (value, pupils)}."""
    from fravaer.models import MonthlyRollup

    return {
        (r.school_id, r.month, r.grade, r.metric, r.key): (r.value, r.pupils)
        for r in MonthlyRollup.objects.filter(**filters)
    }


def rollup_row(school, month, metric, key, value, pupils, grade=0, base=0):
    """One hand-made figure of the monthly rollup."""
    from fravaer.models import MonthlyRollup

    return MonthlyRollup.objects.create(
        school=school,
        month=month,
        grade=grade,
        metric=metric,
        key=key,
        value=value,
        pupils=pupils,
        base=base,
        computed_at=timezone.now(),
    )


def rollup_absence(school, month, grade, *, absent, school_time, pupils):
    """A grade's absence in the rollup (absent lessons of school lessons, `pupils`)."""
    rollup_row(school, month, "absence", "absent_lessons", absent, pupils, grade, school_time)


def case_at(pupil, school, owner, *, opened, level="0", closed=None, moves=()):
    """A case written straight to the tables, opened on `opened` (noon) at nivå 0,
    moved by `moves` ((date, from, to), ...) to `level`, and closed on `closed`."""
    from cases.models import CaseEvent

    def noon(day):
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

    case = Case.objects.create(
        pupil=pupil,
        school=school,
        owner=owner,
        concern="Bekymring",
        opened_by=owner,
        opened_at=noon(opened),
        level=level,
        status="closed" if closed else "open",
        closed_at=noon(closed) if closed else None,
        close_reason="measures_worked" if closed else "",
    )
    CaseEvent.objects.create(case=case, kind="opened", at=noon(opened), level_to="0")
    for day, level_from, level_to in moves:
        CaseEvent.objects.create(
            case=case, kind="level_changed", at=noon(day), level_from=level_from, level_to=level_to
        )
    if closed:
        CaseEvent.objects.create(case=case, kind="closed", at=noon(closed))
    return case


def agreed_plan(case, by, *, agreed_on, level="1"):
    """An agreed plan version (version 1) of the case, agreed on `agreed_on`."""
    from plans.models import Agreement, PlanVersion

    agreement = Agreement.objects.create(case=case, created_by=by, created_at=timezone.now())
    return PlanVersion.objects.create(
        agreement=agreement,
        number=1,
        status="agreed",
        level=level,
        agreed_on=agreed_on,
        agreed_by=by,
        agreed_at=timezone.now(),
        created_by=by,
        created_at=timezone.now(),
    )


def evaluation(version, by, *, held_on, outcome):
    from plans.models import Evaluation

    return Evaluation.objects.create(
        case=version.agreement.case,
        version=version,
        held_on=held_on,
        form="meeting",
        pupil_view="Bedre",
        outcome=outcome,
        outcome_reason="Grunn",
        recorded_by=by,
        recorded_at=timezone.now(),
    )


# --- the monthly overview ------------------------------------------------------------

OCTOBER = dt.date(2026, 10, 1)  # 22 weekdays; with the planning day, 21 school days
PLANNING_DAY = dt.date(2026, 10, 2)


def move_class(pupil, to_group, *, on: dt.date) -> None:
    """The pupil leaves their class the day before `on` and joins `to_group` on `on`."""
    Enrollment.objects.filter(pupil=pupil, end__isnull=True).update(end=on - dt.timedelta(days=1))
    Enrollment.objects.create(pupil=pupil, group=to_group, start=on)


def class_comment(group, by, *, month=OCTOBER, text="Mye sykdom i klassen."):
    from fravaer.actions.overviews import save_class_comment

    return save_class_comment(group, month=month, text=text, by=by)


@dataclass
class OctoberScene:
    """Small fixed data for the monthly overview of October 2026 (see
    `october_scene`)."""

    stayer: Pupil
    mover: Pupil
    quiet: Pupil
    second: Group


def october_scene(group, leader) -> OctoberScene:
    """October 2026 at `group`'s school, with a planning day on Friday 2 October:

    - `stayer` in `group` (5 lessons a day) all month: whole days on 5 October
      (undocumented) and 6 October (illness), 2 lessons on 7 October (illness), late
      on 8 October (undocumented), a whole day on 9 October that was removed, and a
      whole day in September;
    - `mover` in `group` until 14 October, then in `second` (grade 8, 6 lessons):
      whole days on 12 October (in `group`) and 20 October (in `second`), 3 lessons
      on 21 October;
    - `quiet` in `group`, no absence.
    """
    school = group.school
    NonSchoolDay.objects.create(
        school=school, date=PLANNING_DAY, kind="planning", name="Planleggingsdag"
    )
    second = Group.objects.create(
        school=school, school_year=group.school_year, name="8A", grade=8, lessons_per_day=6
    )
    stayer = _pupil(group, "Ola", "Aas")
    mover = _pupil(group, "Per", "Berg")
    quiet = _pupil(group, "Siri", "Dahl")
    move_class(mover, second, on=dt.date(2026, 10, 15))
    absence(stayer, dt.date(2026, 10, 5), leader)
    absence(stayer, dt.date(2026, 10, 6), leader, documented=True)
    absence(stayer, dt.date(2026, 10, 7), leader, kind="lesson", lessons=2, documented=True)
    absence(stayer, dt.date(2026, 10, 8), leader, kind="late")
    removed = absence(stayer, dt.date(2026, 10, 9), leader)
    AbsenceRecord.objects.filter(pk=removed.pk).update(deleted_at=timezone.now(), deleted_by=leader)
    absence(stayer, dt.date(2026, 9, 15), leader)
    absence(mover, dt.date(2026, 10, 12), leader)
    absence(mover, dt.date(2026, 10, 20), leader)
    absence(mover, dt.date(2026, 10, 21), leader, kind="lesson", lessons=3)
    return OctoberScene(stayer, mover, quiet, second)


def _pupil(group, first, last) -> Pupil:
    return make_pupil(group, first=first, last=last)


def chart_version(case, by, *, agreed_on, number=1, status="agreed"):
    """An agreed (or superseded) version of the case's plan (test setup, without the
    plan actions): the agreement is made on first use."""
    from plans.models import Agreement, PlanVersion

    agreement, _ = Agreement.objects.get_or_create(
        case=case, defaults={"created_by": by, "created_at": timezone.now()}
    )
    return PlanVersion.objects.create(
        agreement=agreement,
        number=number,
        status=status,
        level=case.level,
        agreed_on=agreed_on,
        created_by=by,
        created_at=timezone.now(),
    )


def plan_measure(version, *, starts_on, ends_on=None, what="Møter i biblioteket kl. 09.30"):
    from plans.models import Measure

    return Measure.objects.create(
        version=version,
        what=what,
        responsible="pupil",
        arena="school",
        starts_on=starts_on,
        ends_on=ends_on,
    )


def held_evaluation(case, version, by, *, held_on, outcome="continue"):
    from plans.models import Evaluation

    return Evaluation.objects.create(
        case=case,
        version=version,
        held_on=held_on,
        form="meeting",
        pupil_view="Bedre",
        outcome=outcome,
        outcome_reason="Delvis",
        recorded_by=by,
        recorded_at=timezone.now(),
    )


# --- measure plans (plans) ------------------------------------------------------------

# The measures `make_plan` adds by default: one per arena but leisure, the last a
# special arrangement with a two-step tapering plan (seed 002's example).
PLAN_MEASURES = (
    {"what": "Møter i biblioteket kl. 09.30 hver dag", "arena": "school", "responsible": "staff"},
    {
        "what": "Følger eleven til biblioteket og installerer kalenderapp",
        "arena": "home",
        "responsible": "guardians",
    },
    {
        "what": "Kortere skoledag i en periode",
        "arena": "pupil",
        "responsible": "pupil",
        "special_arrangement": True,
    },
)


def make_plan(case, *, by=None, measures=PLAN_MEASURES, goals=1, agreed=True, agreed_on=None):
    """A cooperation agreement with one version on `case` (moved to nivå 1 first if it
    is below), written through the plan actions: a long-term goal, `goals` short-term
    goals, `measures` (dicts of `Measure` fields, or a number of plain school measures;
    the responsible staff member is `by`), a tapering step on each special arrangement,
    a Monday in the attendance plan, and, when `agreed`, agreed today with the pupil and
    the guardians. Returns the version."""
    from plans.actions.versions import (
        add_tapering_step,
        agree_version,
        save_attendance_day,
        save_draft,
        save_goal,
        save_measure,
        start_agreement,
    )

    by = by or case.owner
    if case.level not in ("1", "2A", "2B"):
        at_level(case, "1", by=by)
    version = start_agreement(case, by=by)
    save_draft(
        version,
        revision=version.revision,
        by=by,
        long_term_goal="Eleven går på skolen hver dag og trives.",
        contact_who="Kontaktlærer",
        contact_how="Telefon",
        contact_how_often="Hver fredag",
    )
    for n in range(goals):
        save_goal(
            version,
            revision=version.revision,
            by=by,
            text=f"Eleven møter til første time {3 + n} dager i uka",
            target_date=TODAY + dt.timedelta(days=21 + n),
        )
    if isinstance(measures, int):
        measures = [
            {"what": f"Tiltak {n + 1}", "arena": "school", "responsible": "staff"}
            for n in range(measures)
        ]
    for spec in measures:
        values = {"starts_on": TODAY, **spec}
        if values["responsible"] == "staff":
            values.setdefault("responsible_staff", by)
        measure = save_measure(version, revision=version.revision, by=by, **values)
        if measure.special_arrangement:
            for weeks, text in ((0, "Skoledag til kl. 12"), (2, "Skoledag til kl. 13.30")):
                add_tapering_step(
                    version,
                    revision=version.revision,
                    by=by,
                    measure=measure,
                    starts_on=TODAY + dt.timedelta(weeks=weeks),
                    description=text,
                )
    save_attendance_day(
        version,
        revision=version.revision,
        by=by,
        weekday=0,
        starts_at=dt.time(9, 30),
        place="Biblioteket",
        met_by="Kontaktlærer",
    )
    if agreed:
        version = agree_version(
            version,
            agreed_on=agreed_on or TODAY,
            pupil_took_part=True,
            guardians=case.pupil.guardians.all(),
            staff=[by],
            others="",
            by=by,
        )
    return version


def next_plan_version(version, *, by=None, agree=True):
    """The next version of an agreed plan (`draft_next_version`), agreed today when
    `agree`."""
    from plans.actions.versions import agree_version, draft_next_version

    case = version.agreement.case
    by = by or case.owner
    draft = draft_next_version(version, by=by)
    if not agree:
        return draft
    return agree_version(
        draft,
        agreed_on=TODAY,
        pupil_took_part=True,
        guardians=case.pupil.guardians.all(),
        staff=[by],
        by=by,
    )


def agreed_version(
    case,
    *,
    by,
    agreed_on: dt.date,
    goals: int = 1,
    measures: int = 2,
    number: int = 1,
    level: str | None = None,
):
    """An agreed version of the case's plan, written directly with the models (no
    events, no deadline), agreed on `agreed_on` (in the past: the evaluation tests need
    the weeks since), with `goals` short-term goals and `measures` measures (the first
    at school, the next at home, ...). An agreed version before it is superseded."""
    from plans.models import Agreement, Arena, Goal, Measure, PlanVersion

    now = timezone.now()
    agreement, _created = Agreement.objects.get_or_create(
        case=case, defaults={"created_by": by, "created_at": now}
    )
    PlanVersion.objects.filter(agreement=agreement, status=PlanVersion.Status.AGREED).update(
        status=PlanVersion.Status.SUPERSEDED
    )
    version = PlanVersion.objects.create(
        agreement=agreement,
        number=number,
        status=PlanVersion.Status.AGREED,
        level=level or case.level,
        long_term_goal="Eleven er på skolen hver dag.",
        evaluation_date=agreed_on + dt.timedelta(days=21),
        agreed_on=agreed_on,
        agreed_by=by,
        agreed_at=now,
        pupil_took_part=True,
        created_by=by,
        created_at=now,
    )
    Goal.objects.bulk_create(
        Goal(
            version=version,
            text=f"Delmål {i + 1}: møter til første time",
            target_date=agreed_on + dt.timedelta(days=21),
            order=i,
        )
        for i in range(goals)
    )
    arenas = list(Arena.values)
    Measure.objects.bulk_create(
        Measure(
            version=version,
            what=f"Tiltak {i + 1}: møtes i biblioteket kl. 09.30",
            responsible=Measure.Responsible.STAFF,
            responsible_staff=by,
            arena=arenas[i % len(arenas)],
            starts_on=agreed_on,
            order=i,
        )
        for i in range(measures)
    )
    return version


# --- plans' documents (tests/plans/test_documents*.py, the PDF benchmark's shape) ---------
# Built on the models directly, so the documents can be tested apart from the plan
# editor's and the evaluations' actions.


def make_document_case(pupil, *, by, concern="Mye fravær på mandager.", level="1"):
    """An open case on `level` with a cause mapping, owned by `by`."""
    from cases.actions.core import open_case
    from cases.models import Mapping

    enrollment = pupil.enrollments.select_related("group__school").first()
    case = open_case(pupil, school=enrollment.group.school, concern=concern, by=by)
    Case.objects.filter(pk=case.pk).update(level=level)
    case.refresh_from_db()
    Mapping.objects.create(
        case=case,
        kind=Mapping.Kind.CAUSES,
        school="Gruer seg til matematikk.",
        home="Travle morgener.",
        maintaining_factors="Henger etter i matematikk.",
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    return case


DOCUMENT_ARENAS = ["school", "home", "pupil", "leisure"]


def make_document_version(
    case,
    *,
    by,
    number=1,
    status="agreed",
    measures=3,
    goals=2,
    based_on=None,
    agreed_on=TODAY,
    **extra,
):
    """A version of the case's agreement with `goals` goals and `measures` measures on
    the arenas in turn, the first a special arrangement with two tapering steps, and an
    attendance plan Monday to Friday."""
    from plans.models import (
        Agreement,
        AttendanceDay,
        AttendanceStep,
        Goal,
        Measure,
        PlanVersion,
        TaperingStep,
    )

    now = timezone.now()
    agreement, _ = Agreement.objects.get_or_create(
        case=case, defaults={"created_by": by, "created_at": now}
    )
    values = {
        "long_term_goal": "Være på skolen hele dagen, hver dag.",
        "contact_who": "Kontaktlæreren",
        "contact_how": "Telefon",
        "contact_how_often": "Hver fredag",
        "evaluation_date": TODAY + dt.timedelta(days=21),
        "agreed_on": agreed_on if status != "draft" else None,
        "pupil_took_part": status != "draft",
    }
    values.update(extra)
    version = PlanVersion.objects.create(
        agreement=agreement,
        number=number,
        status=status,
        level=case.level,
        based_on=based_on,
        created_by=by,
        created_at=now,
        **values,
    )
    if status != "draft":
        version.guardians.set(case.pupil.guardians.all())
        version.staff.set([by])
    for i in range(goals):
        Goal.objects.create(
            version=version,
            text=f"Delmål {i + 1}: møte presis",
            target_date=TODAY + dt.timedelta(days=14 + i),
            order=i,
        )
    for i in range(measures):
        measure = Measure.objects.create(
            version=version,
            what=f"Tiltak {i + 1}",
            responsible=["staff", "guardians", "pupil", "service"][i % 4],
            responsible_staff=by if i % 4 == 0 else None,
            responsible_service="school_nurse" if i % 4 == 3 else "",
            arena=DOCUMENT_ARENAS[i % 4],
            when="Hver dag kl. 09.30",
            where="Biblioteket",
            starts_on=TODAY,
            ends_on=TODAY + dt.timedelta(days=42),
            special_arrangement=i == 0,
            order=i,
        )
        if i == 0:
            for week in range(2):
                TaperingStep.objects.create(
                    measure=measure,
                    starts_on=TODAY + dt.timedelta(days=7 * week),
                    description=f"Trinn {week + 1}: {week + 1} timer",
                )
    for weekday in range(5):
        AttendanceDay.objects.create(
            version=version,
            weekday=weekday,
            starts_at=dt.time(9, 30),
            place="Biblioteket",
            met_by="Kontaktlæreren",
        )
    AttendanceStep.objects.create(version=version, starts_on=TODAY, description="En time")
    return version


def _period(start, end, absent_lessons):
    return {
        "start": start,
        "end": end,
        "school_days": 20,
        "days": absent_lessons // 5,
        "hours": absent_lessons % 5,
        "late": 2,
        "absent_lessons": absent_lessons,
        "scheduled_lessons": 100,
    }


DOCUMENT_EFFECT = {
    "agreed_on": "2026-10-05",
    "until": "2026-10-30",
    "lessons_per_day": 5,
    "before": _period("2026-09-07", "2026-10-02", 25),
    "since": _period("2026-10-05", "2026-10-30", 10),
    "change": -15.0,
}


def make_document_evaluation(case, version, *, by, outcome="continue", effect=None):
    """An evaluation of `version` judging each goal and measure, with an effect."""
    from plans.models import Evaluation, GoalReview, MeasureReview

    evaluation = Evaluation.objects.create(
        case=case,
        version=version,
        held_on=TODAY,
        form=Evaluation.Form.MEETING,
        pupil_view="Det er lettere når læreren venter i biblioteket.",
        guardian_view="Morgenene er roligere.",
        outcome=outcome,
        outcome_reason="Fraværet har gått ned, men ikke nok.",
        next_evaluation_date=TODAY + dt.timedelta(days=21),
        effect=effect if effect is not None else DOCUMENT_EFFECT,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    for goal in version.goals.all():
        GoalReview.objects.create(evaluation=evaluation, goal=goal, result="partly", why="Nesten")
    for measure in version.measures.all():
        MeasureReview.objects.create(
            evaluation=evaluation, measure=measure, result="did_not_work", why="Ble ikke gjort"
        )
    return evaluation


def make_held_meeting(case, *, by, minutes="Vi ble enige om oppmøte i biblioteket."):
    from cases.models import Meeting

    meeting = Meeting.objects.create(
        case=case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=timezone.now() - dt.timedelta(days=1),
        place="Møterom 2",
        status=Meeting.Status.HELD,
        pupil_view="Vil gjerne starte dagen i biblioteket.",
        minutes=minutes,
        scheduled_by=by,
        scheduled_at=timezone.now() - dt.timedelta(days=7),
        held_recorded_at=timezone.now(),
    )
    meeting.guardians.set(case.pupil.guardians.all())
    meeting.staff.set([by])
    return meeting


def attendance_contact_at(school, username="naervaer@nordby.no"):
    """A nærværskontakt at `school` (a staff role, no teaching)."""
    from fravaer.models import StaffRole
    from tests.conftest import make_user

    user = make_user(username)
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user
