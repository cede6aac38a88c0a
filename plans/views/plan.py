"""The measure plan's pages under the case: the plan page (the version in force and
the draft), the draft editor (the plan's fields, goals, measures with their tapering
steps, the attendance plan), agreeing, drafting the next version, each version, and
two versions side by side.

Every page asks the case grant first (`case_access_or_404`: 404 for a user who may
not see the case), then `plans.access`; a reader without edit rights gets 404 on the
editor and every POST. Reads are logged on the case's access log. Every draft form
posts the draft's `revision`; after `PlanChanged` the page shows the draft as it now
is, with what the user typed kept and based on the new revision."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import CaseAccess, case_viewers
from cases.actions.access_log import log_case_read
from cases.errors import CaseRuleError
from cases.models import Consent
from fravaer.forms import is_plain_number
from fravaer.models import Guardian, User
from plans import access, queries, rules
from plans.actions.versions import (
    add_attendance_step,
    add_tapering_step,
    agree_version,
    draft_next_version,
    missing_to_agree,
    remove_item,
    save_attendance_day,
    save_draft,
    save_goal,
    save_measure,
    start_agreement,
)
from plans.errors import PlanChanged
from plans.forms.plan import (
    AgreeForm,
    AttendanceDayForm,
    AttendanceStepForm,
    DraftForm,
    GoalForm,
    MeasureForm,
    NextVersionForm,
    RemoveForm,
    RevisionForm,
    TaperingStepForm,
)
from plans.models import PlanVersion


def _reader_or_404(request: HttpRequest, case_uuid) -> CaseAccess:
    return access.grant_or_404(request.user, case_uuid, access.may_read_plan)


def _editor_or_404(request: HttpRequest, case_uuid) -> CaseAccess:
    return access.grant_or_404(request.user, case_uuid, access.may_edit_plan)


def _plan_url(grant: CaseAccess, anchor: str = "") -> str:
    return reverse("plans:plan", args=[grant.case.uuid]) + anchor


def _draft_url(grant: CaseAccess, anchor: str = "") -> str:
    return reverse("plans:draft", args=[grant.case.uuid]) + anchor


def _staff(case) -> QuerySet[User]:
    """Staff who may be named responsible or as a participant: the active users who can
    open the case (`cases.access.case_viewers`)."""
    return (
        case_viewers(case, timezone.localdate())
        .filter(is_active=True)
        .order_by("first_name", "last_name", "username")
    )


def _services(case) -> list[str]:
    """Services with a consent in force on the case today."""
    return sorted(
        set(
            Consent.objects.in_force(timezone.localdate())
            .filter(case=case)
            .values_list("service", flat=True)
        )
    )


# --- the plan page --------------------------------------------------------------------


@require_GET
def plan_page(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _reader_or_404(request, case_uuid)
    case = grant.case
    log_case_read(case, user=request.user, basis=grant.basis, what="plan")
    today = timezone.localdate()
    state = queries.plan_state(case)
    failed = queries.failed_measure_ids(state.agreement.pk) if state.agreement else set()
    context = {
        "grant": grant,
        "case": case,
        "today": today,
        "state": state,
        "may_edit": access.may_edit_plan(grant) and case.is_open,
        "level_allows_plan": case.level in rules.PLAN_LEVELS,
        "may_download": access.may_download_documents(grant),
    }
    for name in ("current", "draft"):
        version = getattr(state, name)
        if version is not None:
            measures = queries.annotate_measures(version, today, failed)
            context[f"{name}_measures"] = measures
            context[f"{name}_circle"] = queries.measure_circle(measures)
            context[f"{name}_participants"] = queries.participants(version)
    if state.current is not None:
        context["current_dates"] = queries.evaluation_dates(state.current)
    return render(request, "plans/plan.html", context)


@require_POST
def plan_start(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _editor_or_404(request, case_uuid)
    try:
        start_agreement(grant.case, by=request.user)
    except CaseRuleError as exc:
        messages.error(request, exc.message)
        return redirect(_plan_url(grant))
    messages.success(request, _("Utkast til samarbeidsavtale er laget."))
    return redirect(_draft_url(grant))


@require_POST
def plan_next(request: HttpRequest, case_uuid) -> HttpResponse:
    """Draft the next version from the version in force ("Endre planen (ny versjon)")."""
    grant = _editor_or_404(request, case_uuid)
    state = queries.plan_state(grant.case, with_content=False)
    form = NextVersionForm(request.POST)
    if state.current is None or not form.is_valid():
        messages.error(request, _("Det finnes ingen avtalt plan å endre."))
        return redirect(_plan_url(grant))
    try:
        draft_next_version(
            state.current, by=request.user, change_reason=form.cleaned_data["change_reason"]
        )
    except CaseRuleError as exc:
        messages.error(request, exc.message)
        if exc.code == "plan_draft_exists":
            return redirect(_draft_url(grant))
        return redirect(_plan_url(grant))
    messages.success(request, _("Utkast til ny versjon er laget. Endre det og avtal det på nytt."))
    return redirect(_draft_url(grant))


# --- the draft editor -------------------------------------------------------------------


def _draft_or_404(grant: CaseAccess) -> PlanVersion:
    draft = PlanVersion.objects.filter(
        agreement__case=grant.case, status=PlanVersion.Status.DRAFT
    ).first()
    if draft is None:
        raise Http404
    return queries.version_with_content(draft.pk)


def _draft_context(request, grant: CaseAccess, draft: PlanVersion, **bound) -> dict:
    today = timezone.localdate()
    failed = queries.failed_measure_ids(draft.agreement_id)
    measures = queries.annotate_measures(draft, today, failed)
    revision = {"revision": draft.revision}
    context = {
        "grant": grant,
        "case": grant.case,
        "today": today,
        "draft": draft,
        "measures": measures,
        "circle": queries.measure_circle(measures),
        "failed_reviews": queries.failed_reviews_for(draft, measures),
        "missing": missing_to_agree(draft),
        "draft_form": DraftForm(
            initial={**revision, **{f: getattr(draft, f) for f in DraftForm.base_fields}},
            first_version=draft.based_on_id is None,
        ),
        "goal_form": GoalForm(initial=revision, prefix="goal"),
        "day_form": AttendanceDayForm(initial=revision, prefix="day"),
        "step_form": AttendanceStepForm(initial=revision, prefix="step"),
        "tapering_forms": {},
    }
    context.update(bound)
    tapering_bound = bound.get("tapering_bound")
    for m in measures:
        if m.special_arrangement:
            if tapering_bound and tapering_bound[0] == m.pk:
                m.step_form = tapering_bound[1]
            else:
                m.step_form = TaperingStepForm(initial=revision, prefix=f"trinn{m.pk}")
    return context


def _draft_page(request, grant, draft, status: int = 200, **bound) -> HttpResponse:
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="plan_draft")
    context = _draft_context(request, grant, draft, **bound)
    return render(request, "plans/draft.html", context, status=status)


def _refused(request, grant, draft, form: RevisionForm, exc: CaseRuleError, slot: str, **extra):
    """A refusal at its field, or, after `PlanChanged`, the draft as it now is with the
    typed input kept on the new revision."""
    if isinstance(exc, PlanChanged):
        draft = _draft_or_404(grant)
        form.with_revision(draft.revision)
        form.kept = True
        extra["alert"] = exc.message
    else:
        form.add_rule_error(exc)
    return _draft_page(request, grant, draft, **{slot: form}, **extra)


@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, case_uuid) -> HttpResponse:
    """The draft page; its POST saves the plan's own fields."""
    grant = _editor_or_404(request, case_uuid)
    draft = _draft_or_404(grant)
    if request.method == "GET":
        return _draft_page(request, grant, draft)
    form = DraftForm(request.POST, first_version=draft.based_on_id is None)
    if not form.is_valid():
        return _draft_page(request, grant, draft, draft_form=form)
    try:
        save_draft(
            draft, revision=form.cleaned_data["revision"], by=request.user, **form.fields_to_save()
        )
    except CaseRuleError as exc:
        return _refused(request, grant, draft, form, exc, "draft_form")
    messages.success(request, _("Utkastet er lagret."))
    return redirect(_draft_url(grant, "#planen"))


ADDERS = {
    # URL word: (form, prefix, action, the draft page's slot for the bound form, anchor)
    "delmal": (GoalForm, "goal", save_goal, "goal_form", "#delmal"),
    "oppmote": (AttendanceDayForm, "day", save_attendance_day, "day_form", "#oppmote"),
    "oppmotetrinn": (AttendanceStepForm, "step", add_attendance_step, "step_form", "#oppmote"),
}
ADDED = {
    "delmal": _("Delmålet er lagt til."),
    "oppmote": _("Dagen i oppmøteplanen er lagret."),
    "oppmotetrinn": _("Trinnet i oppmøteplanen er lagt til."),
}


@require_POST
def draft_add(request: HttpRequest, case_uuid, what: str) -> HttpResponse:
    """Add a goal, a weekday of the attendance plan or one of its steps."""
    grant = _editor_or_404(request, case_uuid)
    if what not in ADDERS:
        raise Http404
    form_class, prefix, act, slot, anchor = ADDERS[what]
    draft = _draft_or_404(grant)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        return _draft_page(request, grant, draft, **{slot: form})
    values = {k: v for k, v in form.cleaned_data.items() if k != "revision"}
    try:
        act(draft, revision=form.cleaned_data["revision"], by=request.user, **values)
    except CaseRuleError as exc:
        return _refused(request, grant, draft, form, exc, slot)
    messages.success(request, str(ADDED[what]))
    return redirect(_draft_url(grant, anchor))


@require_POST
def draft_tapering_step(request: HttpRequest, case_uuid, measure_id: int) -> HttpResponse:
    grant = _editor_or_404(request, case_uuid)
    draft = _draft_or_404(grant)
    measure = next((m for m in draft.measures.all() if m.pk == measure_id), None)
    if measure is None:
        raise Http404
    form = TaperingStepForm(request.POST, prefix=f"trinn{measure.pk}")
    if not form.is_valid():
        return _draft_page(request, grant, draft, tapering_bound=(measure.pk, form))
    try:
        add_tapering_step(
            draft,
            revision=form.cleaned_data["revision"],
            by=request.user,
            measure=measure,
            starts_on=form.cleaned_data["starts_on"],
            description=form.cleaned_data["description"],
        )
    except CaseRuleError as exc:
        if isinstance(exc, PlanChanged):
            draft = _draft_or_404(grant)
            form.with_revision(draft.revision)
            return _draft_page(
                request, grant, draft, tapering_bound=(measure.pk, form), alert=exc.message
            )
        form.add_rule_error(exc)
        return _draft_page(request, grant, draft, tapering_bound=(measure.pk, form))
    messages.success(request, _("Trinnet er lagt til i nedtrappingsplanen."))
    return redirect(_draft_url(grant, f"#tiltak-{measure.pk}"))


@require_POST
def draft_remove(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _editor_or_404(request, case_uuid)
    draft = _draft_or_404(grant)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        remove_item(
            draft,
            revision=form.cleaned_data["revision"],
            by=request.user,
            kind=form.cleaned_data["kind"],
            item_id=form.cleaned_data["item"],
        )
    except PlanChanged:
        # Nothing was typed to keep: say what to do instead of PlanChanged's message.
        messages.error(
            request,
            _(
                "Utkastet er endret av noen andre mens du arbeidet med det, så ingenting er "
                "fjernet. Se over utkastet og fjern på nytt om det fortsatt skal bort."
            ),
        )
        return redirect(_draft_url(grant))
    except CaseRuleError as exc:
        messages.error(request, exc.message)
        return redirect(_draft_url(grant))
    messages.success(request, _("Fjernet fra utkastet."))
    return redirect(_draft_url(grant))


@require_http_methods(["GET", "POST"])
def draft_goal(request: HttpRequest, case_uuid, goal_id: int) -> HttpResponse:
    """Change a short-term goal of the draft."""
    grant = _editor_or_404(request, case_uuid)
    draft = _draft_or_404(grant)
    goal = next((g for g in draft.goals.all() if g.pk == goal_id), None)
    if goal is None:
        raise Http404
    alert = ""
    if request.method == "POST":
        form = GoalForm(request.POST)
        if form.is_valid():
            try:
                save_goal(
                    draft,
                    revision=form.cleaned_data["revision"],
                    by=request.user,
                    goal=goal,
                    text=form.cleaned_data["text"],
                    target_date=form.cleaned_data["target_date"],
                )
            except PlanChanged as exc:
                form.with_revision(_draft_or_404(grant).revision)
                form.kept = True
                alert = exc.message
            except CaseRuleError as exc:
                form.add_rule_error(exc)
            else:
                messages.success(request, _("Delmålet er lagret."))
                return redirect(_draft_url(grant, "#delmal"))
    else:
        initial = {"revision": draft.revision, "text": goal.text, "target_date": goal.target_date}
        form = GoalForm(initial=initial)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="plan_draft")
    context = {"grant": grant, "case": grant.case, "goal": goal, "form": form, "alert": alert}
    return render(request, "plans/goal_form.html", context)


# --- a measure --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def draft_measure(request: HttpRequest, case_uuid, measure_id: int | None = None) -> HttpResponse:
    """Add a measure to the draft, or change one."""
    grant = _editor_or_404(request, case_uuid)
    draft = _draft_or_404(grant)
    measure = None
    if measure_id is not None:
        measure = next((m for m in draft.measures.all() if m.pk == measure_id), None)
        if measure is None:
            raise Http404
    failed = queries.failed_measure_ids(draft.agreement_id)
    failed_before = measure is not None and measure.continues_id in failed
    kwargs = {
        "staff": _staff(grant.case),
        "services": _services(grant.case),
        "failed_before": failed_before,
    }
    alert = ""
    if request.method == "POST":
        form = MeasureForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                measure = save_measure(
                    draft,
                    revision=form.cleaned_data["revision"],
                    by=request.user,
                    measure=measure,
                    **form.values(),
                )
            except PlanChanged as exc:
                form.with_revision(_draft_or_404(grant).revision)
                form.kept = True
                alert = exc.message
            except CaseRuleError as exc:
                form.add_rule_error(exc)
            else:
                messages.success(request, _("Tiltaket er lagret."))
                return redirect(_draft_url(grant, f"#tiltak-{measure.pk}"))
    else:
        initial = {"revision": draft.revision, "starts_on": timezone.localdate()}
        if measure is not None:
            initial.update(
                {
                    name: getattr(measure, name)
                    for name in MeasureForm.base_fields
                    if name not in ("revision", "responsible_staff")
                }
            )
            initial["responsible_staff"] = measure.responsible_staff_id
        form = MeasureForm(initial=initial, **kwargs)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="plan_draft")
    context = {
        "grant": grant,
        "case": grant.case,
        "draft": draft,
        "measure": measure,
        "form": form,
        "alert": alert,
        "failed_before": failed_before,
    }
    return render(request, "plans/measure_form.html", context)


# --- agreeing ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def plan_agree(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _editor_or_404(request, case_uuid)
    draft = _draft_or_404(grant)
    case = grant.case
    kwargs = {
        "guardians": Guardian.objects.filter(pupils=case.pupil).order_by("name"),
        "staff": _staff(case),
        "suggested_evaluation": queries.default_evaluation_date(case, timezone.localdate()),
    }
    if request.method == "POST":
        form = AgreeForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                agree_version(draft, by=request.user, **form.cleaned_data)
            except CaseRuleError as exc:
                form.add_rule_error(exc)
            else:
                messages.success(
                    request,
                    _("Versjon %(number)s er avtalt. Evalueringsfristen er satt.")
                    % {"number": draft.number},
                )
                return redirect(_plan_url(grant))
    else:
        initial = {
            "agreed_on": timezone.localdate(),
            "evaluation_date": draft.evaluation_date or kwargs["suggested_evaluation"],
        }
        form = AgreeForm(initial=initial, **kwargs)
    log_case_read(case, user=request.user, basis=grant.basis, what="plan_draft")
    context = {
        "grant": grant,
        "case": case,
        "draft": draft,
        "form": form,
        "missing": missing_to_agree(draft),
    }
    return render(request, "plans/agree.html", context)


# --- versions ---------------------------------------------------------------------------


def _version_or_404(grant: CaseAccess, number) -> PlanVersion:
    version = (
        PlanVersion.objects.filter(agreement__case=grant.case, number=number)
        .select_related("agreed_by")
        .prefetch_related(*queries.VERSION_PREFETCH)
        .first()
    )
    if version is None:
        raise Http404
    return version


@require_GET
def version_detail(request: HttpRequest, case_uuid, number: int) -> HttpResponse:
    grant = _reader_or_404(request, case_uuid)
    version = _version_or_404(grant, number)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="plan_version")
    today = timezone.localdate()
    measures = queries.annotate_measures(
        version, today, queries.failed_measure_ids(version.agreement_id)
    )
    context = {
        "grant": grant,
        "case": grant.case,
        "today": today,
        "version": version,
        "measures": measures,
        "circle": queries.measure_circle(measures),
        "participants": queries.participants(version),
        "dates": queries.evaluation_dates(version),
        "may_download": access.may_download_documents(grant),
    }
    return render(request, "plans/version.html", context)


@require_GET
def plan_compare(request: HttpRequest, case_uuid) -> HttpResponse:
    """Two versions side by side (`?fra=1&til=2`; by default the two newest)."""
    grant = _reader_or_404(request, case_uuid)
    numbers = list(
        PlanVersion.objects.filter(agreement__case=grant.case)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if len(numbers) < 2:
        raise Http404
    old_n, new_n = request.GET.get("fra", ""), request.GET.get("til", "")
    old_n = int(old_n) if is_plain_number(old_n) else numbers[-2]
    new_n = int(new_n) if is_plain_number(new_n) else numbers[-1]
    old, new = _version_or_404(grant, old_n), _version_or_404(grant, new_n)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="plan_compare")
    context = {
        "grant": grant,
        "case": grant.case,
        "numbers": numbers,
        "cmp": queries.compare_versions(old, new),
    }
    return render(request, "plans/compare.html", context)
