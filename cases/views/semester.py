"""The semester status of a school (`cases.semester`), on screen and as PDF, for its
leaders and its school-environment team; `plans` adds its part as a page panel
(`settings.PAGE_PANELS["semester_status"]`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases import access
from cases.semester import Semester, level_labels, recent_semesters, semester_status
from fravaer.panels import panels_for
from fravaer.pdf import pdf_response, render_pdf


def _context(request: HttpRequest, school_id: int) -> dict:
    school = access.semester_status_school_or_404(request.user, school_id)
    today = timezone.localdate()
    choices = recent_semesters(today)
    asked = request.GET.get("semester", "")
    semester = Semester.parse(asked) if asked else choices[0]
    error = ""
    if semester is None or semester not in choices:
        error = _("Velg et av semestrene i listen.")
        semester = choices[0]
    status = semester_status(school, semester, today)
    objects = {
        "school": school,
        "semester": semester,
        "first": semester.first,
        "last": status.until,
        "today": today,
    }
    return {
        "status": status,
        "school": school,
        "semester": semester,
        "choices": choices,
        "asked": asked,
        "error": error,
        "levels": level_labels(),
        "today": today,
        "panels": panels_for("semester_status", request, **objects),
    }


@require_GET
def semester_status_page(request: HttpRequest, school_id: int) -> HttpResponse:
    return render(request, "cases/semester/status.html", _context(request, school_id))


@require_GET
def semester_status_pdf(request: HttpRequest, school_id: int) -> HttpResponse:
    context = _context(request, school_id)
    context.update(school_name=context["school"].name, generated_on=context["today"])
    pdf = render_pdf("cases/semester/status_pdf.html", context, language=get_language() or "nb")
    return pdf_response(pdf, f"semesterstatus-{context['semester'].code}.pdf")
