"""The case page's list of documents to download as PDF (`fravaer.panels`, registered
in `settings.PAGE_PANELS["case_detail"]`): the agreement by version, the minutes of
held meetings, consent forms (recorded, or blank for a service) and evaluation
reports. Four queries (`plans.documents.case_documents`), none for a user who may not
download."""

from __future__ import annotations

from django.http import HttpRequest

from cases.access import CaseAccess
from cases.models import Case
from fravaer.panels import Panel
from plans.access import may_download_documents
from plans.documents import case_documents


def case_documents_panel(request: HttpRequest, *, case: Case, grant: CaseAccess, **page):
    if not may_download_documents(grant):
        return None
    return Panel("plans/includes/_case_documents.html", {"documents": case_documents(case)})


def meeting_minutes_panel(request: HttpRequest, *, case: Case, grant: CaseAccess, meeting, **page):
    """The meeting page: a held meeting's minutes as PDF, to send to every participant.
    No query."""
    if not (meeting.is_held and may_download_documents(grant)):
        return None
    return Panel("plans/includes/_meeting_minutes_link.html", {"meeting": meeting}, slot="minutes")
