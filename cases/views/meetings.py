"""Conversations (nivå 0), meetings (nivå 1 and on) with their calendar invitation,
mappings and mapping tasks. Each view fetches the case through `cases.access`: a case
the user may not see, or an action their role may not take, answers 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.db.models import Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import access
from cases import queries as case_queries
from cases.actions.access_log import log_case_read
from cases.actions.meetings import (
    assign_task,
    cancel_meeting,
    complete_task,
    log_conversation,
    mark_meeting_held,
    record_mapping,
    schedule_meeting,
    staff_candidates,
)
from cases.errors import CaseRuleError
from cases.forms.meetings import (
    ConversationForm,
    MappingForm,
    MeetingCancelForm,
    MeetingForm,
    MeetingHeldForm,
    TaskForm,
)
from cases.models import (
    Deadline,
    Mapping,
    MappingTask,
    Meeting,
    Participant,
)
from cases.questions import CLOSING_POINTS, OPENING_POINTS
from fravaer import queries
from fravaer.models import AbsenceRecord, Enrollment
from fravaer.panels import panels_for
from fravaer.schooldays import SchoolCalendar

# What the case page's conversation, meeting and mapping sections read: one query each
# (`cases.views.case.case_detail` prefetches these).


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _case_url(grant: access.CaseAccess, anchor: str = "") -> str:
    return reverse("cases:case", args=[grant.case.uuid]) + anchor


def _grant_or_404(request: HttpRequest, case_uuid, may: Callable[[access.CaseAccess], bool]):
    """The case through the access policy, if the user may take the step `may` asks
    about (one of the grant's `may_*`, which the case page asks too); else 404."""
    grant = access.case_access_or_404(request.user, case_uuid)
    if not may(grant):
        raise Http404
    return grant


def _meeting_or_404(grant: access.CaseAccess, meeting_uuid) -> Meeting:
    meeting = (
        Meeting.objects.filter(case=grant.case, uuid=meeting_uuid)
        .select_related("scheduled_by")
        .prefetch_related("guardians", "staff")
        .first()
    )
    if meeting is None:
        raise Http404
    meeting.case = grant.case
    return meeting


def _section_context(request: HttpRequest, grant: access.CaseAccess, **extra) -> dict:
    """What this area's pages and the case page's sections read (see
    `cases.views.case.case_context`, which the case page itself uses)."""
    return {"grant": grant, "case": grant.case, "today": timezone.localdate(), **extra}


# --- conversations (nivå 0) -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_log_conversation)
    form = ConversationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            log_conversation(
                grant.case,
                held_on=data["held_on"],
                with_whom=data["with_whom"],
                medium=data["medium"],
                answers=form.answers(),
                consulted_colleague=data["consulted_colleague"],
                consulted_attendance_contact=data["consulted_attendance_contact"],
                summary=data["summary"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            # Shown in the conversations section the page returns to, not at its top.
            messages.success(request, _("Samtalen er registrert."), extra_tags="samtaler")
            return redirect(_case_url(grant, "#samtaler"))
    context = _section_context(
        request, grant, form=form, opening_points=OPENING_POINTS, closing_points=CLOSING_POINTS
    )
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return render(request, "cases/meetings/conversation_form.html", context)


# --- meetings ---------------------------------------------------------------------------


def _meeting_form(grant: access.CaseAccess, data=None) -> MeetingForm:
    case = grant.case
    today = timezone.localdate()
    return MeetingForm(
        data,
        guardians=case.pupil.guardians.all(),
        staff=case_queries.with_school_roles(staff_candidates(case, today), case, today),
        level=case.level,
        me=grant.user,
    )


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_schedule_meeting)
    form = _meeting_form(grant, _posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = schedule_meeting(
                grant.case,
                kind=data["kind"],
                starts_at=form.starts_at(),
                duration_minutes=data["duration_minutes"],
                place=data["place"],
                pupil_attends=data["pupil_attends"],
                guardians=data["guardians"],
                staff=data["staff"],
                others=data["others"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Møtet er satt opp."))
            return redirect("cases:meeting", grant.case.uuid, meeting.uuid)
    deadline = (
        Deadline.objects.pending()
        .filter(case=grant.case, kind=Deadline.Kind.LEVEL1_MEETING)
        .first()
    )
    context = _section_context(request, grant, form=form, deadline=deadline)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return render(request, "cases/meetings/meeting_form.html", context)


def absence_overview(pupil, today: dt.date) -> dict | None:
    """The pupil's absence this school year, as the pupil page shows it: totals with
    percentages, and flags. A handful of queries, whatever the data."""
    enrollment = (
        Enrollment.objects.active_on(today)
        .filter(pupil=pupil)
        .select_related("group__school_year")
        .order_by("-start")
        .first()
    ) or (
        Enrollment.objects.filter(pupil=pupil)
        .select_related("group__school_year")
        .order_by("-start")
        .first()
    )
    if enrollment is None:
        return None
    group = enrollment.group
    year = group.school_year
    calendar = SchoolCalendar.for_school(group.school_id, year.start, year.end)
    records = list(
        AbsenceRecord.objects.current()
        .filter(pupil=pupil, date__gte=year.start, date__lte=year.end)
        .select_related("reason")
    )
    return {
        "group": group,
        "school_year": year,
        "totals": queries.year_totals(pupil, group=group, calendar=calendar, school_year=year),
        "flags": queries.pupil_flags(pupil, records),
    }


def _meeting_page(request: HttpRequest, grant, meeting: Meeting, **forms) -> HttpResponse:
    """The meeting page (a read of the case: logged), with forms as typed if any."""
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="meeting")
    context = _meeting_context(request, grant, meeting, **forms)
    return render(request, "cases/meetings/meeting_detail.html", context)


def _meeting_context(request, grant, meeting, *, held_form=None, cancel_form=None) -> dict:
    today = timezone.localdate()
    initial = {"version": meeting.version}
    return _section_context(
        request,
        grant,
        meeting=meeting,
        overview=absence_overview(grant.case.pupil, today),
        held_form=held_form or MeetingHeldForm(initial=initial),
        cancel_form=cancel_form or MeetingCancelForm(initial=initial),
        has_started=meeting.has_started(timezone.now()),
        # What the upper apps add (`fravaer.panels`; `plans`: the minutes as PDF).
        panels=panels_for("meeting_detail", request, case=grant.case, grant=grant, meeting=meeting),
    )


@require_GET
def meeting_detail(request: HttpRequest, case_uuid, meeting_uuid) -> HttpResponse:
    grant = access.case_access_or_404(request.user, case_uuid)
    meeting = _meeting_or_404(grant, meeting_uuid)
    return _meeting_page(request, grant, meeting)


@require_POST
def meeting_held(request: HttpRequest, case_uuid, meeting_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_change_meeting)
    meeting = _meeting_or_404(grant, meeting_uuid)
    form = MeetingHeldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            mark_meeting_held(
                meeting,
                pupil_view=data["pupil_view"],
                minutes=data["minutes"],
                version=data["version"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
            meeting = _meeting_or_404(grant, meeting_uuid)
        else:
            messages.success(request, _("Møtet er registrert som holdt."))
            return redirect("cases:meeting", grant.case.uuid, meeting.uuid)
    return _meeting_page(request, grant, meeting, held_form=form)


@require_POST
def meeting_cancel(request: HttpRequest, case_uuid, meeting_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_change_meeting)
    meeting = _meeting_or_404(grant, meeting_uuid)
    form = MeetingCancelForm(request.POST)
    if form.is_valid():
        try:
            cancel_meeting(
                meeting,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_error(None, exc.message)
            meeting = _meeting_or_404(grant, meeting_uuid)
        else:
            messages.success(request, _("Møtet er avlyst."))
            return redirect("cases:meeting", grant.case.uuid, meeting.uuid)
    return _meeting_page(request, grant, meeting, cancel_form=form)


# --- the calendar invitation (RFC 5545) -------------------------------------------------


def ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8
    character; each continuation starts with one space."""
    parts, current, size, limit = [], [], 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [" "], 1, 75
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n".join(parts)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ics(meeting: Meeting, *, url: str, now: dt.datetime) -> str:
    """An invitation with no pupil name and no health details: only the kind of
    meeting, the time, the place and a link that needs a login."""
    status = "CANCELLED" if meeting.is_cancelled else "CONFIRMED"
    ends_at = meeting.starts_at + dt.timedelta(minutes=meeting.duration_minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fravaer//Fravaersoppfolging//NB",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{meeting.uuid}@fravaer",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(ends_at)}",
        f"SEQUENCE:{meeting.version - 1}",
        f"STATUS:{status}",
        "SUMMARY:" + ics_escape(_("Møte: %(kind)s") % {"kind": meeting.get_kind_display()}),
        "LOCATION:" + ics_escape(meeting.place),
        "DESCRIPTION:" + ics_escape(_("Detaljer (krever innlogging): %(url)s") % {"url": url}),
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(ics_fold(line) + "\r\n" for line in lines)


@require_GET
def meeting_calendar(request: HttpRequest, case_uuid, meeting_uuid) -> HttpResponse:
    grant = access.case_access_or_404(request.user, case_uuid)
    meeting = _meeting_or_404(grant, meeting_uuid)
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="ics")
    url = request.build_absolute_uri(reverse("cases:meeting", args=[grant.case.uuid, meeting.uuid]))
    body = meeting_ics(meeting, url=url, now=timezone.now())
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    day = timezone.localtime(meeting.starts_at)
    response["Content-Disposition"] = f'attachment; filename="mote-{day:%Y-%m-%d}.ics"'
    return response


# --- mappings and mapping tasks ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def mapping_new(request: HttpRequest, case_uuid) -> HttpResponse:
    """The school's cause mapping, or a PPT advisor's own mapping (e.g. the
    pedagogical analysis) on a referred case."""
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_record_mapping)
    # PPT's own mapping is the pedagogical analysis.
    default = Mapping.Kind.PEDAGOGICAL if grant.writes_for_ppt() else Mapping.Kind.CAUSES
    form = MappingForm(_posted(request), default_kind=default)
    if request.method == "POST" and form.is_valid():
        try:
            record_mapping(
                grant.case,
                kind=form.cleaned_data["kind"],
                themes=form.themes(),
                by=request.user,
                basis=grant.basis,
                **form.texts(),
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Kartleggingen er registrert."))
            return redirect(_case_url(grant, "#kartlegging"))
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return render(
        request, "cases/meetings/mapping_form.html", _section_context(request, grant, form=form)
    )


def _task_form(grant: access.CaseAccess, data=None) -> TaskForm:
    staff = staff_candidates(grant.case)
    participants = Participant.objects.filter(
        Q(user__isnull=True) | Q(user__in=staff), case=grant.case, removed_at__isnull=True
    )
    return TaskForm(data, participants=participants, staff=staff)


@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest, case_uuid) -> HttpResponse:
    grant = _grant_or_404(request, case_uuid, lambda g: g.may_distribute_tasks)
    form = _task_form(grant, _posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            assign_task(
                grant.case,
                description=form.cleaned_data["description"],
                due=form.cleaned_data["due"],
                by=request.user,
                **form.assignee_kwargs(),
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Oppgaven er fordelt."))
            return redirect(_case_url(grant, "#kartlegging"))
    log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_form")
    return render(
        request, "cases/meetings/task_form.html", _section_context(request, grant, form=form)
    )


@require_POST
def task_done(request: HttpRequest, case_uuid, task_id: int) -> HttpResponse:
    """Those `grant.may_complete_task` names mark the task done; anyone else gets 404."""
    grant = access.case_access_or_404(request.user, case_uuid)
    task = (
        MappingTask.objects.filter(case=grant.case, pk=task_id)
        .select_related("participant")
        .first()
    )
    if task is None:
        raise Http404
    if not grant.may_complete_task(task):
        raise Http404
    task.case = grant.case
    try:
        complete_task(task, by=request.user)
    except CaseRuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Oppgaven er merket som utført."))
    if request.htmx:
        log_case_read(grant.case, user=request.user, basis=grant.basis, what="case_mappings")
        prefetch_related_objects([grant.case], *case_queries.CASE_MAPPINGS_PREFETCH)
        context = _section_context(request, grant, show_messages=True)
        return render(request, "cases/includes/_case_mappings.html", context)
    return redirect(_case_url(grant, "#kartlegging"))
