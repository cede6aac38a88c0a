"""The case's documents as PDFs (`plans.views.documents`), under the `plans_documents`
namespace; included from `fravaer/urls.py`. Addressed by uuids (a consent by its id
within the case), never by a name."""

from django.urls import path

from plans.views import documents

app_name = "plans_documents"

urlpatterns = [
    path(
        "saker/<uuid:case_uuid>/dokumenter/samarbeidsavtale.pdf",
        documents.agreement_pdf,
        name="agreement",
    ),
    path(
        "saker/<uuid:case_uuid>/dokumenter/samarbeidsavtale/<uuid:version_uuid>.pdf",
        documents.agreement_pdf,
        name="agreement_version",
    ),
    path(
        "saker/<uuid:case_uuid>/dokumenter/referat/<uuid:meeting_uuid>.pdf",
        documents.minutes_pdf,
        name="minutes",
    ),
    path(
        "saker/<uuid:case_uuid>/dokumenter/samtykke/<int:consent_id>.pdf",
        documents.consent_pdf,
        name="consent",
    ),
    path(
        "saker/<uuid:case_uuid>/dokumenter/samtykkeskjema.pdf",
        documents.blank_consent_pdf,
        name="blank_consent",
    ),
    path(
        "saker/<uuid:case_uuid>/dokumenter/evaluering/<uuid:evaluation_uuid>.pdf",
        documents.evaluation_pdf,
        name="evaluation",
    ),
]
