"""Consent, participants and the PPT referral on a case, and PPT's own case list.

Only those the grant names (`may_record_consent`, `may_refer_to_ppt`,
`may_change_participants`: those who run the case) record consent, add participants or
refer; anyone else gets 404 as if the page did not exist. PPT sees its referred cases
through `cases.access` and reads them on the basis `ppt_referral`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import access
from cases.actions.access_log import log_case_read
from cases.actions.consent import (
    active_consent,
    active_referral,
    add_participant,
    consented_services,
    end_referral,
    participant_user_candidates,
    pupil_consent_required,
    record_consent,
    refer_to_ppt,
    remove_participant,
    withdraw_consent,
)
from cases.errors import CaseRuleError
from cases.forms.consent import (
    ConsentForm,
    EndReferralForm,
    ParticipantForm,
    ReferralForm,
    WithdrawConsentForm,
)
from cases.models import Consent, Participant, Referral, Service
from fravaer.forms import is_plain_number


def _grant_or_404(
    request: HttpRequest, case_uuid, may: Callable[[access.CaseAccess], bool]
) -> access.CaseAccess:
    """The case, if the user may take the step `may` asks the grant about; else 404."""
    grant = access.case_access_or_404(request.user, case_uuid)
    if not may(grant):
        raise Http404
    return grant


def _back(grant: access.CaseAccess, anchor: str) -> HttpResponse:
    return redirect(reverse("cases:case", args=[grant.case.uuid]) + f"#{anchor}")


def _page(request, template: str, grant: access.CaseAccess, **context) -> HttpResponse:
    context = {"grant": grant, "case": grant.case, "today": timezone.localdate(), **context}
    return render(request, template, context)


# --- consent ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_record_consent)
    case = grant.case
    form = ConsentForm(
        request.POST or None,
        guardians=case.pupil.guardians.all(),
        pupil=case.pupil,
        initial=_renewing(case, request.GET.get("fra", "")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_consent(
                case,
                service=data["service"],
                purpose=data["purpose"],
                scope=data["scope"],
                guardians=data["guardians"],
                pupil_consented=data["pupil_consented"],
                given_on=data["given_on"],
                expires_on=data["expires_on"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Samtykket er registrert."))
            return _back(grant, "samtykke")
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return _page(
        request,
        "cases/consent/consent_form.html",
        grant,
        form=form,
        pupil_15=pupil_consent_required(case.pupil, timezone.localdate()),
    )


def _renewing(case, consent_id: str) -> dict:
    """A renewal starts from the consent it renews (`?fra=<id>`, one of this case's):
    the same service, purpose, scope and guardians; the dates and the pupil's own
    consent are entered anew."""
    if not is_plain_number(consent_id):
        return {}
    consent = Consent.objects.filter(pk=int(consent_id), case=case).first()
    if consent is None:
        return {}
    return {
        "service": consent.service,
        "purpose": consent.purpose,
        "scope": consent.scope,
        "guardians": list(consent.guardians.values_list("pk", flat=True)),
    }


@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, case_uuid, consent_id: int) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_record_consent)
    consent = get_object_or_404(Consent, pk=consent_id, case=grant.case)
    form = WithdrawConsentForm(request.POST or None, initial={"withdrawn_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            withdraw_consent(
                consent, withdrawn_on=form.cleaned_data["withdrawn_on"], by=request.user
            )
        except CaseRuleError as exc:
            form.add_error("withdrawn_on" if exc.code != "consent_withdrawn" else None, exc.message)
        else:
            messages.success(request, _("Samtykket er registrert som trukket."))
            return _back(grant, "samtykke")
    referral = Referral.objects.filter(consent=consent, ended_at__isnull=True).first()
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="consent_withdraw")
    return _page(
        request,
        "cases/consent/withdraw.html",
        grant,
        consent=consent,
        form=form,
        referral=referral,
    )


# --- the referral to PPT ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_refer_to_ppt)
    case = grant.case
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refer_to_ppt(case, reason=form.cleaned_data["reason"], by=request.user)
        except CaseRuleError as exc:
            # The missing consent is said once, by the page's box with its link.
            if exc.code != "referral_needs_consent":
                form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Saken er henvist til PPT. PPT-rådgiverne i kommunen kan nå lese den.")
            )
            return _back(grant, "samtykke")
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    today = timezone.localdate()
    consent = active_consent(case, Service.PPT, today)
    pupil_consent_missing = False
    if consent is not None and pupil_consent_required(case.pupil, today):
        # From 15 the referral rests on a consent the pupil gave too (`refer_to_ppt`).
        consent = active_consent(case, Service.PPT, today, pupil_consented=True)
        pupil_consent_missing = consent is None
    return _page(
        request,
        "cases/consent/referral_form.html",
        grant,
        form=form,
        consent=consent,
        pupil_consent_missing=pupil_consent_missing,
        referral=active_referral(case),
    )


@require_http_methods(["GET", "POST"])
def referral_end(request: HttpRequest, case_uuid, referral_id: int) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_refer_to_ppt)
    referral = get_object_or_404(Referral, pk=referral_id, case=grant.case)
    referral.case = grant.case
    form = EndReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            end_referral(referral, reason=form.cleaned_data["reason"], by=request.user)
        except CaseRuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Henvisningen er avsluttet, og PPT har ikke lenger tilgang.")
            )
            return _back(grant, "samtykke")
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="referral_end")
    return _page(request, "cases/consent/referral_end.html", grant, referral=referral, form=form)


# --- participants -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def participant_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_change_participants)
    case = grant.case
    form = ParticipantForm(request.POST or None, users=participant_user_candidates(case))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            add_participant(
                case,
                service=data["service"],
                name=data["name"],
                role=data["role"],
                user=data["user"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Deltakeren er lagt til."))
            return _back(grant, "deltakere")
    today = timezone.localdate()
    consented = consented_services(case, today)
    consented = [s for s in Service if s in consented]
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return _page(
        request, "cases/consent/participant_form.html", grant, form=form, consented=consented
    )


@require_POST
def participant_remove(request: HttpRequest, case_uuid, participant_id: int) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_change_participants)
    participant = get_object_or_404(Participant, pk=participant_id, case=grant.case)
    participant.case = grant.case
    try:
        remove_participant(participant, by=request.user)
    except CaseRuleError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("%(name)s er fjernet fra saken.") % {"name": participant.name})
    return _back(grant, "deltakere")


# --- PPT's case list --------------------------------------------------------------------


@require_GET
def ppt_cases(request: HttpRequest) -> HttpResponse:
    """The cases referred to PPT in the advisor's municipality, and nothing else."""
    if not access.may_see_ppt_cases(request.user):
        raise Http404
    cases = access.referred_cases(request.user).order_by("-referred_at", "-pk")
    return render(request, "cases/ppt/case_list.html", {"cases": cases})
