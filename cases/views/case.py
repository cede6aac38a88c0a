"""The case page and the case's own actions (open, level, owner, duty, notes, close,
reopen) and its access log.

Conversations and meetings live in `cases.views.meetings`, consent and PPT in
`cases.views.consent`, the team's board and deadlines in `cases.views.board`.

Every form on the page posts the case `version` it showed. On `CaseChanged` the page
is shown again as the case now is, with the message and the user's typed input (based
on the new version, so saving again is a deliberate choice). Forms post as plain HTML;
with htmx they swap the page body (`#case-body`) so every form's version stays current.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import access, queries
from cases.actions.access_log import log_case_read
from cases.actions.core import (
    add_note,
    assign_owner,
    change_level,
    close_case,
    meetings_to_cancel,
    open_case,
    record_environment_duty,
    reopen_case,
)
from cases.errors import CaseChanged, CaseRuleError
from cases.forms.case import (
    CloseForm,
    DutyForm,
    LevelForm,
    NoteForm,
    OpenCaseForm,
    OwnerForm,
    ReopenForm,
    VersionedForm,
)
from cases.models import Case, CaseAccessLog, Level
from cases.queries import missing_for
from cases.team_meeting import latest_next_step
from cases.transitions import allowed_moves
from fravaer import access as fravaer_access
from fravaer.forms import is_plain_number
from fravaer.models import Flag
from fravaer.panels import panels_for

ACCESS_LOG_PAGE_SIZE = 50


# --- the case page ----------------------------------------------------------------------


def _level_forms(
    grant: access.CaseAccess, bound: LevelForm | None, missing: dict[str, list[str]]
) -> list[LevelForm]:
    case = grant.case
    moves = allowed_moves(case.level)
    if not (grant.can_manage and case.is_open):
        moves = []
    # A refused form stays on the page with what was typed, even when the move no
    # longer exists (someone else moved the case meanwhile).
    if bound is not None and bound.to not in moves:
        bound.missing = []
        return [bound] + _level_forms(grant, None, missing)
    coordinators = queries.coordinator_candidates(case) if Level.NIVA_2A in moves else None
    forms = []
    for to in moves:
        if bound is not None and bound.to == to:
            forms.append(bound)
        else:
            initial = {"version": case.version}
            forms.append(LevelForm(initial=initial, case=case, to=to, coordinators=coordinators))
        forms[-1].missing = missing.get(to, [])
    return forms


def case_context(request: HttpRequest, grant: access.CaseAccess, **extra) -> dict:
    """What every section of the case page needs. Sections read the case's relations
    in their include; each relation is one query. Other areas' views re-render the page
    through this too, so the case's own sections are always complete."""
    case = grant.case
    today = timezone.localdate()
    version = {"version": case.version}
    prefetch_related_objects([case], *queries.CASE_PAGE_PREFETCH)
    context = {
        "grant": grant,
        "case": case,
        "today": today,
        "now": timezone.now(),
        "group_name": queries.current_group_name(case.pupil, today),
        "guide": queries.LEVEL_GUIDES[case.level],
        "timeline": queries.timeline(case),
        "attached_flags": (attached := queries.attached_flags(case)),
        "active_flags": queries.active_flags(case.pupil, besides=attached)
        if grant.sees_other_flags
        else [],
        "notes": list(case.notes.select_related("author")),
        "note_form": NoteForm(),
        # The school-environment team's latest next step, from a team meeting.
        "team_next_step": latest_next_step(case),
        # What the upper apps add (`fravaer.panels`; `plans`: the measure plan).
        "panels": panels_for("case_detail", request, case=case, grant=grant),
    }
    if grant.can_manage:
        if case.is_open:
            context["missing"] = queries.missing_before(case, today)
            context["prompts"] = queries.case_prompts(case, today)
            context["close_form"] = CloseForm(initial=version, level=case.level)
            context["meetings_to_cancel"] = meetings_to_cancel(case)
            # Closing ends the referral and PPT's access (`close_case`); say so first.
            context["referral_to_end"] = case.has_active_referral
            context["flags_to_acknowledge"] = [
                f for f in attached if f.status == Flag.Status.ACTIVE
            ]
            context["duty_form"] = DutyForm(
                initial={
                    **version,
                    "involved": case.environment_duty,
                    "reference": case.activity_plan_ref,
                }
            )
        elif case.can_reopen(timezone.now()):
            context["reopen_form"] = ReopenForm(initial=version)
    if grant.can_assign_owner and case.is_open:
        context["owner_form"] = OwnerForm(
            initial={**version, "owner": case.owner_id},
            candidates=access.owner_candidates(case),
        )
    context.update(extra)
    context["level_forms"] = _level_forms(
        grant, extra.get("level_form"), context.get("missing", {})
    )
    return context


@require_GET
def case_detail(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = access.case_access_or_404(request.user, case_uuid)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_page")
    return render(request, "cases/case_detail.html", case_context(request, grant))


def _page(request: HttpRequest, grant: access.CaseAccess, **extra) -> HttpResponse:
    """The case page after a POST: the body alone for htmx, else the whole page. The
    user sees the case again, so the read is logged."""
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_page")
    context = case_context(request, grant, **extra)
    if request.htmx:
        return render(request, "cases/case_detail.html#case-body", {**context, "swap": True})
    return render(request, "cases/case_detail.html", context)


def _done(request: HttpRequest, grant: access.CaseAccess, message: str, anchor: str = ""):
    messages.success(request, message)
    if request.htmx:
        grant = access.case_access_or_404(request.user, grant.case.uuid)
        return _page(request, grant)
    return redirect(reverse("cases:case", args=[grant.case.uuid]) + anchor)


def _failed(request, grant, form: VersionedForm, exc: CaseRuleError, **extra) -> HttpResponse:
    """Show the refusal on the form, keeping what was typed. After `CaseChanged` the
    page shows the case as it now is, and the form is based on the new version: the
    page's alert says so, once; the form has nothing to correct, so it has no error
    summary, and stays open with what was typed (`kept`)."""
    if isinstance(exc, CaseChanged):
        grant = access.case_access_or_404(request.user, grant.case.uuid)
        form.with_version(grant.case.version)
        form.kept = True
        extra["alert"] = exc.message
    else:
        form.add_error(None, exc.message)
    return _page(request, grant, **extra)


def _check_version(form: VersionedForm, case: Case) -> None:
    """The user worked on an older state of the case: say so before any other rule, so
    the message is about the change, not about a move that no longer exists."""
    if form.cleaned_data["version"] != case.version:
        raise CaseChanged()


def _submit(
    request: HttpRequest,
    grant: access.CaseAccess,
    form: VersionedForm,
    slot: str,
    act: Callable[[dict], object],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """The course of every versioned case form: a valid form, on the version the user
    saw, runs its action (`act` with the cleaned data) and says `done`; a refused
    action or a newer version shows the page again with the form as typed in `slot`
    and the reason; an invalid form shows the page with its field errors."""
    if not form.is_valid():
        return _page(request, grant, **{slot: form})
    try:
        _check_version(form, grant.case)
        act(form.cleaned_data)
    except CaseRuleError as exc:
        return _failed(request, grant, form, exc, **{slot: form})
    return _done(request, grant, done, anchor)


def _manager_or_404(request: HttpRequest, case_uuid) -> access.CaseAccess:
    grant = access.case_access_or_404(request.user, case_uuid)
    if not grant.can_manage:
        raise Http404
    return grant


def _add_move_blockers(form: LevelForm, case: Case) -> None:
    """Add to the form what the move lacks, each at the field it concerns (once: a
    field already in error keeps its own message) or above the form."""
    if not case.is_open or form.direction is None:
        return  # the action says why
    data = getattr(form, "cleaned_data", {})
    missing = missing_for(
        case,
        form.to,
        form.direction,
        today=timezone.localdate(),
        coordinator=data.get("coordinator"),
        leaders_informed=bool(data.get("leaders_informed")),
        summary_due=data.get("summary_due"),
    )
    for code, message in missing:
        field = form.rule_fields.get(code)
        if field in form.fields:
            if field not in form.errors and field in data:
                form.add_error(field, message)
        else:
            form.add_error(None, message)


@require_POST
def case_level(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _manager_or_404(request, case_uuid)
    case = grant.case
    to = request.POST.get("to", "")
    if to not in Level.values:
        raise Http404
    coordinators = queries.coordinator_candidates(case) if to == Level.NIVA_2A else None
    form = LevelForm(request.POST, case=case, to=to, coordinators=coordinators)
    if not form.is_valid() or form.cleaned_data["version"] == case.version:
        # Every blocker in one answer: the fields' errors and what the move itself
        # still lacks (`missing_for`, the rule `change_level` applies), together.
        _add_move_blockers(form, case)
    return _submit(
        request,
        grant,
        form,
        "level_form",
        lambda data: change_level(case, by=request.user, **form.action_kwargs()),
        _("Saken er flyttet til %(level)s.") % {"level": form.label},
        "#niva",
    )


@require_POST
def case_close(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _manager_or_404(request, case_uuid)
    return _submit(
        request,
        grant,
        CloseForm(
            request.POST,
            level=grant.case.level
            if request.POST.get("avslutt-version") == str(grant.case.version)
            else None,
        ),
        "close_form",
        lambda data: close_case(
            grant.case,
            reason=data["reason"],
            text=data["text"],
            by=request.user,
            version=data["version"],
        ),
        _("Saken er avsluttet."),
    )


@require_POST
def case_reopen(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _manager_or_404(request, case_uuid)
    return _submit(
        request,
        grant,
        ReopenForm(request.POST),
        "reopen_form",
        lambda data: reopen_case(
            grant.case, by=request.user, reason=data["reason"], version=data["version"]
        ),
        _("Saken er gjenåpnet."),
    )


@require_POST
def case_owner(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = access.case_access_or_404(request.user, case_uuid)
    if not grant.can_assign_owner:
        raise Http404
    return _submit(
        request,
        grant,
        OwnerForm(request.POST, candidates=access.owner_candidates(grant.case)),
        "owner_form",
        lambda data: assign_owner(
            grant.case, owner=data["owner"], by=request.user, version=data["version"]
        ),
        _("Saksansvarlig er lagret."),
    )


@require_POST
def case_duty(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _manager_or_404(request, case_uuid)
    form = DutyForm(request.POST)
    if form.is_valid():
        try:
            _check_version(form, grant.case)
            record_environment_duty(
                grant.case,
                involved=form.cleaned_data["involved"],
                reference=form.cleaned_data["reference"],
                by=request.user,
                version=form.cleaned_data["version"],
            )
        except CaseRuleError as exc:
            if exc.code == "activity_plan_ref_required":
                form.add_error("reference", exc.message)
                return _page(request, grant, duty_form=form)
            return _failed(request, grant, form, exc, duty_form=form)
        return _done(request, grant, _("Aktivitetsplikten er registrert."))
    return _page(request, grant, duty_form=form)


@require_POST
def case_note(request: HttpRequest, case_uuid) -> HttpResponse:
    """Everyone who may read the case may add a note (PPT on referral too)."""
    grant = access.case_access_or_404(request.user, case_uuid)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            add_note(grant.case, text=form.cleaned_data["text"], by=request.user, basis=grant.basis)
        except CaseRuleError as exc:
            form.add_error("text", exc.message)
        else:
            return _done(request, grant, _("Notatet er lagret."), "#notater")
    return _page(request, grant, note_form=form)


# --- opening a case ---------------------------------------------------------------------


def _opener_or_404(request: HttpRequest, pupil_uuid):
    grant = fravaer_access.pupil_access_or_404(request.user, pupil_uuid)
    if not access.may_open_case(
        request.user,
        school_id=grant.group.school_id,
        is_contact_teacher=grant.is_contact_teacher,
    ):
        raise Http404
    return grant


def _flag_or_none(grant, flag_id) -> Flag | None:
    if not flag_id:
        return None
    return fravaer_access.pupil_flag_or_404(grant, int(flag_id))


@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest, pupil_uuid) -> HttpResponse:
    """Open a case for the pupil: from a flag (the flag's button posts its id and
    explanation: one click) or from the pupil page. A case closed less than 90 days
    ago is offered for reopening instead of starting over."""
    grant = _opener_or_404(request, pupil_uuid)
    pupil = grant.pupil
    state = queries.pupil_case(
        request.user,
        pupil,
        school_id=grant.group.school_id,
        is_contact_teacher=grant.is_contact_teacher,
    )
    flag_param = request.POST.get("flag") or request.GET.get("varsel") or ""
    flag = _flag_or_none(grant, flag_param) if is_plain_number(flag_param) else None
    error = ""
    reopen_form = None
    if state.recent_closed:
        reopen_form = ReopenForm(initial={"version": state.recent_closed.version})
    if request.method == "POST" and request.POST.get("reopen") and state.recent_closed:
        # Reopening from this page: a refusal (no reason, a change in between) is shown
        # here, beside the choice to start over, with what was typed.
        closed = _manager_or_404(request, state.recent_closed.uuid)
        reopen_form = ReopenForm(request.POST)
        if reopen_form.is_valid():
            try:
                _check_version(reopen_form, closed.case)
                reopen_case(
                    closed.case,
                    by=request.user,
                    reason=reopen_form.cleaned_data["reason"],
                    version=reopen_form.cleaned_data["version"],
                )
            except CaseRuleError as exc:
                reopen_form.add_error(None, exc.message)
                if isinstance(exc, CaseChanged):
                    reopen_form.with_version(Case.objects.get(pk=closed.case.pk).version)
            else:
                messages.success(request, _("Saken er gjenåpnet."))
                return redirect("cases:case", case_uuid=closed.case.uuid)
        initial = {"concern": flag.explanation() if flag else "", "flag": flag.pk if flag else None}
        form = OpenCaseForm(initial=initial)
    elif request.method == "POST":
        form = OpenCaseForm(request.POST)
        # The one-click button from a flag does not start over when a recently closed
        # case could be reopened: the page offers the choice first.
        confirmed = request.POST.get("start_new") or state.recent_closed is None
        if form.is_valid() and confirmed:
            try:
                case = open_case(
                    pupil,
                    school=grant.group.school,
                    concern=form.cleaned_data["concern"],
                    by=request.user,
                    flag=flag,
                )
            except CaseRuleError as exc:
                error = exc.message
            else:
                messages.success(request, _("Saken er opprettet på nivå 0 – undring."))
                return redirect("cases:case", case_uuid=case.uuid)
    else:
        initial = {"concern": flag.explanation() if flag else "", "flag": flag.pk if flag else None}
        form = OpenCaseForm(initial=initial)
    context = {
        "grant": grant,
        "pupil": pupil,
        "group": grant.group,
        "state": state,
        "flag": flag,
        "form": form,
        "error": error,
        "reopen_form": reopen_form,
    }
    return render(request, "cases/case_open.html", context)


# --- the access log ---------------------------------------------------------------------


@require_GET
def case_access_log(request: HttpRequest, case_uuid) -> HttpResponse:
    """Who read the case, when and on what basis. Leaders only; reading it is logged."""
    grant = access.case_access_or_404(request.user, case_uuid)
    if not grant.can_view_access_log:
        raise Http404
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="access_log")
    rows = CaseAccessLog.objects.filter(case=grant.case).select_related("user")
    page = Paginator(rows, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("side"))
    for row in page:
        row.basis_label = queries.BASIS_LABELS.get(row.basis, row.basis)
        row.what_label = queries.WHAT_LABELS.get(row.what, row.what)
    context = {"grant": grant, "case": grant.case, "page": page}
    return render(request, "cases/case_access_log.html", context)
