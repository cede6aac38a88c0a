"""The plans app's pages, under the case (`/saker/<case_uuid>/plan/…`), in the `plans`
namespace."""

from django.urls import path

from plans.views import plan

app_name = "plans"

urlpatterns = [
    path("saker/<uuid:case_uuid>/plan/", plan.plan_page, name="plan"),
    path("saker/<uuid:case_uuid>/plan/ny/", plan.plan_start, name="start"),
    path("saker/<uuid:case_uuid>/plan/ny-versjon/", plan.plan_next, name="next"),
    path("saker/<uuid:case_uuid>/plan/utkast/", plan.draft_edit, name="draft"),
    path("saker/<uuid:case_uuid>/plan/utkast/tiltak/ny/", plan.draft_measure, name="measure_new"),
    path(
        "saker/<uuid:case_uuid>/plan/utkast/tiltak/<int:measure_id>/",
        plan.draft_measure,
        name="measure",
    ),
    path(
        "saker/<uuid:case_uuid>/plan/utkast/tiltak/<int:measure_id>/trinn/",
        plan.draft_tapering_step,
        name="tapering_step",
    ),
    path("saker/<uuid:case_uuid>/plan/utkast/fjern/", plan.draft_remove, name="remove"),
    path("saker/<uuid:case_uuid>/plan/utkast/<str:what>/", plan.draft_add, name="add"),
    path("saker/<uuid:case_uuid>/plan/avtal/", plan.plan_agree, name="agree"),
    path("saker/<uuid:case_uuid>/plan/versjon/<int:number>/", plan.version_detail, name="version"),
    path("saker/<uuid:case_uuid>/plan/sammenlign/", plan.plan_compare, name="compare"),
]
