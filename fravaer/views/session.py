"""The keep-alive behind the session warning's "Forleng økten" (WCAG 2.2.1)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from fravaer import session_expiry


@require_POST
def session_extend(request: HttpRequest) -> JsonResponse:
    """Extend the signed-in session to a full idle age from now (never past its cap);
    answers the seconds left. Login required and CSRF-checked like every POST: an
    ended session gets the login page (`HX-Redirect` for htmx)."""
    session_expiry.note_activity(request.session, force=True)
    return JsonResponse({"seconds_left": session_expiry.seconds_left(request.session)})
