"""A class's overview and its register: a day's absence for every pupil, saved at once."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from fravaer import access, queries
from fravaer.actions import (
    AbsenceRefused,
    RegisterPost,
    save_class_register,
)
from fravaer.forms.absence import RegisterRowForm
from fravaer.models import Group, TeachingAssignment
from fravaer.models.absence import SUBJECTS
from fravaer.schooldays import SchoolCalendar

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
