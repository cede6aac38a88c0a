"""The start page: the user's classes, flags and cases, by role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from fravaer import access, queries
from fravaer.models import StaffRole
from fravaer.panels import panels_for


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    groups = list(access.visible_groups(request.user).current_on(today))
    roles = access.roles_of(request.user)
    contact_groups = [g for g in groups if g.is_contact]
    context = {
        "today": today,
        "contact_groups": contact_groups,
        "subject_groups": [g for g in groups if g.is_subject and not g.is_contact],
        "school_groups": [g for g in groups if g.is_staff_here],
        "roles": roles,
        "is_ppt": StaffRole.Role.PPT_ADVISOR in roles,
        "import_schools": list(access.schools_for_import(request.user)),
        # Flags: one query per list, and only for the roles that see it.
        "flagged_pupils": queries.with_evidence(
            queries.flagged_pupils(access.contact_teacher_flags(request.user, today))
        )
        if contact_groups
        else [],
        # Every flag of `access.contact_teacher_flags` is the user's to acknowledge.
        "may_acknowledge": bool(contact_groups),
        "flag_schools": list(
            queries.with_active_flag_counts(
                access.flag_overview_schools(request.user), access.overview_flags(today)
            )
        )
        if roles & set(access.FLAG_OVERVIEW_ROLES)
        else [],
        # The leaders' and the team's monthly overview (`fravaer.views.overviews`).
        "overview_schools": list(access.monthly_overview_schools(request.user))
        if roles & set(access.MONTHLY_OVERVIEW_ROLES)
        else [],
        "rule_municipalities": list(access.administered_municipalities(request.user))
        if StaffRole.Role.MUNICIPAL_ADMIN in roles
        else [],
        # What the upper apps add (`fravaer.panels`): the start page's and the cards'.
        "panels": panels_for("home", request, today=today, roles=roles),
    }
    context["card_panels"] = panels_for(
        "flagged_pupils", request, flagged_pupils=context["flagged_pupils"]
    )
    return render(request, "fravaer/home.html", context)
