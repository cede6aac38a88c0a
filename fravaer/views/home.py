"""The start page: the user's classes, flags and cases, by role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from fravaer import access, queries
from fravaer.models import StaffRole
from fravaer.panels import panels_for


@require_GET
@vary_on_headers("HX-Request")
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    show_all = request.GET.get("alle") == "1"
    if show_all and request.htmx:
        return _more_pupils(request, today)
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
        **(
            _flagged(request, today, show_all=show_all)
            if contact_groups
            else {"flagged_pupils": [], "more_pupils": []}
        ),
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
        "flagged_pupils", request, flagged_pupils=context["flagged_pupils"], roles=roles
    )
    return render(request, "fravaer/home.html", context)


def _flagged(request: HttpRequest, today, *, show_all: bool) -> dict:
    """The contact teacher's pupils with active flags, the most urgent first
    (`queries.urgency`): the first few as whole cards (`queries.whole_cards`), the rest as a
    line each (`more_pupils`), all of them whole with `?alle=1`. The records behind the
    flags are read for the whole cards only. At most three queries."""
    entries = queries.by_urgency(
        queries.flagged_pupils(access.contact_teacher_flags(request.user, today))
    )
    cut = len(entries) if show_all else queries.whole_cards(entries)
    return {
        "flagged_pupils": queries.with_evidence(entries[:cut]),
        "more_pupils": entries[cut:],
        "flagged_count": len(entries),
        "show_all_pupils": show_all,
    }


def _more_pupils(request: HttpRequest, today) -> HttpResponse:
    """ "Vis alle" with htmx: the whole cards of the pupils shown as a line each, in
    place of those lines; focus goes to the first of them (`data-focus-on-load`)."""
    entries = queries.by_urgency(
        queries.flagged_pupils(access.contact_teacher_flags(request.user, today))
    )
    more = queries.with_evidence(entries[queries.whole_cards(entries) :])
    context = {
        "flagged_pupils": more,
        "may_acknowledge": True,
        "focus_first": True,
        "card_panels": panels_for("flagged_pupils", request, flagged_pupils=more),
    }
    return render(request, "fravaer/home.html#more-pupils", context)
