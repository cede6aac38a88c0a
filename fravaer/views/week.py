"""The contact teacher's week (`fravaer.week`): `/uke/`, `?uke=2026-W47` for another
week. The user's own classes only: anyone who is contact teacher of no class that
week gets 404, like any page that is not theirs."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fravaer import access
from fravaer.panels import panels_for
from fravaer.week import Week, week_summary


def class_comment_url(group_id: int, month: str) -> str:
    """The class's monthly comment page (the leaders' monthly overview)."""
    return reverse("fravaer:class_comment", args=[group_id, month])


@require_GET
def week(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    chosen = Week.of(today)
    if request.GET.get("uke"):
        parsed = Week.parse(request.GET["uke"])
        if parsed is None:
            messages.error(
                request, _("Ugyldig uke. Bruk formatet åååå-Uuu, for eksempel 2026-W47.")
            )
        elif parsed.monday > today:
            messages.error(request, _("Uka har ikke begynt ennå. Her er denne uka."))
        else:
            chosen = parsed
    # The classes the user is contact teacher of during the week (on its last day
    # that has come, so that a week in the past shows that week's classes).
    day = min(chosen.sunday, max(today, chosen.monday))
    groups = access.week_classes_or_404(request.user, day, today)
    month = chosen.monday.strftime("%Y-%m")
    # The month before: its comment is the one due (the first school day's notice asks
    # for it, and the leaders' overview opens on it).
    previous_month_start = (chosen.monday.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    previous_month = previous_month_start.strftime("%Y-%m")
    classes = week_summary(groups, chosen, today=today)
    for entry in classes:
        entry.comment_url = class_comment_url(entry.group.pk, month)
        entry.due_comment_url = class_comment_url(entry.group.pk, previous_month)
    context = {
        "week": chosen,
        "today": today,
        "classes": classes,
        "month_start": chosen.monday.replace(day=1),
        "previous_month_start": previous_month_start,
        "previous": chosen.shifted(-1),
        "next": chosen.shifted(1) if chosen.shifted(1).monday <= today else None,
        "is_current": chosen == Week.of(today),
        "panels": panels_for("week", request, week=chosen, today=today),
    }
    return render(request, "fravaer/week.html", context)
