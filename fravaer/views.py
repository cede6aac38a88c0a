from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
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
    RegisterPost,
    correct_absence,
    log_contact,
    record_absence,
    record_version,
    remove_absence,
    save_class_register,
)
from fravaer.forms import AbsenceRecordForm, ContactLogForm, RegisterRowForm
from fravaer.models import AbsenceRecord, ContactLog, Group, StaffRole, TeachingAssignment
from fravaer.models.absence import SUBJECTS
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


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


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


# --- class overview and register ---------------------------------------------


@require_GET
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    grant = access.group_access_or_404(request.user, group_id)
    if not grant.can_open_pupils:
        raise Http404
    today = timezone.localdate()
    pupils = list(queries.enrolled_pupils(grant.group, today))
    totals = queries.group_year_totals(grant.group, until=today)
    rows = [(p, totals.get(p.pk, queries.AbsenceTotals())) for p in pupils]
    return render(request, "fravaer/group_detail.html", {"grant": grant, "rows": rows})


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _register_day(request: HttpRequest) -> dt.date | None:
    day = _parse_day(request.GET.get("dato") or request.POST.get("dato") or "")
    return day if day is not None and EARLIEST <= day <= LATEST else None


def _parse_day(raw: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


@require_GET
def register_step(request: HttpRequest, group_id: int) -> HttpResponse:
    """Previous/next school day links: resolve with the school's calendar, redirect."""
    grant = access.group_access_or_404(request.user, group_id)
    day = _register_day(request) or timezone.localdate()
    day = min(max(day, EARLIEST + dt.timedelta(days=130)), LATEST - dt.timedelta(days=130))
    calendar = SchoolCalendar.for_school(
        grant.group.school_id, day - dt.timedelta(days=130), day + dt.timedelta(days=130)
    )
    forward = request.GET.get("retning") == "neste"
    target = calendar.next_school_day(day) if forward else calendar.previous_school_day(day)
    url = reverse("register", args=[group_id])
    if target is not None and not grant.group.school_year.contains(target):
        # The class's register ends with its school year: stay on the day.
        if forward:
            messages.info(request, _("Det er ingen senere skoledag i dette skoleåret."))
        else:
            messages.info(request, _("Det er ingen tidligere skoledag i dette skoleåret."))
        target = None
    return redirect(f"{url}?dato={(target or day).isoformat()}")


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def register(request: HttpRequest, group_id: int) -> HttpResponse:
    today = timezone.localdate()
    day = _register_day(request)
    # A date that parses but lies far outside any school year (said once the class's
    # school year is known, below).
    far_off = None
    if day is None and request.GET.get("dato"):
        far_off = _parse_day(request.GET["dato"])
        if far_off is None:
            messages.error(request, _("Ugyldig dato. Bruk formatet dd.mm.åååå."))
    if day is None:
        day = today
    # The day's calendar entry comes with the group and the access check: one query.
    grant = access.group_access_or_404(
        request.user,
        group_id,
        annotate={
            "closed_name": SchoolCalendar.closed_name_on(day),
            "my_subject": Subquery(
                TeachingAssignment.objects.filter(
                    user=request.user, group=OuterRef("pk"), kind="subject"
                ).values("subject")[:1]
            ),
        },
    )
    group = grant.group
    if far_off is not None:
        messages.error(
            request,
            _("%(date)s ligger utenfor skoleåret %(year)s for denne klassen. Her er i dag.")
            % {"date": f"{far_off:%d.%m.%Y}", "year": group.school_year.label},
        )
    calendar = SchoolCalendar.from_group_annotation(day, group.closed_name)
    chosen = request.method == "POST" or _register_day(request) is not None
    if not chosen and calendar.closed_reason(day):
        # A teacher opening the register on a weekend or holiday wants the last
        # school day, not a message.
        messages.info(request, _("I dag er ikke en skoledag. Her er forrige skoledag."))
        step = reverse("register_step", args=[group.pk])
        return redirect(f"{step}?dato={day.isoformat()}&retning=forrige")
    context = {"grant": grant, "group": group, "day": day, "today": today, "subjects": SUBJECTS}
    context["next_weekday"] = day + dt.timedelta(days=3 if day.weekday() == 4 else 1)
    problem = _register_problem(group, day, today, calendar)
    if problem:
        context["problem"] = problem
        return _render_register(request, context, status=200)
    reasons = queries.reasons_for(group.school.municipality_id)
    own_only = request.user.pk if grant.edits_only_own_records else None
    if request.method == "POST":
        if not grant.can_register:
            raise Http404
        # The save reads the rows under its lock; the forms are built from them, so a
        # row someone else changed since the page was shown is seen as changed.
        page = _RegisterForms(grant, reasons, request.POST)
        try:
            changes = save_class_register(
                group,
                day=day,
                parse=page.parse,
                by=request.user,
                calendar=calendar,
                allowed_kinds=grant.allowed_kinds,
                own_only=own_only,
            )
        except AbsenceRefused as refused:
            context["conflict"] = _show_register_refusal(refused, page.forms)
        else:
            if changes is not None:
                messages.success(request, _register_saved_message(changes, day))
                return redirect(f"{reverse('register', args=[group.pk])}?dato={day.isoformat()}")
        rows, forms = page.rows, page.forms
    else:
        rows = queries.register_rows(
            group, day, allowed_kinds=grant.allowed_kinds, own_only=own_only
        )
        forms = _register_forms(rows, grant, reasons)
    context["rows"] = list(zip(rows, forms, strict=True))
    context["has_errors"] = any(f.errors for f in forms) or bool(context.get("conflict"))
    return _render_register(request, context)


def _render_register(request, context, status=200):
    template = "fravaer/register.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#register-body"
    return render(request, template, context, status=status)


def _register_problem(group: Group, day: dt.date, today: dt.date, calendar) -> str:
    if day > today:
        return _("%(date)s er fram i tid. Fravær registreres samme dag eller senere.") % {
            "date": f"{day:%d.%m.%Y}"
        }
    if not group.school_year.contains(day):
        return _("%(date)s ligger utenfor skoleåret %(year)s for denne klassen.") % {
            "date": f"{day:%d.%m.%Y}",
            "year": group.school_year.label,
        }
    reason = calendar.closed_reason(day)
    if reason == "weekend":
        return _("%(date)s er en helgedag, ikke en skoledag.") % {"date": f"{day:%d.%m.%Y}"}
    if reason == "closed":
        return _("%(date)s er ikke en skoledag.") % {"date": f"{day:%d.%m.%Y}"}
    if reason:
        return _("%(date)s er ikke en skoledag (%(name)s).") % {
            "date": f"{day:%d.%m.%Y}",
            "name": reason,
        }
    return ""


def _register_forms(rows, grant, reasons, data=None):
    # A subject teacher's new rows start with their own subject filled in.
    subject = getattr(grant.group, "my_subject", None) or ""
    return [
        RegisterRowForm(
            data,
            prefix=f"p{i}",
            initial=RegisterRowForm.initial_for(row.pupil, row.primary, subject=subject),
            reasons=reasons,
            allowed_kinds=grant.allowed_kinds,
            lessons_per_day=grant.group.lessons_per_day,
        )
        for i, row in enumerate(rows)
    ]


class _RegisterForms:
    """The posted register: `parse` builds a row form for each row the save read and
    says what each row should say now (None while a form has errors)."""

    def __init__(self, grant, reasons, data) -> None:
        self.grant, self.reasons, self.data = grant, reasons, data
        self.rows: list = []
        self.forms: list[RegisterRowForm] = []

    def parse(self, rows) -> list[RegisterPost] | None:
        self.rows = rows
        self.forms = _register_forms(rows, self.grant, self.reasons, data=self.data)
        if not all(form.is_valid() for form in self.forms):
            return None
        return [
            RegisterPost(
                key=form.prefix,
                row=row,
                posted_pupil=form.cleaned_data["pupil"],
                posted_record=form.cleaned_data.get("record"),
                data=form.absence_input() if form.wants_absence else None,
            )
            for row, form in zip(rows, self.forms, strict=True)
        ]


def _show_register_refusal(refused: AbsenceRefused, forms) -> str:
    """Each refusal at its row's field; what goes above the table is returned."""
    for form in forms:
        errors = refused.for_row(form.prefix)
        if any(e.code == "absence_row_changed" for e in errors):
            # The row shows what is registered now (the form was built from the rows
            # read under the lock), so that the teacher sees the other's change and a second
            # save starts from it; the other rows keep what was typed.
            form.show_current()
        for error in errors:
            form.add_rule_error(error)
    if "absence_row_changed" in refused.codes:
        return _("Noen rader ble endret av en annen mens du registrerte.")
    return " ".join(e.message for e in refused.for_row(None))


def _register_saved_message(changes, day: dt.date) -> str:
    if not changes:
        return _("Ingen endringer å lagre for %(date)s.") % {"date": f"{day:%d.%m.%Y}"}
    created = len(changes.created)
    return _("Lagret for %(date)s: %(created)s, %(u)s endret, %(r)s fjernet.") % {
        "date": f"{day:%d.%m.%Y}",
        "created": ngettext("%(n)s ny", "%(n)s nye", created) % {"n": created},
        "u": len(changes.updated),
        "r": len(changes.removed),
    }


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
