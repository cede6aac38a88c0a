"""The cooperation agreement and its plan versions: start, save a draft (the plan's
own fields, goals, measures, tapering steps, the attendance plan), agree, and draft
the next version.

A draft is edited by several people: every save carries the `revision` the user saw,
and a conditional `UPDATE … WHERE revision = seen AND status = draft` refuses a stale
one (`PlanChanged`) or an edit of a version no longer a draft, so nothing is
overwritten silently. An agreed version is never edited: `draft_next_version` copies it.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access import case_viewers
from cases.actions.deadlines import set_deadline
from cases.actions.timeline import add_event
from cases.deadlines import due_on_school_day
from cases.models import Case, CaseEvent, Consent
from fravaer.models import Guardian, User
from fravaer.schooldays import SEARCH_LIMIT_DAYS, SchoolCalendar
from plans import queries, rules
from plans.errors import PlanChanged, PlanRuleError
from plans.models import (
    Agreement,
    AttendanceDay,
    AttendanceStep,
    Goal,
    Measure,
    PlanVersion,
    TaperingStep,
)

# The plan's own fields a draft save may change.
DRAFT_FIELDS = (
    "long_term_goal",
    "contact_who",
    "contact_how",
    "contact_how_often",
    "evaluation_date",
    "activity_plan_ref",
    "attendance_note",
    "change_reason",
)
MEASURE_FIELDS = (
    "what",
    "responsible",
    "responsible_staff",
    "responsible_service",
    "arena",
    "when",
    "where",
    "starts_on",
    "ends_on",
    "special_arrangement",
    "reuse_reason",
)


def reuse_reason_message() -> str:
    return _(
        "Eleven skal ikke utsettes igjen og igjen for tiltak som ikke virker: forklar hvorfor "
        "tiltaket brukes igjen."
    )


# --- shared checks ------------------------------------------------------------------------


def _check_case_allows_plan(case: Case) -> None:
    if not case.is_open:
        raise PlanRuleError(
            _("Saken er avsluttet. En avsluttet sak får ingen ny tiltaksplan."),
            code="plan_case_closed",
        )
    if case.level not in rules.PLAN_LEVELS:
        raise PlanRuleError(
            _("Samarbeidsavtalen med tiltaksplan lages fra nivå 1. Flytt saken til nivå 1 først."),
            code="plan_level_too_low",
        )


def _bump(version: PlanVersion, revision: int | None) -> None:
    """Claim the draft for this save: it must still be a draft and, when `revision` is
    given, unchanged since the user loaded it."""
    if not Case.objects.open().filter(agreement__versions=version).exists():
        raise PlanRuleError(
            _("Saken er avsluttet. Utkastet kan ikke endres."), code="plan_case_closed"
        )
    qs = PlanVersion.objects.filter(pk=version.pk, status=PlanVersion.Status.DRAFT)
    if revision is not None:
        qs = qs.filter(revision=revision)
    if not qs.update(revision=F("revision") + 1):
        status = PlanVersion.objects.values_list("status", flat=True).get(pk=version.pk)
        if status != PlanVersion.Status.DRAFT:
            raise PlanRuleError(
                _("Denne versjonen er avtalt og kan ikke endres. Lag en ny versjon for å endre."),
                code="plan_not_draft",
            )
        raise PlanChanged()
    version.revision = PlanVersion.objects.values_list("revision", flat=True).get(pk=version.pk)


def _evaluation_due(case: Case, today: dt.date) -> dt.date:
    return queries.default_evaluation_date(case, today)


def _check_measure(version: PlanVersion, values: dict, today: dt.date) -> dict:
    """Clean a measure's values by its `responsible`: a named staff member among those
    who may open the case; a service with a consent in force; nothing extra otherwise."""
    values = {**values}
    case = version.agreement.case
    responsible = values.get("responsible")
    if responsible != Measure.Responsible.STAFF:
        values["responsible_staff"] = None
    if responsible != Measure.Responsible.SERVICE:
        values["responsible_service"] = ""
    if responsible == Measure.Responsible.STAFF:
        staff = values.get("responsible_staff")
        if staff is None or not case_viewers(case, today).filter(pk=staff.pk).exists():
            raise PlanRuleError(
                _("Velg en ansatt som har tilgang til saken."), code="measure_staff_required"
            )
    if responsible == Measure.Responsible.SERVICE:
        service = values.get("responsible_service")
        if (
            not service
            or not Consent.objects.in_force(today).filter(case=case, service=service).exists()
        ):
            raise PlanRuleError(
                _(
                    "En tjeneste kan bare være ansvarlig når det finnes et samtykke i kraft "
                    "for den. Registrer samtykket på saken først."
                ),
                code="measure_service_needs_consent",
            )
    ends_on = values.get("ends_on")
    if ends_on is not None and ends_on < values["starts_on"]:
        raise PlanRuleError(_("«Til» kan ikke være før «fra»."), code="measure_ends_before_start")
    if not values.get("special_arrangement"):
        values["special_arrangement"] = False
    return values


# --- starting the agreement -------------------------------------------------------------


def start_agreement(case: Case, *, by: User, now: dt.datetime | None = None) -> PlanVersion:
    """Create the case's agreement and its draft version 1, with the § 12-5 reference
    and the default evaluation date filled in."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _check_case_allows_plan(case)
        if Agreement.objects.filter(case=case).exists():
            raise PlanRuleError(
                _("Saken har allerede en samarbeidsavtale."), code="plan_agreement_exists"
            )
        agreement = Agreement.objects.create(case=case, created_by=by, created_at=now)
        return PlanVersion.objects.create(
            agreement=agreement,
            number=1,
            level=case.level,
            activity_plan_ref=case.activity_plan_ref,
            evaluation_date=_evaluation_due(case, timezone.localdate(now)),
            created_by=by,
            created_at=now,
        )


# --- saving a draft -----------------------------------------------------------------------


def save_draft(
    version: PlanVersion, *, revision: int, by: User, now: dt.datetime | None = None, **fields
) -> PlanVersion:
    """Save the plan's own fields (`DRAFT_FIELDS`) on a draft."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise TypeError(f"not a draft field: {sorted(unknown)}")
    with transaction.atomic():
        _bump(version, revision)
        for name, value in fields.items():
            setattr(version, name, value)
        version.save(update_fields=[*fields])
    return version


def save_goal(
    version: PlanVersion,
    *,
    revision: int,
    by: User,
    text: str,
    target_date: dt.date,
    goal: Goal | None = None,
    now: dt.datetime | None = None,
) -> Goal:
    """Add a short-term goal, or change one (`goal`)."""
    if not text.strip():
        raise PlanRuleError(_("Skriv delmålet."), code="goal_text_required")
    if goal is not None and goal.version_id != version.pk:
        raise PlanRuleError(_("Delmålet finnes ikke i dette utkastet."), code="goal_not_in_draft")
    # A goal carried over from an earlier version keeps its date; a new date is ahead.
    if target_date < timezone.localdate(now) and (goal is None or goal.target_date != target_date):
        raise PlanRuleError(
            _("Måldatoen kan ikke være passert. Velg i dag eller en dato fram i tid."),
            code="goal_target_in_past",
        )
    with transaction.atomic():
        _bump(version, revision)
        if goal is None:
            order = version.goals.count()
            return Goal.objects.create(
                version=version, text=text, target_date=target_date, order=order
            )
        goal.text, goal.target_date = text, target_date
        goal.save(update_fields=["text", "target_date"])
        return goal


def save_measure(
    version: PlanVersion,
    *,
    revision: int,
    by: User,
    measure: Measure | None = None,
    now: dt.datetime | None = None,
    **fields,
) -> Measure:
    """Add a measure, or change one (`measure`). A measure that continues one an
    evaluation found not working needs a reason to be used again."""
    now = now or timezone.now()
    values = _check_measure(version, fields, timezone.localdate(now))
    if measure is not None and measure.version_id != version.pk:
        raise PlanRuleError(
            _("Tiltaket finnes ikke i dette utkastet."), code="measure_not_in_draft"
        )
    continues_id = measure.continues_id if measure is not None else None
    if (
        continues_id in queries.failed_measure_ids(version.agreement_id)
        and not (values.get("reuse_reason") or "").strip()
    ):
        raise PlanRuleError(reuse_reason_message(), code="measure_reuse_reason_required")
    with transaction.atomic():
        _bump(version, revision)
        if measure is None:
            measure = Measure(version=version, order=version.measures.count())
        for name, value in values.items():
            setattr(measure, name, value)
        measure.save()
        if not measure.special_arrangement:
            measure.steps.all().delete()
    return measure


def add_tapering_step(
    version: PlanVersion,
    *,
    revision: int,
    by: User,
    measure: Measure,
    starts_on: dt.date,
    description: str,
    now: dt.datetime | None = None,
) -> TaperingStep:
    if measure.version_id != version.pk:
        raise PlanRuleError(
            _("Tiltaket finnes ikke i dette utkastet."), code="measure_not_in_draft"
        )
    if not measure.special_arrangement:
        raise PlanRuleError(
            _("Bare en midlertidig særordning har nedtrappingsplan."),
            code="step_needs_special_arrangement",
        )
    if starts_on < measure.starts_on:
        raise PlanRuleError(
            _("Trinnet kan ikke starte før tiltaket starter (%(day)s).")
            % {"day": measure.starts_on.strftime("%d.%m.%Y")},
            code="step_outside_measure",
        )
    if measure.ends_on is not None and starts_on > measure.ends_on:
        raise PlanRuleError(
            _("Trinnet kan ikke starte etter at tiltaket slutter (%(day)s).")
            % {"day": measure.ends_on.strftime("%d.%m.%Y")},
            code="step_outside_measure",
        )
    with transaction.atomic():
        _bump(version, revision)
        return TaperingStep.objects.create(
            measure=measure, starts_on=starts_on, description=description
        )


def save_attendance_day(
    version: PlanVersion,
    *,
    revision: int,
    by: User,
    weekday: int,
    starts_at: dt.time,
    place: str,
    met_by: str = "",
    now: dt.datetime | None = None,
) -> AttendanceDay:
    """Set the attendance plan for one weekday (replacing what that day had)."""
    with transaction.atomic():
        _bump(version, revision)
        day, _created = AttendanceDay.objects.update_or_create(
            version=version,
            weekday=weekday,
            defaults={"starts_at": starts_at, "place": place, "met_by": met_by},
        )
        return day


def add_attendance_step(
    version: PlanVersion,
    *,
    revision: int,
    by: User,
    starts_on: dt.date,
    description: str,
    now: dt.datetime | None = None,
) -> AttendanceStep:
    with transaction.atomic():
        _bump(version, revision)
        return AttendanceStep.objects.create(
            version=version, starts_on=starts_on, description=description
        )


REMOVABLE = {
    "goal": (Goal, "version"),
    "measure": (Measure, "version"),
    "tapering_step": (TaperingStep, "measure__version"),
    "attendance_day": (AttendanceDay, "version"),
    "attendance_step": (AttendanceStep, "version"),
}


def remove_item(
    version: PlanVersion,
    *,
    revision: int,
    by: User,
    kind: str,
    item_id: int,
    now: dt.datetime | None = None,
) -> None:
    """Remove a goal, measure, tapering step, attendance day or step from the draft."""
    model, to_version = REMOVABLE[kind]
    item = model.objects.filter(pk=item_id, **{to_version: version})
    # Refused before the revision is claimed, so the caller's `version` stays current.
    if not item.exists():
        raise PlanRuleError(_("Det finnes ikke lenger i utkastet."), code="item_gone")
    with transaction.atomic():
        _bump(version, revision)
        item.delete()


# --- agreeing -------------------------------------------------------------------------------


def missing_to_agree(version: PlanVersion) -> list[tuple[str, str]]:
    """What the draft lacks before it can be agreed, as (code, message)."""
    missing: list[tuple[str, str]] = []
    goals = list(version.goals.all())
    measures = list(version.measures.prefetch_related("steps"))
    if not version.long_term_goal.strip():
        missing.append(("plan_long_term_goal_required", _("Skriv det langsiktige målet.")))
    if not goals:
        missing.append(
            ("plan_goal_required", _("Legg til minst ett delmål, konkret og med måldato."))
        )
    if not measures:
        missing.append(("plan_measure_required", _("Legg til minst ett tiltak.")))
    if version.evaluation_date is None:
        missing.append(("plan_evaluation_date_required", _("Sett evalueringsdato.")))
    for measure in measures:
        if measure.special_arrangement and not measure.steps.all():
            missing.append(
                (
                    "plan_tapering_required",
                    _("Særordningen «%(what)s» trenger en nedtrappingsplan med minst ett trinn.")
                    % {"what": measure.what[:60]},
                )
            )
    failed = queries.failed_measure_ids(version.agreement_id)
    for measure in measures:
        if measure.continues_id in failed and not measure.reuse_reason.strip():
            missing.append(
                (
                    "measure_reuse_reason_required",
                    _("«%(what)s»: %(why)s")
                    % {"what": measure.what[:60], "why": reuse_reason_message()},
                )
            )
    return missing


def agree_version(
    version: PlanVersion,
    *,
    agreed_on: dt.date,
    pupil_took_part: bool,
    guardians,
    staff,
    others: str = "",
    by: User,
    now: dt.datetime | None = None,
    evaluation_date: dt.date | None = None,
) -> PlanVersion:
    """Agree a draft: the version in force until now is superseded, the timeline says
    so, and the evaluation deadline of the case's level starts on the evaluation date
    (moved forward to a school day). `evaluation_date`, when given, replaces the
    draft's (the agree form shows it again, since time passes between drafting and
    agreeing)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    guardians, staff = list(guardians), list(staff)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=version.agreement.case_id)
        _check_case_allows_plan(case)
        version = PlanVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise PlanRuleError(_("Denne versjonen er allerede avtalt."), code="plan_not_draft")
        if evaluation_date is not None:
            version.evaluation_date = evaluation_date
        missing = missing_to_agree(version)
        if missing:
            code, message = missing[0]
            raise PlanRuleError(" ".join(m for _c, m in missing), code=code)
        if agreed_on > today:
            raise PlanRuleError(
                _("Avtaledatoen kan ikke være fram i tid."), code="plan_agreed_in_future"
            )
        if version.evaluation_date <= agreed_on:
            raise PlanRuleError(
                _("Evalueringsdatoen må være etter avtaledatoen."),
                code="plan_evaluation_before_agreement",
            )
        if not (pupil_took_part or guardians or staff or others.strip()):
            raise PlanRuleError(
                _("Oppgi hvem som deltok da planen ble avtalt."), code="plan_participants_required"
            )
        own = set(Guardian.objects.filter(pupils=case.pupil).values_list("pk", flat=True))
        if any(g.pk not in own for g in guardians):
            raise PlanRuleError(_("Velg bare elevens foresatte."), code="plan_guardian_not_pupils")
        viewers = set(case_viewers(case, today).values_list("pk", flat=True))
        if any(u.pk not in viewers for u in staff):
            raise PlanRuleError(
                _("Velg bare ansatte som har tilgang til saken."), code="plan_staff_not_eligible"
            )
        PlanVersion.objects.in_force().filter(agreement_id=version.agreement_id).update(
            status=PlanVersion.Status.SUPERSEDED
        )
        version.status = PlanVersion.Status.AGREED
        version.agreed_on = agreed_on
        version.agreed_by = by
        version.agreed_at = now
        version.pupil_took_part = pupil_took_part
        version.others = others
        version.revision += 1
        version.save(
            update_fields=[
                "status",
                "agreed_on",
                "agreed_by",
                "agreed_at",
                "pupil_took_part",
                "others",
                "revision",
                "evaluation_date",
            ]
        )
        version.guardians.set(guardians)
        version.staff.set(staff)
        add_event(
            case,
            CaseEvent.Kind.PLAN_AGREED,
            by=by,
            now=now,
            text=_("Versjon %(number)s avtalt") % {"number": version.number},
            plan_version=version.pk,
        )
        day = version.evaluation_date
        calendar = SchoolCalendar.for_school(
            case.school_id, day, day + dt.timedelta(days=SEARCH_LIMIT_DAYS)
        )
        set_deadline(
            case,
            rules.EVALUATION_DEADLINE[case.level],
            now=now,
            by=by,
            due=due_on_school_day(calendar, day),
        )
    return version


# --- the next version ---------------------------------------------------------------------


def draft_next_version(
    version: PlanVersion, *, by: User, now: dt.datetime | None = None, change_reason: str = ""
) -> PlanVersion:
    """Copy an agreed version into a new draft (`based_on`), its measures linked to
    those they continue, at the case's current level. Refused while a draft exists
    (the error's `params["draft"]` is that draft)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=version.agreement.case_id)
        _check_case_allows_plan(case)
        version = PlanVersion.objects.get(pk=version.pk)
        if version.status == PlanVersion.Status.DRAFT:
            raise PlanRuleError(
                _("Et utkast kan ikke være grunnlag for en ny versjon."), code="plan_base_is_draft"
            )
        existing = PlanVersion.objects.filter(
            agreement_id=version.agreement_id, status=PlanVersion.Status.DRAFT
        ).first()
        if existing is not None:
            raise PlanRuleError(
                _("Det finnes allerede et utkast (versjon %(number)s). Arbeid videre med det.")
                % {"number": existing.number},
                code="plan_draft_exists",
                params={"draft": existing},
            )
        number = (
            PlanVersion.objects.filter(agreement_id=version.agreement_id)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        ) + 1
        try:
            with transaction.atomic():
                draft = PlanVersion.objects.create(
                    agreement_id=version.agreement_id,
                    number=number,
                    level=case.level,
                    based_on=version,
                    change_reason=change_reason,
                    long_term_goal=version.long_term_goal,
                    contact_who=version.contact_who,
                    contact_how=version.contact_how,
                    contact_how_often=version.contact_how_often,
                    evaluation_date=_evaluation_due(case, timezone.localdate(now)),
                    activity_plan_ref=version.activity_plan_ref or case.activity_plan_ref,
                    attendance_note=version.attendance_note,
                    created_by=by,
                    created_at=now,
                )
        except IntegrityError as exc:  # a draft made in between
            raise PlanRuleError(
                _("Det finnes allerede et utkast. Arbeid videre med det."),
                code="plan_draft_exists",
            ) from exc
        Goal.objects.bulk_create(
            Goal(version=draft, text=g.text, target_date=g.target_date, order=g.order, continues=g)
            for g in version.goals.all()
        )
        for m in version.measures.prefetch_related("steps"):
            copy = Measure.objects.create(
                version=draft,
                continues=m,
                **{name: getattr(m, name) for name in MEASURE_FIELDS if name != "reuse_reason"},
                order=m.order,
            )
            TaperingStep.objects.bulk_create(
                TaperingStep(measure=copy, starts_on=s.starts_on, description=s.description)
                for s in m.steps.all()
            )
        AttendanceDay.objects.bulk_create(
            AttendanceDay(
                version=draft,
                weekday=d.weekday,
                starts_at=d.starts_at,
                place=d.place,
                met_by=d.met_by,
            )
            for d in version.attendance_days.all()
        )
        AttendanceStep.objects.bulk_create(
            AttendanceStep(version=draft, starts_on=s.starts_on, description=s.description)
            for s in version.attendance_steps.all()
        )
    return draft
