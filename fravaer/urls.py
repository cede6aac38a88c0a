from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from fravaer.forms.auth import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from fravaer.views import (
    flags,
    health,
    home,
    imports,
    municipality,
    overviews,
    pupils,
    register,
    session,
    week,
)
from fravaer.views import settings as user_settings

# Only administrators reach the Django admin; everyone else works in the product.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser
admin.site.site_header = _("Fravær – administrasjon")
admin.site.site_title = _("Fravær")

# The monthly overview's addresses, named in the `fravaer` namespace
# (`fravaer:class_comment`, linked from the contact teacher's week).
overview_patterns = [
    path("skole/<int:school_id>/oversikt/", overviews.monthly_overview, name="monthly_overview"),
    path(
        "skole/<int:school_id>/oversikt/<str:month>/",
        overviews.monthly_overview,
        name="monthly_overview_month",
    ),
    path(
        "skole/<int:school_id>/oversikt/<str:month>/eksport.<str:fmt>",
        overviews.monthly_overview_export,
        name="monthly_overview_export",
    ),
    path(
        "klasser/<int:group_id>/kommentar/<str:month>/",
        overviews.class_comment,
        name="class_comment",
    ),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("helse/", health.health, name="health"),
    path("logg-inn/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logg-ut/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "passord/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "passord/endret/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    # Public (Django marks these views login_not_required). The e-mail holds the link
    # only, built on SITE_URL rather than the request's Host header.
    path(
        "passord/glemt/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            extra_email_context={"site_url": settings.SITE_URL},
        ),
        name="password_reset",
    ),
    path(
        "passord/glemt/sendt/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "passord/nytt/ferdig/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "passord/nytt/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    path("okt/forleng/", session.session_extend, name="session_extend"),
    path("klasser/<int:group_id>/", register.group_detail, name="group"),
    path("klasser/<int:group_id>/fravaer/", register.register, name="register"),
    path("klasser/<int:group_id>/fravaer/bla/", register.register_step, name="register_step"),
    path("elever/<uuid:pupil_uuid>/", pupils.pupil_detail, name="pupil"),
    path("elever/<uuid:pupil_uuid>/fravaer/ny/", pupils.pupil_add_record, name="pupil_add_record"),
    path(
        "elever/<uuid:pupil_uuid>/fravaer/<int:record_id>/endre/",
        pupils.record_edit,
        name="record_edit",
    ),
    path(
        "elever/<uuid:pupil_uuid>/fravaer/<int:record_id>/fjern/",
        pupils.record_remove,
        name="record_remove",
    ),
    path("elever/<uuid:pupil_uuid>/kontakt/", pupils.contact_log, name="contact_log"),
    path(
        "elever/<uuid:pupil_uuid>/varsler/<int:flag_id>/kvitter/",
        flags.flag_acknowledge,
        name="flag_acknowledge",
    ),
    path("import/", imports.upload, name="imports"),
    path("uke/", week.week, name="week"),
    path("innstillinger/", user_settings.user_settings, name="settings"),
    path("varsler/", flags.inbox, name="inbox"),
    path("varsler/lest/", flags.inbox_mark_read, name="inbox_mark_read"),
    path("varsler/<int:notification_id>/", flags.inbox_message, name="inbox_message"),
    path("skole/<int:school_id>/varsler/", flags.school_flags, name="school_flags"),
    path(
        "kommune/<int:municipality_id>/regler/",
        flags.municipality_rules,
        name="municipality_rules",
    ),
    path(
        "kommune/<int:municipality_id>/oversikt/",
        municipality.municipality_overview,
        name="municipality_overview",
    ),
    path("", include((overview_patterns, "fravaer"))),
    path("", include("cases.urls")),
    path("", include("plans.urls_timetable")),
    path("", include("plans.urls")),
    path("", include("plans.urls_evaluations")),
    path("", include("plans.urls_documents")),
    path("admin/", admin.site.urls),
    # Choosing a language must work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
