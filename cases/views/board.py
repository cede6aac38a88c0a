"""The school-environment team's case board (leaders see it too), assigning owners in
place, and the municipality's deadline settings.

The board's queries are bounded whatever the number of cases: the cases with their
pupil, owner, class and next deadline in one query (filtered in Python); the owner
candidates of every row, and the owner filter's list, in two (the school's team, and
the contact teachers of the classes on the board).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import access, queries
from cases.actions.core import assign_owner
from cases.actions.deadlines import change_deadline_settings
from cases.deadlines import municipality_deadline_days
from cases.errors import CaseChanged, CaseRuleError
from cases.forms.board import AssignOwnerForm, BoardFilterForm, DeadlineSettingsForm
from cases.models import Case, DeadlineSettingChange, Level
from fravaer import access as fravaer_access
from fravaer.models import Group, User
from fravaer.views.flags import safe_next_url

CHANGE_LOG_SIZE = 100


# --- rows ---------------------------------------------------------------------------------


def _row(case: Case, candidates: list[User], form: AssignOwnerForm | None = None) -> dict:
    return {
        "case": case,
        "form": form or AssignOwnerForm(candidates=candidates, case=case),
    }


# --- the board ----------------------------------------------------------------------------


@require_GET
def case_board(request: HttpRequest, school_id: int) -> HttpResponse:
    school = access.board_school_or_404(request.user, school_id)
    today = timezone.localdate()
    every_case = list(queries.board_cases(school, today))
    groups = Group.objects.current_on(today).filter(school=school).order_by("grade", "name")
    team, contacts = queries.owner_candidates_by_group(
        school, {c.group_id_now for c in every_case}, today
    )
    form, ignored = BoardFilterForm.lenient(
        request.GET, groups=list(groups), owners=_owner_choices(team, contacts, every_case)
    )
    cases = _filtered(every_case, form.cleaned_data)
    levels = []
    for level in Level:
        rows = [
            _row(c, queries.row_owner_candidates(c, team, contacts))
            for c in cases
            if c.level == level
        ]
        levels.append({"level": level, "rows": rows})
    context = {
        "school": school,
        "form": form,
        "ignored": _ignored_notice(ignored),
        "levels": levels,
        "total": len(cases),
        "overdue": sum(1 for c in cases if c.is_overdue),
        "ownerless": sum(1 for c in cases if not c.owner_here),
        "today": today,
    }
    template = "cases/board/board.html#results" if request.htmx else "cases/board/board.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _owner_choices(team: list[User], contacts: dict, cases: list[Case]) -> list:
    """The owner filter's groups: everyone who may be given a case on the board (so a
    new owner is there after an assignment in place), and anyone else who owns one."""
    team = queries.by_name(team)
    seen = {u.pk for u in team}
    teachers = queries.by_name(u for users in contacts.values() for u in users if u.pk not in seen)
    seen |= {u.pk for u in teachers}
    others = queries.by_name(c.owner for c in cases if c.owner_id not in seen)
    return [
        (_("Skolemiljøteamet"), team),
        (_("Kontaktlærere"), teachers),
        (_("Andre med saker"), others),
    ]


def _filtered(cases: list[Case], filters: dict) -> list[Case]:
    """The board's filters, on the rows already read (the lists are a school's open
    cases: filtering them here saves a second query)."""
    return [
        c
        for c in cases
        if (not filters.get("nivaa") or c.level == filters["nivaa"])
        and (not filters.get("klasse") or c.group_id_now == filters["klasse"])
        and (not filters.get("ansvarlig") or c.owner_id == filters["ansvarlig"])
        and (not filters.get("forfalt") or c.is_overdue)
    ]


def _ignored_notice(labels: list[str]) -> str:
    if not labels:
        return ""
    names = get_text_list([f"«{label}»" for label in labels], _("og"))
    return ngettext(
        "Filteret %(names)s i lenken har en verdi som ikke finnes her, og er ikke brukt. "
        "Velg på nytt i listen om du vil filtrere på det.",
        "Filtrene %(names)s i lenken har verdier som ikke finnes her, og er ikke brukt. "
        "Velg på nytt i listene om du vil filtrere på dem.",
        len(labels),
    ) % {"names": names}


@require_POST
def board_assign_owner(request: HttpRequest, school_id: int, case_uuid) -> HttpResponse:
    """Change a case's owner in place on the board (htmx swaps the row)."""
    school = access.board_school_or_404(request.user, school_id)
    if not school.assigns_owners:  # the attendance contact's board is read-only
        raise Http404
    grant = access.case_access_or_404(request.user, case_uuid)
    if grant.case.school_id != school.pk or not grant.can_assign_owner:
        raise Http404
    case = grant.case
    candidates = list(access.owner_candidates(case))
    form = AssignOwnerForm(request.POST, candidates=candidates, case=case)
    board_url = reverse("cases:board", args=[school.pk])
    saved = ""
    if form.is_valid():
        owner = next(u for u in candidates if u.pk == form.cleaned_data["owner"])
        try:
            assign_owner(case, owner=owner, by=request.user, version=form.cleaned_data["version"])
        except CaseRuleError as exc:
            form = _refused(request, case, candidates, exc)
        else:
            saved = _("Saksansvarlig for %(pupil)s er nå %(owner)s.") % {
                "pupil": case.pupil.full_name,
                "owner": owner.get_full_name() or owner.username,
            }
            if not request.htmx:
                messages.success(request, saved)
                return redirect(safe_next_url(request, board_url) + f"#sak-{case.uuid}")
            form = None
    today = timezone.localdate()
    row_case = queries.board_cases(school, today).filter(pk=case.pk).first()
    if row_case is None:  # closed in the meantime: it is no longer on the board
        messages.info(request, _("Saken er avsluttet og står ikke lenger på tavlen."))
        if request.htmx:
            return HttpResponseClientRedirect(safe_next_url(request, board_url))
        return redirect(safe_next_url(request, board_url))
    row = _row(row_case, candidates, form)
    context = {
        "school": school,
        "row": row,
        "today": today,
        "saved": saved,
        "next": safe_next_url(request, board_url),
    }
    if request.htmx:
        return render(request, "cases/board/board.html#row", context)
    return render(request, "cases/board/assign_owner.html", context)


def _refused(request, case: Case, candidates, exc: CaseRuleError) -> AssignOwnerForm:
    """Show the refusal at the select. On a concurrent change the user's choice stays,
    based on the case's new version, so saving again is a deliberate choice."""
    data = request.POST.copy()
    if isinstance(exc, CaseChanged):
        case.refresh_from_db(fields=["version", "owner"])
        data["version"] = str(case.version)
    form = AssignOwnerForm(data, candidates=candidates, case=case)
    form.is_valid()
    form.add_error("owner", exc.messages[0])
    return form


# --- the municipality's deadline settings -------------------------------------------------


@require_http_methods(["GET", "POST"])
def deadline_settings(request: HttpRequest, municipality_id: int) -> HttpResponse:
    municipality = fravaer_access.municipality_admin_or_404(request.user, municipality_id)
    current = municipality_deadline_days(municipality.pk)
    form = DeadlineSettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            changes = change_deadline_settings(
                municipality, days=form.cleaned_data, by=request.user
            )
        except CaseRuleError as exc:
            form.add_error(None, exc.messages[0])
        else:
            if changes:
                messages.success(
                    request,
                    ngettext(
                        "Lagret: %(n)s frist er endret.",
                        "Lagret: %(n)s frister er endret.",
                        len(changes),
                    )
                    % {"n": len(changes)},
                )
            else:
                messages.info(request, _("Ingen endringer å lagre."))
            return redirect("cases:deadline_settings", municipality.pk)
    log = DeadlineSettingChange.objects.filter(municipality=municipality).select_related("by")
    context = {
        "municipality": municipality,
        "form": form,
        "changes": log[:CHANGE_LOG_SIZE],
    }
    return render(request, "cases/board/deadline_settings.html", context)
