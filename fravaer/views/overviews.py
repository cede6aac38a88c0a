"""The leaders' monthly overview of a school, its exports, and the class's monthly
comment (issue #15, section 1). Who may read and write is `fravaer.access`'s answer;
the figures are `fravaer.overviews`'."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fravaer import access, exports, overviews, pdf
from fravaer.actions.overviews import OverviewRuleError, save_class_comment
from fravaer.forms.overviews import ClassCommentForm
from fravaer.models import ClassMonthComment
from fravaer.panels import panels_for

EXPORT_FORMATS = ("csv", "xlsx", "pdf")


def _month_or_404(raw: str):
    month = overviews.parse_month(raw)
    if month is None or not overviews.has_begun(month, timezone.localdate()):
        raise Http404
    return month


def _overview(request: HttpRequest, school, month):
    overview = overviews.monthly_overview(school, month, today=timezone.localdate())
    pupil_ids = {row.pupil.pk for row in overview.rows}
    panels = panels_for("monthly_overview", request, school=school, pupil_ids=pupil_ids)
    return overview, panels


@require_GET
def monthly_overview(request: HttpRequest, school_id: int, month: str = "") -> HttpResponse:
    """`/skole/<id>/oversikt/` shows last month, or `?maaned=ÅÅÅÅ-MM`."""
    school = access.monthly_overview_school_or_404(request.user, school_id)
    month_error = ""
    if month:
        month_value = _month_or_404(month)
    else:
        raw = request.GET.get("maaned", "").strip()
        if raw:
            chosen = overviews.parse_month(raw)
            if chosen is None:
                month_error = _("Skriv måneden som ÅÅÅÅ-MM, for eksempel 2026-10.")
            elif not overviews.has_begun(chosen, timezone.localdate()):
                month_error = _("Måneden har ikke begynt ennå. Velg en måned som har begynt.")
            else:
                return redirect("fravaer:monthly_overview_month", school.pk, f"{chosen:%Y-%m}")
        month_value = overviews.default_month(timezone.localdate())
    overview, panels = _overview(request, school, month_value)
    context = {
        "school": school,
        "overview": overview,
        "panels": panels,
        "typed_month": request.GET.get("maaned", "") if month_error else "",
        "month_error": month_error,
    }
    return render(request, "fravaer/overviews/monthly.html", context)


@require_GET
def monthly_overview_export(
    request: HttpRequest, school_id: int, month: str, fmt: str
) -> HttpResponse:
    school = access.monthly_overview_school_or_404(request.user, school_id)
    if fmt not in EXPORT_FORMATS:
        raise Http404
    month_value = _month_or_404(month)
    overview, panels = _overview(request, school, month_value)
    overviews.with_case_levels(overview, panels)
    stem = f"maanedsoversikt-{month_value:%Y-%m}"
    if fmt == "pdf":
        document = pdf.render_pdf(
            "pdf/monthly_overview.html",
            {
                "overview": overview,
                "school_name": school.name,
                "generated_on": timezone.localdate(),
            },
            language=get_language() or "nb",
        )
        return pdf.pdf_response(document, f"{stem}.pdf")
    columns, rows = overviews.export_rows(overview)
    header = [str(label) for _key, label in columns]
    if fmt == "csv":
        body = exports.csv_bytes(header, rows)
        return exports.download(body, content_type=exports.CSV_CONTENT_TYPE, filename=f"{stem}.csv")
    body = exports.xlsx_bytes(header, rows, title=f"{month_value:%Y-%m}")
    return exports.download(body, content_type=exports.XLSX_CONTENT_TYPE, filename=f"{stem}.xlsx")


@require_http_methods(["GET", "POST"])
def class_comment(request: HttpRequest, group_id: int, month: str) -> HttpResponse:
    """The class's comment for a month: its contact teacher and the leaders write it."""
    month_value = _month_or_404(month)
    grant = access.class_comment_access_or_404(
        request.user, group_id, overviews.month_end(month_value)
    )
    group = grant.group
    comment = ClassMonthComment.objects.filter(group=group, month=month_value).first()
    initial = {"text": comment.text, "version": comment.version} if comment else {}
    form = ClassCommentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_class_comment(
                group,
                month=month_value,
                text=form.cleaned_data["text"],
                by=request.user,
                version=form.cleaned_data["version"],
            )
        except OverviewRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Kommentaren er lagret."))
            return redirect(reverse("fravaer:class_comment", args=[group.pk, month]))
    figures = overviews.monthly_overview(
        group.school, month_value, today=timezone.localdate(), only_group=group
    )
    class_figures = next((c for c in figures.classes if c.group.pk == group.pk), None)
    context = {
        "grant": grant,
        "group": group,
        "month": month_value,
        "comment": comment,
        "form": form,
        "class_figures": class_figures,
        "figures": figures,
        "panels": panels_for(
            "monthly_overview",
            request,
            school=group.school,
            pupil_ids={row.pupil.pk for row in class_figures.rows} if class_figures else set(),
        ),
    }
    return render(request, "fravaer/overviews/class_comment.html", context)
