"""The evaluation pages, under the case (`/saker/<case_uuid>/plan/…`), in the
`evaluations` namespace (kept beside `plans.urls` so the two areas grow apart)."""

from django.urls import path

from plans.views import evaluations

app_name = "evaluations"

urlpatterns = [
    path(
        "saker/<uuid:case_uuid>/plan/<uuid:version_uuid>/evaluering/ny/",
        evaluations.evaluation_new,
        name="new",
    ),
    path(
        "saker/<uuid:case_uuid>/evalueringer/<uuid:evaluation_uuid>/",
        evaluations.evaluation_detail,
        name="detail",
    ),
]
