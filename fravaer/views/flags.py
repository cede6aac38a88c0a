"""Flags and the inbox: the inbox, acknowledging a flag, the leaders' overview of a
school's flags and the municipal administrator's rule settings. The contact teacher's
list is on the start page and a pupil's flags on the pupil page (`fravaer.views.pupils`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import retarget

from fravaer import access, overviews
from fravaer.actions import (
    FlagRuleError,
    RuleSettingError,
    acknowledge_flag,
    change_rule_settings,
    mark_notifications_read,
    rule_configs,
)
from fravaer.context_processors import forget_unread_count
from fravaer.forms.base import is_plain_number
from fravaer.forms.flags import (
    AcknowledgeFlagForm,
    RuleSettingsForm,
    SchoolFlagFilterForm,
    format_threshold,
)
from fravaer.models import AbsenceRecord, Flag, Group, RuleSettingChange
from fravaer.panels import panels_for
from fravaer.queries import flagged_pupils, is_pattern, pupil_flags, with_evidence
from fravaer.thresholds import RULE_LIST, RULES

INBOX_PAGE_SIZE = 50
INBOX_PREVIEW_FLAGS = 5  # a message's flags shown in the inbox; the rest on its own page
MESSAGE_PAGE_SIZE = 50
SCHOOL_PAGE_SIZE = 50
CHANGE_LOG_SIZE = 100


def safe_next_url(request: HttpRequest, default: str) -> str:
    """The `next` address the form carried, if it stays on this site; else `default`."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


# --- inbox ------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest, page_number) -> dict:
    """A page of messages; a flag message shows its first few flags (one query for
    the whole page) and links to the rest."""
    notifications = access.inbox_notifications(request.user)
    page = Paginator(notifications, INBOX_PAGE_SIZE).get_page(page_number)
    preview_ids = {n.pk: sorted(n.flag_ids)[:INBOX_PREVIEW_FLAGS] for n in page}
    flags = access.message_flags(request.user, page, first=INBOX_PREVIEW_FLAGS).in_bulk()
    subjects = overviews.notice_subjects(page)
    for n in page:
        n.preview = [flags[fid] for fid in preview_ids[n.pk] if fid in flags]
        n.more = n.flag_count - len(preview_ids[n.pk])
        n.subject = subjects.get(n.pk, "")
    return {"page": page}


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = _inbox_context(request, request.GET.get("side"))
    return render(request, "fravaer/inbox.html", context)


@require_GET
def inbox_message(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Every flag of one message, a page at a time, the pupils' names first."""
    notification = access.own_notification_or_404(request.user, notification_id)
    if notification.kind != notification.Kind.FLAG:
        raise Http404
    flags = access.message_flags(request.user, [notification], by_name=True)
    page = Paginator(flags, MESSAGE_PAGE_SIZE).get_page(request.GET.get("side"))
    return render(
        request, "fravaer/inbox_message.html", {"notification": notification, "page": page}
    )


@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`varsling`) or all (`alle`) as read."""
    if request.POST.get("alle"):
        ids = None
    else:
        ids = [int(v) for v in request.POST.getlist("varsling") if is_plain_number(v)]
    count = mark_notifications_read(request.user, ids=ids)
    forget_unread_count(request.user)
    if ids is None:
        messages.success(request, _("Alle varsler er merket som lest."))
    elif count:
        messages.success(request, _("Varselet er merket som lest."))
    side = request.POST.get("side", "")
    page_number = int(side) if is_plain_number(side) else 1
    if request.htmx:
        context = _inbox_context(request, page_number)
        context["swap"] = True
        return render(request, "fravaer/inbox.html#inbox-list", context)
    return redirect(f"{reverse('inbox')}?side={page_number}")


# --- acknowledging a flag ----------------------------------------------------------------


@require_POST
def flag_acknowledge(request: HttpRequest, pupil_uuid, flag_id: int) -> HttpResponse:
    grant = access.pupil_access_or_404(request.user, pupil_uuid)
    flag = access.pupil_flag_or_404(grant, flag_id)
    if not access.may_acknowledge(request.user, flag):
        raise Http404  # the nurse and the attendance contact read; as for a flag not theirs
    form = AcknowledgeFlagForm(request.POST)
    # From the pupil's card on the start page the answer is the whole card, so that an
    # acknowledged flag's "Opprett sak" goes with it, and the card once nothing is left.
    on_card = bool(request.htmx) and request.htmx.target == f"elev-{grant.pupil.uuid}"
    if form.is_valid():
        try:
            flag = acknowledge_flag(flag, by=request.user, reason=form.cleaned_data["reason"])
        except FlagRuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Varselet er kvittert ut."))
            if on_card:
                return _render_start_page_card(request, grant)
            if request.htmx:
                return _render_flag_item(request, grant, flag, AcknowledgeFlagForm())
            default = reverse("pupil", args=[grant.pupil.uuid]) + "#varsler"
            return redirect(safe_next_url(request, default))
    if request.htmx:
        response = _render_flag_item(request, grant, flag, form, on_card=on_card)
        # A refusal changes nothing else on the card: only the flag, with its error.
        return retarget(response, f"#flag-{flag.pk}") if on_card else response
    context = {
        "grant": grant,
        "pupil": grant.pupil,
        "flag": _with_evidence(grant.pupil, flag),
        "ack_form": form,
        "may_acknowledge": True,  # asked above
        "next": safe_next_url(request, reverse("pupil", args=[grant.pupil.uuid]) + "#varsler"),
    }
    return render(request, "fravaer/flags/acknowledge.html", context)


def _with_evidence(pupil, flag: Flag) -> Flag:
    """The flag as it stands now, with `evidence` (the records behind it) chosen as on
    the pupil page, so that an answer re-shows the flag whole: its records as well."""
    records = list(
        AbsenceRecord.objects.current()
        .filter(pupil=pupil, date__gte=flag.period_start, date__lte=flag.period_end)
        .select_related("reason")
    )
    shown = pupil_flags(pupil, records)
    current = {f.pk: f for f in [*shown.active, *shown.past, *shown.patterns]}
    return current.get(flag.pk, flag)


def _render_flag_item(request, grant, flag, form, *, on_card=False) -> HttpResponse:
    context = {
        "flag": _with_evidence(grant.pupil, flag),
        "pupil": grant.pupil,
        "ack_form": form,
        "may_acknowledge": True,  # only `flag_acknowledge` renders it, having asked
        "next": safe_next_url(request, reverse("pupil", args=[grant.pupil.uuid])),
        "show_messages": True,
        "on_card": on_card,
        "in_folded": on_card and request.POST.get("vis_alle") == "1",
    }
    return render(request, "fravaer/includes/_flag_item.html", context)


def _render_start_page_card(request, grant) -> HttpResponse:
    """The pupil's card on the start page as it is now (`fravaer.views.home.home`)."""
    flags = access.contact_teacher_flags(request.user, timezone.localdate())
    entries = with_evidence(flagged_pupils(flags.filter(pupil=grant.pupil)))
    context = {
        "flagged_pupils": entries,
        "card_panels": panels_for("flagged_pupils", request, flagged_pupils=entries),
        "may_acknowledge": True,  # the contact teacher's own flags, as on the start page
        "pupil": grant.pupil,
        "show_messages": True,
        "show_all": request.POST.get("vis_alle") == "1",
    }
    return render(request, "fravaer/home.html#flagged-pupil-swap", context)


# --- the leaders' overview -----------------------------------------------------------------


ALERT_RULES = [rule for rule in RULE_LIST if not is_pattern(rule.code)]


@require_GET
def school_flags(request: HttpRequest, school_id: int) -> HttpResponse:
    """A school's active flags by rule and class, with filters (leaders and team)."""
    school = access.flag_overview_school_or_404(request.user, school_id)
    today = timezone.localdate()
    flags = access.overview_flags(today).filter(
        school=school, rule__in=[r.code for r in ALERT_RULES]
    )
    # This year's classes, and any older class a still-active flag was raised in.
    groups = list(
        Group.objects.filter(
            Q(Group.current_q(today), school=school) | Q(pk__in=flags.values("group_id"))
        ).select_related("school_year")
    )
    for group in groups:
        group.label = (
            group.name
            if group.school_year.contains(today)
            else f"{group.name} ({group.school_year.label})"
        )
    form = SchoolFlagFilterForm(request.GET, rules=ALERT_RULES, groups=groups)
    counts = list(flags.values("rule", "group_id").annotate(n=Count("pk")))
    shown = flags
    if form.is_valid():
        if form.cleaned_data["regel"]:
            shown = shown.filter(rule=form.cleaned_data["regel"])
        if form.cleaned_data["klasse"]:
            shown = shown.filter(group_id=form.cleaned_data["klasse"])
    shown = shown.select_related("pupil", "group").order_by("-raised_at", "-pk")
    page = Paginator(shown, SCHOOL_PAGE_SIZE).get_page(request.GET.get("side"))
    context = {
        "school": school,
        "form": form,
        "page": page,
        "table": _count_table(counts, groups),
        "filter_query": _filter_query(form),
    }
    return render(request, "fravaer/flags/school_flags.html", context)


def _count_table(counts: list[dict], groups: list[Group]) -> dict:
    """Rules down, classes across (the classes with flags, in the school's order)."""
    with_flags = {c["group_id"] for c in counts}
    columns = [g for g in groups if g.pk in with_flags]
    cell = {(c["rule"], c["group_id"]): c["n"] for c in counts}
    rows = []
    for rule in ALERT_RULES:
        values = [cell.get((rule.code, g.pk), 0) for g in columns]
        if any(values):
            cells = list(zip(columns, values, strict=True))
            rows.append({"rule": rule, "cells": cells, "total": sum(values)})
    totals = [sum(cell.get((r.code, g.pk), 0) for r in ALERT_RULES) for g in columns]
    return {
        "columns": columns,
        "rows": rows,
        "totals": list(zip(columns, totals, strict=True)),
        "total": sum(c["n"] for c in counts),
    }


def _filter_query(form: SchoolFlagFilterForm) -> str:
    if not form.is_valid():
        return ""
    parts = [f"{k}={v}" for k, v in form.cleaned_data.items() if v]
    return "&".join(parts)


# --- the municipality's rule settings ------------------------------------------------------


@require_http_methods(["GET", "POST"])
def municipality_rules(request: HttpRequest, municipality_id: int) -> HttpResponse:
    municipality = access.municipality_admin_or_404(request.user, municipality_id)
    current = rule_configs([municipality.pk])[municipality.pk]
    form = RuleSettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            change_rule_settings(municipality, changes, by=request.user)
        except RuleSettingError as exc:
            form.add_rule_error(exc)
        else:
            if changes:
                messages.success(
                    request,
                    ngettext(
                        "Lagret: %(n)s regel er endret.",
                        "Lagret: %(n)s regler er endret.",
                        len(changes),
                    )
                    % {"n": len(changes)},
                )
            else:
                messages.info(request, _("Ingen endringer å lagre."))
            return redirect("municipality_rules", municipality.pk)
    log = RuleSettingChange.objects.filter(municipality=municipality).select_related("by")
    context = {
        "municipality": municipality,
        "form": form,
        "changes": [_change_row(c) for c in log[:CHANGE_LOG_SIZE]],
    }
    return render(request, "fravaer/flags/municipality_rules.html", context)


def _setting_text(setting: dict | None, rule: str) -> str:
    if not setting:
        return "–"
    state = _("på") if setting.get("enabled") else _("av")
    if rule == "undocumented":
        return state
    return _("%(state)s, grense %(threshold)s") % {
        "state": state,
        "threshold": format_threshold(setting.get("threshold", "0")),
    }


def _change_row(change: RuleSettingChange) -> dict:
    rule = RULES.get(change.rule)
    return {
        "at": change.at,
        "by": change.by,
        "rule": rule.name if rule else change.rule,
        "before": _setting_text(change.before, change.rule),
        "after": _setting_text(change.after, change.rule),
    }
