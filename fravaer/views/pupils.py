"""A pupil's page: the year's absence, its records (add, correct, remove) and the
contact log with the home."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from fravaer import access, queries
from fravaer.actions import (
    AbsenceRefused,
    AbsenceRuleError,
    correct_absence,
    log_contact,
    record_absence,
    record_version,
    remove_absence,
)
from fravaer.forms.absence import AbsenceRecordForm
from fravaer.forms.contacts import ContactLogForm
from fravaer.models import AbsenceRecord, ContactLog
from fravaer.panels import panels_for
from fravaer.schooldays import SchoolCalendar

WEEKDAY_INITIALS = [
    pgettext_lazy("weekday", "ma"),
    pgettext_lazy("weekday", "ti"),
    pgettext_lazy("weekday", "on"),
    pgettext_lazy("weekday", "to"),
    pgettext_lazy("weekday", "fr"),
    pgettext_lazy("weekday", "lø"),
    pgettext_lazy("weekday", "sø"),
]


# --- pupil page -----------------------------------------------------------------


def _pupil_context(request, grant, *, record_form=None, contact_form=None):
    pupil, group = grant.pupil, grant.group
    year = group.school_year
    today = timezone.localdate()
    calendar = SchoolCalendar.for_school(group.school_id, year.start, year.end)
    records = list(
        AbsenceRecord.objects.current()
        .filter(pupil=pupil, date__gte=year.start, date__lte=year.end)
        .select_related("reason", "registered_by")
    )
    reasons = queries.reasons_for(group.school.municipality_id)
    guardians = pupil.guardians.all()
    return {
        "pupil_flags": queries.pupil_flags(pupil, records),
        "may_acknowledge": grant.may_acknowledge,
        "grant": grant,
        "pupil": pupil,
        "group": group,
        "school_year": year,
        "today": today,
        "totals": queries.year_totals(pupil, group=group, calendar=calendar, school_year=year),
        "records": records,
        "months": queries.year_calendar(records, calendar=calendar, school_year=year),
        "contacts": list(queries.contact_logs(pupil)),
        "guardians": list(guardians),
        "record_form": record_form or AbsenceRecordForm(reasons=reasons, initial={"date": today}),
        "contact_form": contact_form or ContactLogForm(guardians=guardians),
        "weekday_initials": WEEKDAY_INITIALS,
        # What the upper apps add (`fravaer.panels`): the pupil's case, "Opprett sak".
        "panels": panels_for("pupil_detail", request, pupil=pupil, grant=grant),
    }


@require_GET
def pupil_detail(request: HttpRequest, pupil_uuid) -> HttpResponse:
    grant = access.pupil_access_or_404(request.user, pupil_uuid)
    return render(request, "fravaer/pupil_detail.html", _pupil_context(request, grant))


@require_POST
def pupil_add_record(request: HttpRequest, pupil_uuid) -> HttpResponse:
    grant = access.pupil_access_or_404(request.user, pupil_uuid)
    if not grant.can_edit:
        raise Http404
    group = grant.group
    reasons = queries.reasons_for(group.school.municipality_id)
    form = AbsenceRecordForm(request.POST, reasons=reasons)
    if form.is_valid():
        day = form.cleaned_data["date"]
        calendar = SchoolCalendar.for_school(group.school_id, day, day)
        try:
            record_absence(
                grant.pupil,
                day=day,
                data=form.absence_input(),
                by=request.user,
                calendar=calendar,
                lessons_per_day=group.lessons_per_day,
                not_before=max(grant.enrollment.start, group.school_year.start),
                not_after=min(grant.enrollment.end or group.school_year.end, group.school_year.end),
            )
        except AbsenceRefused as refused:
            # At the field each is about (the date, the count), like the form's own errors.
            for error in refused.errors:
                form.add_rule_error(error)
        else:
            messages.success(request, _("Fraværet er registrert."))
            return redirect(reverse("pupil", args=[grant.pupil.uuid]) + "#fravaer")
    context = _pupil_context(request, grant, record_form=form)
    return render(request, "fravaer/pupil_detail.html", context)


def _record_or_404(grant, record_id: int) -> AbsenceRecord:
    record = (
        AbsenceRecord.objects.current()
        .select_related("reason")
        .filter(pk=record_id, pupil=grant.pupil)
        .first()
    )
    if record is None or not grant.can_edit:
        raise Http404
    return record


@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, pupil_uuid, record_id: int) -> HttpResponse:
    grant = access.pupil_access_or_404(request.user, pupil_uuid)
    record = _record_or_404(grant, record_id)
    reasons = queries.reasons_for(grant.group.school.municipality_id)
    if request.method == "POST":
        form = AbsenceRecordForm(
            request.POST, reasons=reasons, fixed_date=True, current_reason=record.reason.code
        )
        if form.is_valid():
            try:
                correct_absence(
                    record,
                    data=form.absence_input(),
                    by=request.user,
                    lessons_per_day=grant.group.lessons_per_day,
                    version=request.POST.get("version") or None,
                )
            except AbsenceRefused as refused:
                for error in refused.errors:
                    form.add_rule_error(error)
                if "absence_concurrent_change" in refused.codes:
                    # Show what the other saved beside what was typed, and let a second
                    # save (knowing it) go through: the version is the current one.
                    current = (
                        AbsenceRecord.objects.current()
                        .select_related("reason", "updated_by", "registered_by")
                        .filter(pk=record.pk)
                        .first()
                    )
                    if current is None:
                        messages.error(request, _("Registreringen er fjernet av en annen."))
                        return redirect(reverse("pupil", args=[grant.pupil.uuid]) + "#fravaer")
                    record = current
                    version = record_version(current)
                    return _record_edit_page(request, grant, record, form, version, True)
            else:
                messages.success(request, _("Registreringen er endret."))
                return redirect(reverse("pupil", args=[grant.pupil.uuid]) + "#fravaer")
    else:
        form = AbsenceRecordForm(
            initial=AbsenceRecordForm.initial_for(record),
            reasons=reasons,
            fixed_date=True,
            current_reason=record.reason.code,
        )
    version = request.POST.get("version") or record_version(record)
    return _record_edit_page(request, grant, record, form, version, False)


def _record_edit_page(request, grant, record, form, version: str, changed_by_other: bool):
    context = {
        "grant": grant,
        "record": record,
        "form": form,
        "version": version,
        "changed_by_other": changed_by_other,
    }
    return render(request, "fravaer/record_edit.html", context)


@require_POST
def record_remove(request: HttpRequest, pupil_uuid, record_id: int) -> HttpResponse:
    grant = access.pupil_access_or_404(request.user, pupil_uuid)
    # Removed ones too: removed already (another tab, someone else) is said, as the
    # edit page does, not answered with 404.
    record = AbsenceRecord.objects.filter(pk=record_id, pupil=grant.pupil).first()
    if record is None or not grant.can_edit:
        raise Http404
    if remove_absence(record, by=request.user):
        messages.success(
            request,
            _("Registreringen for %(date)s er fjernet.") % {"date": f"{record.date:%d.%m.%Y}"},
        )
    else:
        messages.info(request, _("Registreringen er allerede fjernet."))
    return redirect(reverse("pupil", args=[grant.pupil.uuid]) + "#fravaer")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def contact_log(request: HttpRequest, pupil_uuid) -> HttpResponse:
    """The pupil's contact log with the add form ("contact home today" lands here).

    The same form sits on the pupil page; sent from there with htmx, it is answered
    with the pupil page itself, from which the form takes the contact log and, out of
    band, the flags section (`hx-select`, `hx-select-oob` in `_contact_log.html`): a
    contact with the home clears flags shown further up."""
    grant = access.pupil_access_or_404(request.user, pupil_uuid)
    guardians = grant.pupil.guardians.all()
    form = ContactLogForm(request.POST or None, guardians=guardians)
    if request.method == "POST":
        if not grant.can_edit:
            raise Http404
        if form.is_valid():
            try:
                log = log_contact(grant.pupil, by=request.user, **form.cleaned_data)
            except AbsenceRuleError as exc:
                form.add_error(None, exc.message)
            else:
                text = _("Kontakten er logget.")
                # Only a contact that reached the home answers undocumented absence
                # (issue #3): after a talk with the pupil, a call nobody took or a
                # contact dated before the absence, its flag stays, and says so.
                waiting = grant.pupil.flags.awaiting_home().count()
                if waiting:
                    text += " " + ngettext(
                        "Varselet om udokumentert fravær står til hjemmet er kontaktet.",
                        "Varslene om udokumentert fravær står til hjemmet er kontaktet.",
                        waiting,
                    )
                if log.settled and log.outcome == ContactLog.Outcome.FOLLOW_UP:
                    text += " " + ngettext(
                        "Varselet står nå som «Følges opp» under «Tidligere varsler». "
                        "Husk oppfølgingen.",
                        "Varslene står nå som «Følges opp» under «Tidligere varsler». "
                        "Husk oppfølgingen.",
                        log.settled,
                    )
                messages.success(request, text)
                if log.handed_over:
                    messages.info(
                        request,
                        _(
                            "Hjemmet svarte ikke. Skolens ledelse og skolemiljøteam er "
                            "varslet om det udokumenterte fraværet og følger opp til det "
                            "er avklart."
                        ),
                    )
                # htmx follows the redirect; from the pupil page the answer is that
                # page, so the flags a contact with the home cleared go too.
                pupil_url = reverse("pupil", args=[grant.pupil.uuid])
                came_from = urlsplit(request.htmx.current_url_abs_path or "").path
                if request.htmx and came_from == pupil_url:
                    return redirect(pupil_url)
                return redirect(reverse("contact_log", args=[grant.pupil.uuid]))
    context = {
        "grant": grant,
        "pupil": grant.pupil,
        # Only the absence still waiting for the home: a contact that reached it
        # answers the absence up to its day, as it clears the flags.
        "awaiting": list(
            queries.awaiting_contact(
                grant.pupil, since=timezone.localdate() - dt.timedelta(days=30)
            )[:10]
        ),
        "contacts": list(queries.contact_logs(grant.pupil)),
        "contact_form": form,
        "guardians": list(guardians),
    }
    template = "fravaer/contact_log.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#contact-log"
    return render(request, template, context)
