"""The user's own settings (`/innstillinger/`): the Friday e-mail about their week."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fravaer.actions.week import set_week_email
from fravaer.forms.settings import WeekEmailForm


@require_http_methods(["GET", "POST"])
def user_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    data = request.POST if request.method == "POST" else None  # an unticked box posts nothing
    form = WeekEmailForm(data, initial={"week_email": user.week_email})
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["week_email"]
        if set_week_email(user, enabled=enabled):
            messages.success(
                request,
                _("Lagret: du får e-post om uka di på fredager.")
                if enabled
                else _("Lagret: du får ikke lenger e-post om uka di."),
            )
        else:
            messages.info(request, _("Ingen endringer å lagre."))
        return redirect("settings")
    return render(request, "fravaer/settings.html", {"form": form})
