"""The municipality's overview: its schools' figures month by month, with no names
(`fravaer.municipality_overview`), for the municipal administrator only."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from fravaer import access
from fravaer.forms.municipality import ALL_METRICS, MunicipalityOverviewForm
from fravaer.municipality_overview import (
    municipality_schools,
    publication,
    school_year_months,
)
from fravaer.rollups import metrics

CHART_HEIGHT = 160
CHART_BAR = 36


@require_GET
def municipality_overview(request: HttpRequest, municipality_id: int) -> HttpResponse:
    municipality = access.municipality_admin_or_404(request.user, municipality_id)
    months = school_year_months(timezone.localdate())
    schools = municipality_schools(municipality)
    form = MunicipalityOverviewForm(
        request.GET, months=months, schools=schools, metrics=list(metrics().values())
    )
    month = dt.datetime.strptime(form.choice("maaned"), "%Y-%m").date()
    chosen = form.choice("tall")
    all_metrics = metrics()
    shown = list(all_metrics) if chosen == ALL_METRICS else [chosen]
    published = publication(municipality, schools, months, month, metric_names=shown)
    school_id = int(form.choice("skole") or 0) or None
    grade = int(form.choice("trinn") or 0) or None
    tables = [
        published.table(metric, month, school_id=school_id, grade=grade)
        for metric in published.metrics.values()
        if metric.name in shown
    ]
    chart = published.chart(school_id=school_id, grade=grade)
    context = {
        "municipality": municipality,
        "form": form,
        "tables": tables,
        "chart": _chart_geometry(chart),
        "chart_school": next((s.name for s in published.schools if s.pk == school_id), ""),
        "grade": grade,
        "metric_links": _metric_links(form, all_metrics, chosen),
    }
    return render(request, "fravaer/municipality_overview.html", context)


def _metric_links(form: MunicipalityOverviewForm, all_metrics: dict, chosen: str) -> list[dict]:
    """A link per group of figures (and to all of them), with the other filters kept:
    the page shows one group at a time, the others a click away."""
    links = []
    for name, title in [(m.name, m.title) for m in all_metrics.values()] + [
        (ALL_METRICS, form.fields["tall"].choices[-1][1])
    ]:
        query = QueryDict(mutable=True)
        for field in ("maaned", "skole", "trinn"):
            if value := form.choice(field):
                query[field] = value
        query["tall"] = name
        links.append({"title": title, "query": query.urlencode(), "current": name == chosen})
    return links


def _chart_geometry(points) -> dict:
    """Bars of the absence rate per month, scaled to the highest (at least 10 %)."""
    top = max([p.shown.rate or 0 for p in points] + [10.0])
    bars = []
    for n, point in enumerate(points):
        rate = point.shown.rate
        height = round(CHART_HEIGHT * rate / top) if rate else 0
        bars.append(
            {
                "point": point,
                "x": 40 + n * (CHART_BAR + 12),
                "y": 20 + CHART_HEIGHT - height,
                "height": height,
                "label_x": 40 + n * (CHART_BAR + 12) + CHART_BAR // 2,
            }
        )
    return {
        "bars": bars,
        "width": 40 + len(points) * (CHART_BAR + 12) + 10,
        "height": CHART_HEIGHT + 60,
        "bar": CHART_BAR,
        "base_y": 20 + CHART_HEIGHT,
        "axis_label_y": 20 + CHART_HEIGHT + 18,
        "top": round(top, 1),
    }
