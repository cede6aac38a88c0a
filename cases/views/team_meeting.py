"""The school-environment team's meeting at a school: the earlier meetings and a new
one, the agenda with its decisions taken in place (htmx swaps the point, and without
JavaScript the form posts and the page comes back at the point), ending the meeting,
and its minutes as a PDF. For the team and the leaders (`access.team_meetings_school_or_404`);
everyone else gets 404. What each of them reads of a meeting is the cases they may
see (`cases.team_meeting`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import access
from cases import team_meeting as tm
from cases.actions.access_log import log_case_reads
from cases.actions.team_meeting import (
    add_meeting_note,
    assign_owner_in_meeting,
    end_team_meeting,
    open_case_in_meeting,
    set_next_step,
    start_team_meeting,
)
from cases.errors import CaseChanged, CaseRuleError
from cases.forms.board import AssignOwnerForm
from cases.forms.team_meeting import (
    MeetingNoteForm,
    NextStepForm,
    OpenCaseForm,
    StartTeamMeetingForm,
)
from cases.models import TeamMeeting
from fravaer import access as fravaer_access
from fravaer.pdf import pdf_response, render_pdf

# --- earlier meetings and a new one --------------------------------------------------------


@require_http_methods(["GET", "POST"])
def team_meetings(request: HttpRequest, school_id: int) -> HttpResponse:
    school = access.team_meetings_school_or_404(request.user, school_id)
    today = timezone.localdate()
    candidates = list(tm.team_candidates(school))
    form = StartTeamMeetingForm(
        request.POST or None,
        candidates=candidates,
        initial={"held_on": today, "participants": [request.user.pk]},
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["participants"])
        try:
            meeting = start_team_meeting(
                school,
                held_on=form.cleaned_data["held_on"],
                participants=[u for u in candidates if u.pk in chosen],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            messages.success(request, _("Teammøtet er startet."))
            return redirect("cases:team_meeting", school.pk, meeting.uuid)
    context = {
        "school": school,
        "form": form,
        "running": tm.running_meeting(school),
        "meetings": tm.earlier_meetings(school),
    }
    return render(request, "cases/team_meeting/list.html", context)


# --- the meeting ----------------------------------------------------------------------------


def _meeting_url(meeting: TeamMeeting) -> str:
    return reverse("cases:team_meeting", args=[meeting.school_id, meeting.uuid])


def _add_forms(sections, bound: dict | None = None) -> None:
    """Each point's decision forms: empty, or the one the user just sent back with its
    errors (`bound`: {case or pupil pk: {form name: form}})."""
    bound = bound or {}
    for section in sections:
        for row in section.cases:
            case = row.case
            forms = bound.get(("case", case.pk), {})
            row.owner_form = forms.get("owner") or AssignOwnerForm(
                candidates=row.candidates, case=case
            )
            row.step_form = forms.get("step") or NextStepForm(case=case)
            row.note_form = forms.get("note") or MeetingNoteForm(case=case)
        for entry in section.pupils:
            forms = bound.get(("pupil", entry.pupil.pk), {})
            entry.open_form = forms.get("open") or OpenCaseForm(
                pupil=entry.pupil,
                candidates=entry.candidates,
                initial={"concern": ", ".join(name for name, _n in entry.rules)},
            )


def _meeting_context(request: HttpRequest, meeting: TeamMeeting, bound: dict | None = None):
    today = timezone.localdate()
    context = {
        "school": meeting.school,
        "meeting": meeting,
        "participants": list(meeting.participants.order_by("first_name", "last_name")),
        "today": today,
    }
    if meeting.is_running:
        sections = tm.agenda(request.user, meeting, today)
        _add_forms(sections, bound)
        context["sections"] = sections
        context["agenda_size"] = sum(len(s) for s in sections)
    else:
        minutes = tm.minutes_for(request.user, meeting)
        # The minutes show each case's decisions, as the PDF does: a read of each.
        log_case_reads(
            [entry.case for entry in minutes],
            user=request.user,
            basis_of=lambda case: access.case_basis(case, request.user),
            what="team_meeting_minutes",
        )
        context["minutes"] = minutes
    return context


@require_GET
def team_meeting(request: HttpRequest, school_id: int, meeting_uuid) -> HttpResponse:
    _school, meeting = access.team_meeting_or_404(request.user, school_id, meeting_uuid)
    return render(request, "cases/team_meeting/meeting.html", _meeting_context(request, meeting))


def _case_in_meeting(request: HttpRequest, school_id: int, meeting_uuid, case_uuid):
    school, meeting = access.team_meeting_or_404(request.user, school_id, meeting_uuid)
    grant = access.case_access_or_404(request.user, case_uuid)
    if grant.case.school_id != school.pk:
        raise Http404
    return meeting, grant


def _answer(request, meeting, case, *, forms: dict, saved: str) -> HttpResponse:
    """After a decision: htmx gets the point again (with the result or the errors);
    without JavaScript, a saved decision returns to the point, a refused one shows the
    whole page with what was typed at the point."""
    if not request.htmx:
        if saved:
            messages.success(request, saved)
            return redirect(f"{_meeting_url(meeting)}#sak-{case.uuid}")
        context = _meeting_context(request, meeting, bound={("case", case.pk): forms})
        return render(request, "cases/team_meeting/meeting.html", context)
    sections = tm.agenda(request.user, meeting, timezone.localdate(), case_id=case.pk)
    _add_forms(sections, {("case", case.pk): forms})
    row = next((r for s in sections for r in s.cases), None)
    if row is None:  # closed in the meantime: no longer on the agenda
        messages.info(request, _("Saken er avsluttet og står ikke lenger på dagsordenen."))
        return HttpResponseClientRedirect(_meeting_url(meeting))
    context = {"school": meeting.school, "meeting": meeting, "row": row, "saved": saved}
    return render(request, "cases/team_meeting/meeting.html#case_item", context)


@require_POST
def team_meeting_owner(request: HttpRequest, school_id: int, meeting_uuid, case_uuid):
    meeting, grant = _case_in_meeting(request, school_id, meeting_uuid, case_uuid)
    if not grant.can_assign_owner:
        raise Http404
    case = grant.case
    candidates = list(access.owner_candidates(case))
    form = AssignOwnerForm(request.POST, candidates=candidates, case=case)
    saved = ""
    if form.is_valid():
        owner = next(u for u in candidates if u.pk == form.cleaned_data["owner"])
        try:
            assign_owner_in_meeting(
                meeting, case, owner=owner, by=request.user, version=form.cleaned_data["version"]
            )
        except CaseRuleError as exc:
            data = request.POST.copy()
            if isinstance(exc, CaseChanged):
                case.refresh_from_db(fields=["version", "owner"])
                data["version"] = str(case.version)
            form = AssignOwnerForm(data, candidates=candidates, case=case)
            form.is_valid()
            form.add_error("owner", exc.messages[0])
        else:
            saved = _("Saksansvarlig for %(pupil)s er nå %(owner)s.") % {
                "pupil": case.pupil.full_name,
                "owner": owner.get_full_name() or owner.username,
            }
            form = None
    return _answer(request, meeting, case, forms={"owner": form} if form else {}, saved=saved)


@require_POST
def team_meeting_next_step(request: HttpRequest, school_id: int, meeting_uuid, case_uuid):
    meeting, grant = _case_in_meeting(request, school_id, meeting_uuid, case_uuid)
    case = grant.case
    form = NextStepForm(request.POST, case=case)
    if form.is_valid():
        try:
            item = set_next_step(
                meeting,
                case,
                text=form.cleaned_data["text"],
                due=form.cleaned_data["due"],
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            saved = _("Neste steg for %(pupil)s er lagret, med frist %(date)s.") % {
                "pupil": case.pupil.full_name,
                "date": f"{item.due:%d.%m.%Y}",
            }
            return _answer(request, meeting, case, forms={}, saved=saved)
    return _answer(request, meeting, case, forms={"step": form}, saved="")


@require_POST
def team_meeting_note(request: HttpRequest, school_id: int, meeting_uuid, case_uuid):
    meeting, grant = _case_in_meeting(request, school_id, meeting_uuid, case_uuid)
    case = grant.case
    form = MeetingNoteForm(request.POST, case=case)
    if form.is_valid():
        try:
            add_meeting_note(meeting, case, text=form.cleaned_data["text"], by=request.user)
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            saved = _("Notatet om %(pupil)s er lagret, og kommer med i referatet.") % {
                "pupil": case.pupil.full_name
            }
            return _answer(request, meeting, case, forms={}, saved=saved)
    return _answer(request, meeting, case, forms={"note": form}, saved="")


@require_POST
def team_meeting_open_case(request: HttpRequest, school_id: int, meeting_uuid, pupil_uuid):
    """Open a case from a pupil's new flags on the agenda."""
    school, meeting = access.team_meeting_or_404(request.user, school_id, meeting_uuid)
    today = timezone.localdate()
    pupil = fravaer_access.visible_pupils(request.user, today).filter(uuid=pupil_uuid).first()
    if pupil is None or not access.may_open_case(
        request.user, school_id=school.pk, is_contact_teacher=False
    ):
        raise Http404
    sections = tm.agenda(request.user, meeting, today, pupil_id=pupil.pk)
    entry = next((p for s in sections for p in s.pupils), None)
    if entry is None:
        # The pupil's new flags left the agenda meanwhile (a case opened in another
        # tab, the flags acknowledged): say so, on the agenda as it is now.
        messages.error(
            request,
            _("Eleven står ikke lenger på dagsordenen: se om saken allerede er opprettet."),
        )
        if request.htmx:
            return HttpResponseClientRedirect(_meeting_url(meeting))
        return redirect(_meeting_url(meeting))
    form = OpenCaseForm(request.POST, pupil=pupil, candidates=entry.candidates)
    if form.is_valid():
        owner_id = form.cleaned_data["owner"]
        try:
            case = open_case_in_meeting(
                meeting,
                pupil,
                flags=entry.flags,
                concern=form.cleaned_data["concern"],
                owner=next((u for u in entry.candidates if u.pk == owner_id), None),
                by=request.user,
            )
        except CaseRuleError as exc:
            form.add_rule_error(exc)
        else:
            saved = _("Sak opprettet for %(pupil)s.") % {"pupil": pupil.full_name}
            return _answer(request, meeting, case, forms={}, saved=saved)
    bound = {("pupil", pupil.pk): {"open": form}}
    if request.htmx:
        _add_forms(sections, bound)
        context = {"school": school, "meeting": meeting, "entry": entry}
        return render(request, "cases/team_meeting/meeting.html#pupil_item", context)
    context = _meeting_context(request, meeting, bound=bound)
    return render(request, "cases/team_meeting/meeting.html", context)


@require_POST
def team_meeting_end(request: HttpRequest, school_id: int, meeting_uuid) -> HttpResponse:
    _school, meeting = access.team_meeting_or_404(request.user, school_id, meeting_uuid)
    try:
        notes = end_team_meeting(meeting, by=request.user)
    except CaseRuleError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            ngettext(
                "Teammøtet er avsluttet. Referatet er lagret på %(n)s sak.",
                "Teammøtet er avsluttet. Referatet er lagret på %(n)s saker.",
                len(notes),
            )
            % {"n": len(notes)},
        )
    return redirect(_meeting_url(meeting))


@require_GET
def team_meeting_pdf(request: HttpRequest, school_id: int, meeting_uuid) -> HttpResponse:
    """The minutes of an ended meeting, with the cases the reader may see; each case
    listed is a read of it, logged."""
    school, meeting = access.team_meeting_or_404(request.user, school_id, meeting_uuid)
    if meeting.is_running:
        raise Http404
    minutes = tm.minutes_for(request.user, meeting)
    log_case_reads(
        [entry.case for entry in minutes],
        user=request.user,
        basis_of=lambda case: access.case_basis(case, request.user),
        what="team_meeting_minutes",
    )
    context = {
        "school_name": school.name,
        "meeting": meeting,
        "participants": list(meeting.participants.order_by("first_name", "last_name")),
        "minutes": minutes,
        "generated_on": timezone.localdate(),
    }
    pdf = render_pdf(
        "cases/team_meeting/minutes_pdf.html", context, language=translation.get_language()
    )
    return pdf_response(pdf, f"teammote-referat-{meeting.held_on:%Y-%m-%d}.pdf")
