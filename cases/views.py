"""The case page and the case's own actions (level, owner, close, reopen, notes).

Conversations and meetings live in `views_meetings`, consent and PPT in
`views_consent`, the team's board and deadlines in `views_board`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import access
from cases.actions.core import log_case_read


def case_context(request: HttpRequest, grant: access.CaseAccess, **extra) -> dict:
    """What every section of the case page needs. Sections read the case's relations
    in their include; each relation is one query."""
    return {"grant": grant, "case": grant.case, "today": timezone.localdate(), **extra}


@require_GET
def case_detail(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = access.case_access_or_404(request.user, case_uuid)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_page")
    return render(request, "cases/case_detail.html", case_context(request, grant))


urlpatterns = [
    path("saker/<uuid:case_uuid>/", case_detail, name="case"),
]
