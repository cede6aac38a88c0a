"""Upload pages for roster and absence files (leaders and municipal administrators)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from fravaer import access


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    schools = list(access.schools_for_import(request.user))
    if not schools:
        from django.http import Http404

        raise Http404
    return render(request, "fravaer/imports.html", {"schools": schools})
