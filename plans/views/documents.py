"""Downloads of the case's documents as PDFs (issue #14, §4): the cooperation
agreement, a held meeting's minutes, a consent form and an evaluation report.

Each view asks the access module (`cases.access.case_access_or_404`, then
`plans.access.may_download_documents`; a user who may not gets 404), reads through
`plans.documents`, writes a row to the case's access log, and answers an uncached
attachment rendered in the reader's language (`fravaer.pdf`). File names carry the
document's kind and a date, never a name.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from cases.access import CaseAccess
from cases.actions.access_log import log_case_read
from fravaer.pdf import pdf_response, render_pdf
from plans import documents
from plans.access import grant_or_404, may_download_documents


def _grant(request: HttpRequest, case_uuid: uuid.UUID) -> CaseAccess:
    return grant_or_404(request.user, case_uuid, may_download_documents)


def _download(
    request: HttpRequest, grant: CaseAccess, kind: str, context: dict, filename: str
) -> HttpResponse:
    pdf = render_pdf(
        documents.TEMPLATES[kind], context, language=translation.get_language() or "nb"
    )
    log_case_read(grant.case, user=request.user, basis=grant.basis, what=documents.LOG_WHAT[kind])
    return pdf_response(pdf, filename)


@require_GET
def agreement_pdf(
    request: HttpRequest, case_uuid: uuid.UUID, version_uuid: uuid.UUID | None = None
) -> HttpResponse:
    """The agreement with its plan: the agreed version in force, or the one chosen."""
    grant = _grant(request, case_uuid)
    today = timezone.localdate()
    version = documents.agreement_version(grant.case, version_uuid)
    context = documents.agreement_context(grant.case, version, today=today)
    filename = documents.agreement_filename(version, today)
    return _download(request, grant, "agreement", context, filename)


@require_GET
def minutes_pdf(
    request: HttpRequest, case_uuid: uuid.UUID, meeting_uuid: uuid.UUID
) -> HttpResponse:
    grant = _grant(request, case_uuid)
    meeting = documents.held_meeting(grant.case, meeting_uuid)
    context = documents.minutes_context(grant.case, meeting, today=timezone.localdate())
    return _download(request, grant, "minutes", context, documents.minutes_filename(meeting))


@require_GET
def consent_pdf(request: HttpRequest, case_uuid: uuid.UUID, consent_id: int) -> HttpResponse:
    """The form for a recorded consent, to sign."""
    grant = _grant(request, case_uuid)
    today = timezone.localdate()
    consent = documents.recorded_consent(grant.case, consent_id)
    context = documents.consent_context(grant.case, today=today, consent=consent)
    filename = documents.consent_filename(consent.service, today)
    return _download(request, grant, "consent", context, filename)


@require_GET
def blank_consent_pdf(request: HttpRequest, case_uuid: uuid.UUID) -> HttpResponse:
    """A blank form for the service chosen on the case page (`?service=`)."""
    grant = _grant(request, case_uuid)
    today = timezone.localdate()
    service = documents.blank_service(request.GET.get("service"))
    context = documents.consent_context(grant.case, today=today, service=service)
    return _download(request, grant, "consent", context, documents.consent_filename(service, today))


@require_GET
def evaluation_pdf(
    request: HttpRequest, case_uuid: uuid.UUID, evaluation_uuid: uuid.UUID
) -> HttpResponse:
    grant = _grant(request, case_uuid)
    evaluation = documents.case_evaluation(grant.case, evaluation_uuid)
    context = documents.evaluation_context(grant.case, evaluation, today=timezone.localdate())
    filename = documents.evaluation_filename(evaluation)
    return _download(request, grant, "evaluation", context, filename)
