"""The red/yellow/green timetable's pages (`plans.views.timetable`), under the
`plans_timetable` namespace, beside the case's own pages."""

from django.urls import path

from plans.views import timetable

app_name = "plans_timetable"

urlpatterns = [
    path("saker/<uuid:case_uuid>/timeplan/", timetable.timetable_detail, name="timetable"),
    path("saker/<uuid:case_uuid>/timeplan/ny/", timetable.timetable_new, name="timetable_new"),
]
