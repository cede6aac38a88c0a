"""Upload pages for roster and absence files (school leaders and municipal admins).

Two steps: the upload is validated with `dry_run` and shows the row errors or a
preview; "Bekreft import" applies it. Between the steps the validated bytes wait in
the user's session (compressed, at most IMPORT_MAX_BYTES before compression) under a
random token that the confirm form posts back, so no personal data ever appears in a
URL and the file is not uploaded twice. The confirm step validates again inside the
import's transaction, so a change made in between is caught, and it removes the file
from the session whatever the outcome; so do "Avbryt" and the next upload.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import zlib
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fravaer import access, imports
from fravaer.forms.base import StyledForm
from fravaer.models import Municipality, School, SchoolYear

SESSION_KEY = "fravaer_pending_import"
ERRORS_SHOWN = 200
KIND_CHOICES = [
    (imports.ROSTER, gettext_lazy("Elevliste (skoler, klasser, elever, foresatte)")),
    (imports.ABSENCE, gettext_lazy("Fravær")),
]


class UploadForm(StyledForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Hva inneholder fila?"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    municipality = forms.TypedChoiceField(label=gettext_lazy("Kommune"), coerce=int)
    school_year = forms.ChoiceField(label=gettext_lazy("Skoleår (gjelder elevliste)"))
    # Our own wording ("Fila"), not Django's "Filen er tom."
    file = forms.FileField(
        label=gettext_lazy("CSV-fil"),
        error_messages={
            "empty": gettext_lazy("Fila er tom."),
            "required": gettext_lazy("Velg en CSV-fil å laste opp."),
        },
    )

    def __init__(self, *args, municipalities: list[Municipality], today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = [(m.pk, m.name) for m in municipalities]
        if len(municipalities) == 1:
            self.fields["municipality"].initial = municipalities[0].pk
            self.fields["municipality"].widget = forms.HiddenInput()
        current = SchoolYear.bounds_for(today)[0]
        starts = [current, current.replace(year=current.year + 1)]
        self.fields["school_year"].choices = [
            (s.isoformat(), f"{s.year}–{s.year + 1}") for s in starts
        ]
        self.fields["school_year"].initial = current.isoformat()
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("Fila er for stor. Største tillatte størrelse er %(max)s.")
                % {"max": filesizeformat(settings.IMPORT_MAX_BYTES)}
            )
        return upload


@dataclass(frozen=True)
class Job:
    """What the user asked for; kept in the session with the file."""

    kind: str
    municipality_id: int
    school_year: str  # ISO date of the school year's first day

    def schools(self, schools: list[School]) -> list[School]:
        """The user's schools in this municipality, asked afresh at every step."""
        mine = [s for s in schools if s.municipality_id == self.municipality_id]
        if not mine:
            raise Http404
        return mine

    def place(self, schools: list[School]) -> str:
        """What the upload covered: the school, or the municipality."""
        mine = self.schools(schools)
        return mine[0].name if len(mine) == 1 else mine[0].municipality.name

    def run(
        self, data: bytes, schools: list[School], request: HttpRequest, *, dry_run: bool
    ) -> imports.ImportResult:
        mine = self.schools(schools)
        if self.kind == imports.ROSTER:
            return imports.import_roster(
                data,
                municipality_name=mine[0].municipality.name,
                school_year_start=dt.date.fromisoformat(self.school_year),
                allowed_schools=[s.name for s in mine],
                dry_run=dry_run,
            )
        return imports.import_absence(
            data,
            municipality=mine[0].municipality,
            schools=mine,
            by=request.user,
            dry_run=dry_run,
        )


def _keep(
    request: HttpRequest, job: Job, data: bytes, name: str, result: imports.ImportResult
) -> dict:
    pending = {
        "token": secrets.token_urlsafe(24),
        "job": {
            "kind": job.kind,
            "municipality_id": job.municipality_id,
            "school_year": job.school_year,
        },
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "name": name[:100],
        "rows": result.rows,
        "items": result.items(),
    }
    request.session[SESSION_KEY] = pending
    return pending


def _take(request: HttpRequest) -> tuple[Job, bytes, str] | None:
    """The pending file and its name if the posted token matches it; always removed."""
    pending = request.session.pop(SESSION_KEY, None)
    token = request.POST.get("token", "")
    if not pending or not constant_time_compare(pending["token"], token):
        return None
    data = zlib.decompress(base64.b64decode(pending["data"]))
    if hashlib.sha256(data).hexdigest() != pending["sha256"]:
        return None
    return Job(**pending["job"]), data, pending["name"]


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    schools = list(access.schools_for_import(request.user))
    if not schools:
        raise Http404
    action = request.POST.get("action")
    if action == "cancel":
        request.session.pop(SESSION_KEY, None)
        messages.info(request, _("Importen er avbrutt. Ingenting er lagret."))
        return redirect("imports")
    if action == "confirm":
        return _confirm(request, schools)
    today = timezone.localdate()
    municipalities = sorted({s.municipality for s in schools}, key=lambda m: m.name)
    posted = action == "validate"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        municipalities=municipalities,
        today=today,
    )
    result = pending = None
    if posted and form.is_valid():
        request.session.pop(SESSION_KEY, None)
        upload = form.cleaned_data["file"]
        data = upload.read(settings.IMPORT_MAX_BYTES + 1)
        job = Job(
            kind=form.cleaned_data["kind"],
            municipality_id=form.cleaned_data["municipality"],
            school_year=form.cleaned_data["school_year"],
        )
        result = job.run(data, schools, request, dry_run=True)
        if result.ok:
            pending = _keep(request, job, data, upload.name, result)
    elif not posted:
        pending = request.session.get(SESSION_KEY)
    return _render(request, form=form, schools=schools, result=result, pending=pending)


def _confirm(request: HttpRequest, schools: list[School]) -> HttpResponse:
    taken = _take(request)
    if taken is None:
        messages.error(request, _("Fant ikke den kontrollerte fila. Last den opp på nytt."))
        return redirect("imports")
    job, data, name = taken
    result = job.run(data, schools, request, dry_run=False)
    if result.ok:
        messages.success(request, result.confirmation(file_name=name, place=job.place(schools)))
        return redirect("imports")
    municipalities = sorted({s.municipality for s in schools}, key=lambda m: m.name)
    form = UploadForm(municipalities=municipalities, today=timezone.localdate())
    return _render(request, form=form, schools=schools, result=result, pending=None)


def _render(request: HttpRequest, *, form, schools, result, pending) -> HttpResponse:
    errors = result.errors if result else []
    context = {
        "form": form,
        "schools": schools,
        "result": result,
        # A file of thousands of bad rows: the first errors, and how many rows have one.
        "errors_shown": errors[:ERRORS_SHOWN],
        "errors_hidden": len(errors) > ERRORS_SHOWN,
        "error_rows": len({e.line for e in errors}),
        "error_rows_text": _thousands(len({e.line for e in errors})),
        "pending": pending,
        "pending_kind": dict(KIND_CHOICES).get(pending["job"]["kind"]) if pending else None,
        "roster_columns": imports.ROSTER_REQUIRED + imports.ROSTER_OPTIONAL,
        "absence_columns": imports.ABSENCE_REQUIRED + imports.ABSENCE_OPTIONAL,
        "max_size": settings.IMPORT_MAX_BYTES,
        "max_rows": _thousands(imports.MAX_ROWS),
    }
    return render(request, "fravaer/imports.html", context)


def _thousands(n: int) -> str:
    """5000 → '5 000', the Norwegian way (a no-break space)."""
    return f"{n:,}".replace(",", "\N{NO-BREAK SPACE}")
