"""Consent (samtykke), participants from other services and the referral to PPT.

Involving PPT or any service outside the school needs the guardians' recorded consent
(seeds 000 p. 14 and 004, "Innhent tverrfaglig samtykkeskjema"). Consent is recorded
per service and purpose; the pupil consents too from 15. Grants follow the consent:
withdrawing it ends the referral and the participation that rest on it, and the access
they gave goes in the same transaction (PITFALLS.md, django-guardian).

Every action is one transaction with one `now`, appends a `CaseEvent` for every change
of state and raises `CaseRuleError` with a `code` for every refusal. None of them bumps
the case's version: they add or end rows of their own and overwrite nothing a person
may be editing in the case; the row-level races (two withdrawals, two referrals) are
caught by conditional updates and a unique constraint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import transitions
from cases.actions.grants import end_referral_access
from cases.actions.notifications import notify, notify_each
from cases.actions.timeline import add_event
from cases.errors import CaseRuleError
from cases.models import (
    Case,
    CaseEvent,
    Consent,
    Level,
    Participant,
    Referral,
    Service,
)
from cases.transitions import PUPIL_CONSENT_AGE, age_on, pupil_consent_required, years_after
from fravaer.access import holds_role_at
from fravaer.models import Guardian, Pupil, StaffRole, User

# GP and specialist health services join only in the complex situation, nivå 2B
# ("Fastlegen og spesialisthelsetjenesten kan involveres ved behov", seed 004 nivå 2B).
# Their consent may be recorded earlier; they are added as participants from 2B.
SERVICES_FROM_2B = frozenset({Service.GP, Service.SPECIALIST})

# Participants form the multidisciplinary team of nivå 2A and 2B (seed 004;
# `transitions.allows_participants`).

# Staff accounts that may be linked to a participant of a service, so the person sees
# the case (cases.access reads `Participant.user`).
SERVICE_ROLES: dict[str, str] = {
    Service.SCHOOL_NURSE: StaffRole.Role.SCHOOL_NURSE,
    Service.PPT: StaffRole.Role.PPT_ADVISOR,
}


def active_consent(
    case: Case, service: str, day: dt.date, *, pupil_consented: bool | None = None
) -> Consent | None:
    """The newest consent for `service` in force on `day`, if any (one the pupil gave
    too, with `pupil_consented=True`)."""
    consents = Consent.objects.in_force(day).filter(case=case, service=service)
    if pupil_consented is not None:
        consents = consents.filter(pupil_consented=pupil_consented)
    return consents.order_by("-given_on", "-pk").first()


def consented_services(case: Case, day: dt.date) -> set[str]:
    """The services with a consent in force on `day` (one query)."""
    return set(Consent.objects.in_force(day).filter(case=case).values_list("service", flat=True))


def active_referral(case: Case) -> Referral | None:
    return Referral.objects.filter(case=case, ended_at__isnull=True).first()


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise CaseRuleError(_("Saken er avsluttet. Gjenåpne den først."), code="case_closed")


# --- consent ----------------------------------------------------------------------------


# Consent is normally given for a school year, or until the case ends. Three years
# covers a whole school stage (ungdomsskole, videregående); a later expiry is a typing
# error (2199), and a new consent is recorded when this one runs out.
CONSENT_MAX_YEARS = 3


def given_on_problem(pupil: Pupil, given_on: dt.date, today: dt.date) -> tuple[str, str] | None:
    """(code, message) if a consent cannot have been given on `given_on`."""
    if given_on > today:
        return "consent_date_future", _("Datoen samtykket ble gitt kan ikke være fram i tid.")
    if given_on < pupil.birth_date:
        return "consent_date_before_birth", _(
            "Datoen kan ikke være før eleven ble født (%(born)s)."
        ) % {"born": pupil.birth_date.strftime("%d.%m.%Y")}
    return None


def expires_on_problem(
    given_on: dt.date, expires_on: dt.date, today: dt.date
) -> tuple[str, str] | None:
    """(code, message) if a consent given on `given_on` cannot expire on `expires_on`:
    already past (it is in force to the end of its expiry day, so today is allowed),
    or more than `CONSENT_MAX_YEARS` after it was given."""
    latest = years_after(given_on, CONSENT_MAX_YEARS)
    if expires_on < today:
        return "consent_expired", _(
            "Utløpsdatoen kan ikke være tilbake i tid. Et samtykke som allerede "
            "har utløpt, gir ikke grunnlag for å involvere tjenesten."
        )
    if expires_on > latest:
        return "consent_expiry_too_far", _(
            "Utløpsdatoen kan være høyst %(years)s år etter datoen samtykket ble "
            "gitt, det vil si senest %(latest)s. Registrer et nytt samtykke når "
            "dette utløper."
        ) % {"years": CONSENT_MAX_YEARS, "latest": latest.strftime("%d.%m.%Y")}
    return None


def record_consent(
    case: Case,
    *,
    service: str,
    purpose: str,
    guardians: Iterable[Guardian],
    given_on: dt.date,
    by: User,
    scope: str = "",
    pupil_consented: bool = False,
    expires_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Consent:
    """Record a consent given for one service and purpose by one or more of the
    pupil's guardians, and by the pupil too when 15 or older on the day it was given."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _require_open(case)
    if service not in Service.values:
        raise CaseRuleError(_("Velg hvilken tjeneste samtykket gjelder."), code="consent_service")
    purpose = purpose.strip()
    if not purpose:
        raise CaseRuleError(_("Skriv hva samtykket skal brukes til."), code="consent_purpose")
    guardians = list(guardians)
    if not guardians:
        raise CaseRuleError(
            _("Velg minst én foresatt som har gitt samtykket."), code="consent_needs_guardian"
        )
    own = set(case.pupil.guardians.values_list("pk", flat=True))
    if any(g.pk not in own for g in guardians):
        raise CaseRuleError(
            _("Samtykket kan bare gis av elevens egne foresatte."),
            code="consent_guardian_not_pupils",
        )
    problem = given_on_problem(case.pupil, given_on, today)
    if problem:
        raise CaseRuleError(problem[1], code=problem[0])
    if expires_on is not None and expires_on < given_on:
        raise CaseRuleError(
            _("Utløpsdatoen kan ikke være før datoen samtykket ble gitt."),
            code="consent_expiry_before_given",
        )
    problem = expires_on_problem(given_on, expires_on, today) if expires_on else None
    if problem:
        raise CaseRuleError(problem[1], code=problem[0])
    if pupil_consent_required(case.pupil, given_on):
        if not pupil_consented:
            raise CaseRuleError(
                _(
                    "Eleven var %(age)d år da samtykket ble gitt. Fra 15 år må eleven "
                    "også samtykke selv: bekreft at eleven har samtykket."
                )
                % {"age": age_on(case.pupil, given_on)},
                code="consent_needs_pupil",
            )
    elif pupil_consented:
        raise CaseRuleError(
            _("Elevens eget samtykke registreres bare når eleven er 15 år eller eldre."),
            code="consent_pupil_under_15",
        )
    with transaction.atomic():
        consent = Consent.objects.create(
            case=case,
            service=service,
            purpose=purpose,
            scope=scope.strip(),
            pupil_consented=pupil_consented,
            given_on=given_on,
            expires_on=expires_on,
            recorded_by=by,
            recorded_at=now,
        )
        consent.guardians.set(guardians)
        add_event(
            case,
            CaseEvent.Kind.CONSENT_GIVEN,
            by=by,
            now=now,
            text=f"{Service(service).label}: {purpose}",
            consent=consent.pk,
            service=service,
        )
    return consent


def withdraw_consent(
    consent: Consent,
    *,
    withdrawn_on: dt.date,
    by: User,
    now: dt.datetime | None = None,
) -> Consent:
    """Record that the consent is withdrawn. What rested on it ends at once: an active
    referral made on it (and the access it gave), and the case's participants from the
    service unless another consent for that service is still in force."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if withdrawn_on > today:
        raise CaseRuleError(
            _("Datoen samtykket ble trukket kan ikke være fram i tid."),
            code="withdrawal_date_future",
        )
    if withdrawn_on < consent.given_on:
        raise CaseRuleError(
            _("Samtykket kan ikke være trukket før det ble gitt (%(date)s).")
            % {"date": f"{consent.given_on:%d.%m.%Y}"},
            code="withdrawal_before_given",
        )
    case = consent.case
    with transaction.atomic():
        # Conditional: of two people withdrawing at once, the second is told.
        updated = Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
            withdrawn_on=withdrawn_on, withdrawn_recorded_by=by
        )
        if not updated:
            raise CaseRuleError(_("Samtykket er allerede trukket."), code="consent_withdrawn")
        consent.withdrawn_on, consent.withdrawn_recorded_by = withdrawn_on, by
        add_event(
            case,
            CaseEvent.Kind.CONSENT_WITHDRAWN,
            by=by,
            now=now,
            text=f"{consent.get_service_display()}: {consent.purpose}",
            consent=consent.pk,
            service=consent.service,
        )
        for referral in Referral.objects.filter(consent=consent, ended_at__isnull=True):
            referral.case = case
            end_referral_access(referral, by=by, now=now, reason=_("Samtykket er trukket tilbake."))
        if active_consent(case, consent.service, today) is None:
            for participant in Participant.objects.filter(
                case=case, service=consent.service, removed_at__isnull=True
            ):
                _remove(participant, by=by, now=now, reason=_("Samtykket er trukket tilbake."))
    return consent


# --- participants -----------------------------------------------------------------------


def participant_user_candidates(case: Case, service: str | None = None) -> QuerySet[User]:
    """Staff accounts that may be linked to a participant: the school's nurses and the
    municipality's PPT advisors (for the matching service)."""
    roles = [SERVICE_ROLES[service]] if service in SERVICE_ROLES else []
    if service is None:
        roles = list(SERVICE_ROLES.values())
    staff = StaffRole.objects.filter(
        Q(role=StaffRole.Role.SCHOOL_NURSE, school_id=case.school_id)
        | Q(role=StaffRole.Role.PPT_ADVISOR, municipality_id=case.school.municipality_id),
        role__in=roles,
    ).values("user_id")
    return User.objects.filter(pk__in=staff, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def add_participant(
    case: Case,
    *,
    service: str,
    name: str,
    by: User,
    role: str = "",
    user: User | None = None,
    now: dt.datetime | None = None,
) -> Participant:
    """Add someone from a service to the case's team at nivå 2A/2B. Every service here
    is outside the school, the school nurse included (the school health service is
    the municipality's health service, with its own duty of confidentiality), so each
    needs a consent for that service in force."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _require_open(case)
    if service not in Service.values:
        raise CaseRuleError(
            _("Velg hvilken tjeneste deltakeren kommer fra."), code="participant_service"
        )
    label = Service(service).label
    if not transitions.allows_participants(case.level):
        raise CaseRuleError(
            _(
                "Deltakere fra andre tjenester legges til i det tverrfaglige teamet på "
                "nivå 2A og 2B."
            ),
            code="participant_needs_level2",
        )
    if service in SERVICES_FROM_2B and case.level != Level.NIVA_2B:
        raise CaseRuleError(
            _("%(service)s kan delta fra nivå 2B, når situasjonen er sammensatt.")
            % {"service": label},
            code="participant_needs_2b",
        )
    if active_consent(case, service, today) is None:
        raise CaseRuleError(
            _(
                "Det mangler samtykke for %(service)s. Registrer samtykke fra foresatte "
                "for denne tjenesten først."
            )
            % {"service": label},
            code="participant_needs_consent",
        )
    name = name.strip()
    if user is not None:
        if not participant_user_candidates(case, service).filter(pk=user.pk).exists():
            raise CaseRuleError(
                _("Brukeren kan ikke knyttes til en deltaker fra %(service)s.")
                % {"service": label},
                code="participant_user_not_eligible",
            )
        name = name or user.get_full_name() or user.username
    if not name:
        raise CaseRuleError(_("Skriv navnet på deltakeren."), code="participant_name")
    with transaction.atomic():
        participant = Participant.objects.create(
            case=case,
            service=service,
            name=name,
            role=role.strip(),
            user=user,
            added_by=by,
            added_at=now,
        )
        add_event(
            case,
            CaseEvent.Kind.PARTICIPANT_ADDED,
            by=by,
            now=now,
            text=str(participant),
            participant=participant.pk,
            service=service,
        )
    return participant


def remove_participant(
    participant: Participant, *, by: User, now: dt.datetime | None = None
) -> Participant:
    now = now or timezone.now()
    with transaction.atomic():
        if not _remove(participant, by=by, now=now):
            raise CaseRuleError(_("Deltakeren er allerede fjernet."), code="participant_removed")
    return participant


def _remove(participant: Participant, *, by: User, now: dt.datetime, reason: str = "") -> bool:
    updated = Participant.objects.filter(pk=participant.pk, removed_at__isnull=True).update(
        removed_at=now
    )
    if updated:
        participant.removed_at = now
        add_event(
            participant.case,
            CaseEvent.Kind.PARTICIPANT_REMOVED,
            by=by,
            now=now,
            text=f"{participant}" + (f" – {reason}" if reason else ""),
            participant=participant.pk,
            service=participant.service,
        )
    return bool(updated)


# --- the referral to PPT ----------------------------------------------------------------


def ppt_advisors(case: Case) -> list[int]:
    return list(
        StaffRole.objects.filter(
            role=StaffRole.Role.PPT_ADVISOR, municipality_id=case.school.municipality_id
        ).values_list("user_id", flat=True)
    )


def refer_to_ppt(case: Case, *, reason: str, by: User, now: dt.datetime | None = None) -> Referral:
    """Refer the case to PPT on the PPT consent in force. The municipality's PPT gets
    read access to this case only, as a django-guardian grant to the municipality's
    PPT group (see `cases.access`): advisors who join PPT later see it too, those who
    leave stop seeing it. The advisors are told in their inbox."""
    from guardian.shortcuts import assign_perm

    from cases.access import VIEW_CASE, Basis, ppt_group_label, ppt_group_name

    now = now or timezone.now()
    today = timezone.localdate(now)
    _require_open(case)
    consent = active_consent(case, Service.PPT, today)
    if consent is None:
        raise CaseRuleError(
            _(
                "En henvisning til PPT krever samtykke fra foresatte for PPT. Registrer "
                "samtykket først."
            ),
            code="referral_needs_consent",
        )
    if pupil_consent_required(case.pupil, today):
        # From 15 a new referral rests on the pupil's own consent too; the guardians'
        # consent from before still covers what was done on it.
        consent = active_consent(case, Service.PPT, today, pupil_consented=True)
        if consent is None:
            raise CaseRuleError(
                _(
                    "Eleven er 15 år eller eldre, og en ny henvisning til PPT krever "
                    "også elevens eget samtykke. Samtykket som er registrert, er gitt av "
                    "foresatte alene. Registrer et samtykke for PPT der eleven også har "
                    "samtykket, og henvis så på nytt."
                ),
                code="referral_needs_pupil_consent",
            )
    reason = reason.strip()
    if not reason:
        raise CaseRuleError(_("Skriv kort hvorfor saken henvises."), code="referral_reason")
    municipality = case.school.municipality
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                case=case,
                service=Service.PPT,
                consent=consent,
                reason=reason,
                made_by=by,
                made_at=now,
            )
            add_event(
                case,
                CaseEvent.Kind.REFERRAL_MADE,
                by=by,
                now=now,
                text=reason,
                referral=referral.pk,
                consent=consent.pk,
            )
            group, _created = Group.objects.get_or_create(name=ppt_group_name(municipality.pk))
            assign_perm(f"cases.{VIEW_CASE}", group, case)
            advisors = ppt_advisors(case)
            add_event(
                case,
                CaseEvent.Kind.ACCESS_GRANTED,
                by=by,
                now=now,
                text=ppt_group_label(municipality.name),
                group=group.name,
                users=advisors,
                basis=Basis.PPT_REFERRAL,
            )
            notify(
                advisors,
                case=case,
                text=gettext_noop("En sak er henvist til PPT."),
                key=f"case:{case.pk}:referral:{referral.pk}",
                now=now,
            )
    except IntegrityError as exc:
        raise CaseRuleError(
            _("Saken er allerede henvist til PPT."), code="referral_already_active"
        ) from exc
    return referral


def end_referral(
    referral: Referral, *, by: User, reason: str = "", now: dt.datetime | None = None
) -> Referral:
    """End the referral; PPT's access goes at once (the next request answers 404)."""
    now = now or timezone.now()
    if referral.ended_at is not None:
        raise CaseRuleError(_("Henvisningen er allerede avsluttet."), code="referral_ended")
    with transaction.atomic():
        # Lock the row: of two people ending it at once, the second is told.
        locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
        if locked is None or locked.ended_at is not None:
            raise CaseRuleError(_("Henvisningen er allerede avsluttet."), code="referral_ended")
        end_referral_access(
            referral, by=by, now=now, reason=reason.strip() or _("Henvisningen er avsluttet.")
        )
    return referral


# --- the pupil turns 15 -----------------------------------------------------------------


def fifteenth_birthday_on_or_before(day: dt.date) -> dt.date:
    """Pupils born on or before this date are 15 or older on `day` (`age_on`)."""
    return years_after(day, -PUPIL_CONSENT_AGE)


def cases_needing_pupil_consent(today: dt.date) -> QuerySet[Case]:
    """Open cases of pupils 15 or older with a consent in force that the pupil has not
    given, for a service without one they have (`transitions.consents_needing_pupil`,
    in SQL for the nightly reminder)."""
    in_force = Consent.objects.in_force(today).filter(case=OuterRef("pk"))
    with_pupil = Consent.objects.in_force(today).filter(
        case=OuterRef("case"), service=OuterRef("service"), pupil_consented=True
    )
    guardians_only = in_force.filter(pupil_consented=False).filter(~Exists(with_pupil))
    return Case.objects.open().filter(
        Exists(guardians_only),
        pupil__birth_date__lte=fifteenth_birthday_on_or_before(today),
    )


def remind_pupil_consent(today: dt.date, now: dt.datetime | None = None) -> int:
    """Remind each owner, once per case, that the pupil is 15 and must give their own
    consent (the case page asks too). A conditional update on the rows this run holds
    locked and the notification's unique key make a re-run or a second beat send
    nothing. The text names the step, never the pupil."""
    now = now or timezone.now()
    with transaction.atomic():
        # An owner who no longer works at the case's school is not told (they may not
        # see the case): the reminder waits for the new owner the board asks for.
        cases = list(
            cases_needing_pupil_consent(today)
            .filter(pupil_consent_reminded_at__isnull=True)
            .filter(holds_role_at(OuterRef("owner_id"), OuterRef("school_id"), today))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        if not cases:
            return 0
        Case.objects.filter(
            pk__in=[c.pk for c in cases], pupil_consent_reminded_at__isnull=True
        ).update(pupil_consent_reminded_at=now)
        notify_each(
            [
                (
                    case.owner_id,
                    case,
                    gettext_noop(
                        "Eleven i en sak du har ansvar for, har fylt 15 år: innhent elevens "
                        "eget samtykke."
                    ),
                    f"case:{case.pk}:pupil-consent-15",
                )
                for case in cases
            ],
            now=now,
        )
    return len(cases)
