"""Roster and absence imports from CSV files (see docs/imports.md for the contract).

Each import reads the whole file, validates every row against the database state
(loaded in a few set-based queries, never one per row) and then either applies
everything in one transaction or nothing at all. `dry_run=True` validates and counts
what would change without writing, which is the upload page's preview.

The absence import uses the same rules as the class register and the pupil page
(`check_absence_date`, `check_absence_input`) and writes through
`apply_absence_changes`, so a record imported from a file is indistinguishable from
one registered by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fravaer.actions import (
    AbsenceInput,
    AbsenceRuleError,
    apply_absence_changes,
    check_absence_date,
    check_absence_input,
    ensure_default_reasons,
)
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    Enrollment,
    Group,
    Guardian,
    Municipality,
    Pupil,
    School,
    SchoolYear,
    TeachingAssignment,
    User,
)
from fravaer.schooldays import SchoolCalendar

ROSTER = "roster"
ABSENCE = "absence"
MAX_ROWS = 50_000
# Values per `IN (…)`: well inside SQLite's and PostgreSQL's parameter limits, so a
# 50 000-row file costs a handful of queries per table.
IN_CHUNK = 5_000
SYSTEM_USERNAME = "import@system"

ROSTER_REQUIRED = (
    "school",
    "group",
    "grade",
    "pupil_id",
    "first_name",
    "last_name",
    "birth_date",
    "contact_teacher_email",
)
GUARDIAN_SLOTS = (1, 2)
ROSTER_OPTIONAL = (
    "lessons_per_day",
    *(f"guardian{n}_{part}" for n in GUARDIAN_SLOTS for part in ("name", "phone", "email")),
)
ABSENCE_REQUIRED = ("pupil_id", "date", "kind")
ABSENCE_OPTIONAL = ("lessons", "minutes", "subject", "documented", "reason", "note")

KINDS = {
    "day": AbsenceRecord.Kind.DAY,
    "dag": AbsenceRecord.Kind.DAY,
    "lesson": AbsenceRecord.Kind.LESSON,
    "time": AbsenceRecord.Kind.LESSON,
    "late": AbsenceRecord.Kind.LATE,
    "sen": AbsenceRecord.Kind.LATE,
}
YES = {"yes", "ja", "true", "1"}
NO = {"no", "nei", "false", "0", ""}
REASON_ALIASES = {
    "sykdom": AbsenceReason.ILLNESS,
    "permisjon": AbsenceReason.LEAVE,
    "annet": AbsenceReason.OTHER,
    "ukjent": AbsenceReason.UNKNOWN,
}
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,30}$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NORWEGIAN_DATE_RE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")
SCHOOL_YEAR_RE = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{4})$")

# What the summary and the preview list, in this order.
ROSTER_LABELS = {
    "municipalities": gettext_lazy("nye kommuner"),
    "school_years": gettext_lazy("nye skoleår"),
    "schools": gettext_lazy("nye skoler"),
    "groups": gettext_lazy("nye klasser"),
    "groups_updated": gettext_lazy("klasser med endret antall timer per dag"),
    "pupils": gettext_lazy("nye elever"),
    "pupils_updated": gettext_lazy("elever med endret navn eller fødselsdato"),
    "enrollments": gettext_lazy("nye klassetilhørigheter"),
    "enrollments_ended": gettext_lazy("avsluttede klassetilhørigheter (klassebytte)"),
    "guardians": gettext_lazy("nye foresatte"),
    "guardians_updated": gettext_lazy("foresatte med endret telefon eller e-post"),
    "users": gettext_lazy("nye brukere for kontaktlærere"),
    "assignments": gettext_lazy("nye kontaktlærerkoblinger"),
    "unchanged": gettext_lazy("uendrede rader"),
}
ABSENCE_LABELS = {
    "day": gettext_lazy("nye registreringer av hele dager"),
    "lesson": gettext_lazy("nye registreringer av timefravær"),
    "late": gettext_lazy("nye registreringer av forsentkomming"),
    "skipped": gettext_lazy("rader som allerede var registrert (hoppet over)"),
}


# --- results --------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem with a file: `line` is the CSV line (header = 1), None for the
    file as a whole."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Linje %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    kind: str
    dry_run: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def items(self) -> list[tuple[str, int]]:
        """(label, count) for every non-zero count, in a fixed order."""
        labels = ROSTER_LABELS if self.kind == ROSTER else ABSENCE_LABELS
        return [
            (str(label), self.counts[key]) for key, label in labels.items() if self.counts.get(key)
        ]

    def summary(self) -> str:
        if self.dry_run:
            head = _("Fila er kontrollert uten feil; ingenting er lagret ennå")
        else:
            head = _("Import fullført")
        parts = ", ".join(f"{label}: {n}" for label, n in self.items()) or _("ingen endringer")
        rows = ngettext("%(n)s rad", "%(n)s rader", self.rows) % {"n": self.rows}
        return _("%(head)s (%(rows)s). %(parts)s.") % {
            "head": head,
            "rows": rows,
            "parts": parts[:1].upper() + parts[1:],
        }


# --- reading the file -----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    fatal: bool = False
    count: int = 0  # non-empty data rows, including unreadable ones

    def reject(self, message: str, line: int | None = None) -> Table:
        self.errors.append(RowError(line, message))
        self.fatal = True
        self.rows = []
        return self


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 – what Norwegian Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_table(data: bytes, *, required: Sequence[str], optional: Sequence[str]) -> Table:
    """Rows keyed by column name (lower-cased, trimmed), values trimmed; wholly empty
    rows are skipped. File-level problems make the table `fatal` and empty."""
    table = Table()
    if len(data) > settings.IMPORT_MAX_BYTES:
        return table.reject(
            _("Fila er for stor. Største tillatte størrelse er %(max)s.")
            % {"max": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )
    if data.startswith(b"PK\x03\x04"):
        return table.reject(
            _("Fila ser ut som en Excel-arbeidsbok. Lagre den som CSV og prøv igjen.")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return table.reject(
            _("Fila er lagret som UTF-16. Lagre den som CSV (UTF-8 eller Windows-1252).")
        )
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return table.reject(
            _("Fila har en tegnkoding vi ikke kan lese. Lagre den som UTF-8 eller Windows-1252.")
        )
    if "\x00" in text:
        return table.reject(_("Fila er ikke en tekstfil (CSV)."))
    if not text.strip():
        return table.reject(_("Fila er tom."))
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header_line))
    header = [name.strip().lower() for name in next(reader)]
    missing = [name for name in required if name not in header]
    if missing:
        return table.reject(
            _("mangler påkrevde kolonner: %(columns)s. Påkrevde kolonner er: %(required)s.")
            % {"columns": ", ".join(missing), "required": ", ".join(required)},
            line=1,
        )
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in (*required, *optional):
            index.setdefault(name, i)
    last_line = reader.line_num
    try:
        for cells in reader:
            # A quoted value may span lines: the row starts after the previous one.
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            table.count += 1
            if table.count > MAX_ROWS:
                return table.reject(
                    _("Fila har mer enn %(max)s rader. Del den opp i flere filer.")
                    % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
                )
            if any(cell.strip() for cell in cells[len(header) :]):
                table.errors.append(
                    RowError(
                        line,
                        _(
                            "raden har %(cells)s felt, men overskriften har %(columns)s. "
                            "Sjekk skilletegn og anførselstegn."
                        )
                        % {"cells": len(cells), "columns": len(header)},
                    )
                )
                continue
            values = {name: cells[i].strip() if i < len(cells) else "" for name, i in index.items()}
            table.rows.append(Row(line, values))
    except csv.Error as exc:
        return table.reject(
            _("kan ikke lese fila videre (%(error)s).") % {"error": exc}, line=reader.line_num
        )
    return table


# --- value parsers: (value, None) or (None, Norwegian message) --------------------------


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD or DD.MM.YYYY; None if neither."""
    try:
        if ISO_DATE_RE.match(text):
            return dt.date.fromisoformat(text)
        if NORWEGIAN_DATE_RE.match(text):
            return dt.datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None
    return None


def parse_school_year(text: str) -> dt.date:
    """'2026-2027' → 1 August 2026. Raises ValueError with a Norwegian message."""
    match = SCHOOL_YEAR_RE.match(text.strip())
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(
            _("Ugyldig skoleår «%(value)s». Bruk for eksempel 2026-2027.") % {"value": text}
        )
    return dt.date(int(match[1]), 8, 1)


def _int_in_range(text: str, low: int, high: int) -> int | None:
    if not re.fullmatch(r"\d{1,3}", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


class _Checks:
    """Collects one row's messages so every problem in the row is reported."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.messages: list[str] = []

    def fail(self, message: str) -> None:
        self.messages.append(message)

    def text(self, column: str, max_length: int, *, required: bool = False) -> str:
        value = self.row[column]
        if required and not value:
            self.fail(_("«%(column)s» er tom") % {"column": column})
        elif len(value) > max_length:
            self.fail(
                _("«%(column)s» er for lang (høyst %(max)s tegn)")
                % {"column": column, "max": max_length}
            )
        return value

    def email(self, column: str, *, required: bool = False, max_length: int = 254) -> str:
        value = self.text(column, max_length, required=required).lower()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.fail(
                    _("ugyldig e-postadresse «%(value)s» i «%(column)s»")
                    % {"value": self.row[column], "column": column}
                )
        return value

    def phone(self, column: str) -> str:
        value = self.row[column]
        if value and (not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 3):
            self.fail(
                _("ugyldig telefonnummer «%(value)s» i «%(column)s»")
                % {"value": value, "column": column}
            )
        return value

    def errors(self) -> list[RowError]:
        return [RowError(self.row.line, m) for m in self.messages]


def _fmt(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


T = TypeVar("T")


def _chunked(values: Iterable[T]) -> Iterator[list[T]]:
    values = list(values)
    for i in range(0, len(values), IN_CHUNK):
        yield values[i : i + IN_CHUNK]


def _load_in(make: Callable[[list], QuerySet], values: Iterable) -> list:
    """`make(chunk)` for each chunk of values: one query per IN_CHUNK values."""
    return [obj for chunk in _chunked(values) for obj in make(chunk)]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def system_user() -> User:
    """The user that CLI imports register as; it cannot log in."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Filimport", "is_active": False, "password": make_password(None)},
    )
    return user


# --- roster ---------------------------------------------------------------------


@dataclass(frozen=True)
class GuardianRow:
    slot: int
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class RosterRow:
    line: int
    school: str
    group: str
    grade: int
    pupil_id: str
    first_name: str
    last_name: str
    birth_date: dt.date
    teacher_email: str
    lessons_per_day: int | None
    guardians: tuple[GuardianRow, ...]


def parse_roster_row(row: Row, *, today: dt.date) -> tuple[RosterRow | None, list[RowError]]:
    check = _Checks(row)
    school = check.text("school", 150, required=True)
    group = check.text("group", 50, required=True)
    grade = _int_in_range(row["grade"], 1, 10)
    if grade is None:
        check.fail(
            _("ugyldig trinn «%(value)s»; bruk et heltall fra 1 til 10") % {"value": row["grade"]}
        )
    pupil_id = check.text("pupil_id", 50, required=True)
    first_name = check.text("first_name", 100, required=True)
    last_name = check.text("last_name", 100, required=True)
    birth_date = parse_date(row["birth_date"])
    if birth_date is None:
        check.fail(
            _("ugyldig fødselsdato «%(value)s»; bruk ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ")
            % {"value": row["birth_date"]}
        )
    elif not (today.year - 25 <= birth_date.year <= today.year - 3) or birth_date > today:
        check.fail(
            _("fødselsdato %(date)s passer ikke for en elev i grunnskolen")
            % {"date": _fmt(birth_date)}
        )
    # The e-mail becomes the username, which holds at most 150 characters.
    teacher_email = check.email("contact_teacher_email", required=True, max_length=150)
    lessons_per_day = None
    if row["lessons_per_day"]:
        lessons_per_day = _int_in_range(row["lessons_per_day"], 1, 12)
        if lessons_per_day is None:
            check.fail(
                _("ugyldig antall timer per dag «%(value)s»; bruk et heltall fra 1 til 12")
                % {"value": row["lessons_per_day"]}
            )
    guardians = []
    for n in GUARDIAN_SLOTS:
        name = check.text(f"guardian{n}_name", 200)
        phone = check.phone(f"guardian{n}_phone")
        email = check.email(f"guardian{n}_email")
        if (phone or email) and not name:
            check.fail(
                _("«%(column)s» er tom, men foresatt %(n)s har telefon eller e-post")
                % {"column": f"guardian{n}_name", "n": n}
            )
        if name:
            if any(_key(g.name) == _key(name) for g in guardians):
                check.fail(_("foresatt 1 og foresatt 2 har samme navn «%(name)s»") % {"name": name})
            guardians.append(GuardianRow(n, name, phone, email))
    if check.messages or grade is None or birth_date is None:
        return None, check.errors()
    return (
        RosterRow(
            line=row.line,
            school=" ".join(school.split()),
            group=" ".join(group.split()),
            grade=grade,
            pupil_id=pupil_id,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            teacher_email=teacher_email,
            lessons_per_day=lessons_per_day,
            guardians=tuple(guardians),
        ),
        [],
    )


@dataclass
class _RosterPlan:
    """Everything a roster file changes, as unsaved or modified model instances."""

    municipality: Municipality
    school_year: SchoolYear
    new_schools: list[School] = field(default_factory=list)
    new_groups: list[Group] = field(default_factory=list)
    changed_groups: dict[int, Group] = field(default_factory=dict)
    new_pupils: list[Pupil] = field(default_factory=list)
    changed_pupils: dict[int, Pupil] = field(default_factory=dict)
    new_enrollments: list[Enrollment] = field(default_factory=list)
    ended_enrollments: list[Enrollment] = field(default_factory=list)
    dropped_enrollments: list[Enrollment] = field(default_factory=list)
    new_guardians: list[Guardian] = field(default_factory=list)
    changed_guardians: dict[int, Guardian] = field(default_factory=dict)
    new_links: list[tuple[Guardian, Pupil]] = field(default_factory=list)
    new_users: list[User] = field(default_factory=list)
    new_assignments: list[TeachingAssignment] = field(default_factory=list)

    def size(self) -> int:
        return sum(
            len(getattr(self, name))
            for name in self.__dataclass_fields__
            if name not in ("municipality", "school_year")
        )

    def counts(self) -> dict[str, int]:
        return {
            "municipalities": int(self.municipality.pk is None),
            "school_years": int(self.school_year.pk is None),
            "schools": len(self.new_schools),
            "groups": len(self.new_groups),
            "groups_updated": len(self.changed_groups),
            "pupils": len(self.new_pupils),
            "pupils_updated": len(self.changed_pupils),
            "enrollments": len(self.new_enrollments),
            "enrollments_ended": len(self.ended_enrollments) + len(self.dropped_enrollments),
            "guardians": len(self.new_guardians),
            "guardians_updated": len(self.changed_guardians),
            "users": len(self.new_users),
            "assignments": len(self.new_assignments),
        }


class _RosterState:
    """What the database already holds for one roster file: a fixed number of
    queries per table (one per IN_CHUNK values), whatever the number of rows."""

    def __init__(self, rows: list[RosterRow], municipality_name: str, year_start: dt.date) -> None:
        municipality = Municipality.objects.filter(name__iexact=municipality_name.strip()).first()
        year = SchoolYear.objects.filter(start=year_start).first()
        if municipality is None:
            municipality = Municipality(name=" ".join(municipality_name.split()))
        if year is None:
            year = SchoolYear(start=year_start, end=SchoolYear.bounds_for(year_start)[1])
        self.municipality, self.year = municipality, year
        self.schools: dict[str, School] = {}
        self.groups: dict[tuple[str, str], Group] = {}
        self.pupils: dict[str, Pupil] = {}
        self.enrollments: dict[int, list[Enrollment]] = defaultdict(list)
        self.guardians: dict[int, list[Guardian]] = defaultdict(list)
        self.users: dict[str, User] = {}
        self.assignments: dict[tuple[int, int], list[TeachingAssignment]] = defaultdict(list)
        if municipality.pk is not None:
            self._load(rows)

    def _load(self, rows: list[RosterRow]) -> None:
        schools = list(School.objects.filter(municipality=self.municipality))
        self.schools = {_key(s.name): s for s in schools}
        if self.year.pk is not None:
            by_id = {s.pk: s for s in schools}
            groups = Group.objects.filter(school__in=schools, school_year=self.year)
            for g in groups:
                g.school = by_id[g.school_id]
                self.groups[(_key(g.school.name), _key(g.name))] = g
            for a in TeachingAssignment.objects.filter(
                group__in=list(self.groups.values()), kind=TeachingAssignment.Kind.CONTACT
            ):
                self.assignments[(a.user_id, a.group_id)].append(a)
        pupils = _load_in(
            lambda ids: Pupil.objects.filter(municipality=self.municipality, pupil_id__in=ids),
            {r.pupil_id for r in rows},
        )
        self.pupils = {p.pupil_id: p for p in pupils}
        pupil_pks = [p.pk for p in pupils]
        for e in _load_in(
            lambda pks: (
                Enrollment.objects.filter(pupil_id__in=pks)
                .filter(Q(end__isnull=True) | Q(end__gte=self.year.start))
                .select_related("group__school_year")
            ),
            pupil_pks,
        ):
            self.enrollments[e.pupil_id].append(e)
        shared: dict[int, Guardian] = {}  # a guardian of siblings is one instance
        for link in _load_in(
            lambda pks: Guardian.pupils.through.objects.filter(pupil_id__in=pks).select_related(
                "guardian"
            ),
            pupil_pks,
        ):
            guardian = shared.setdefault(link.guardian_id, link.guardian)
            self.guardians[link.pupil_id].append(guardian)
        users = _load_in(
            lambda names: User.objects.filter(username__in=names), {r.teacher_email for r in rows}
        )
        self.users = {u.username: u for u in users}


def _plan_roster(
    rows: list[RosterRow],
    state: _RosterState,
    *,
    today: dt.date,
    allowed_schools: set[str] | None,
) -> tuple[_RosterPlan, list[RowError], int]:
    plan = _RosterPlan(municipality=state.municipality, school_year=state.year)
    errors: list[RowError] = []
    unchanged = 0
    year = state.year
    pupil_lines: dict[str, int] = {}
    group_lines: dict[tuple[str, str], int] = {}
    group_lessons: dict[tuple[str, str], tuple[int, int]] = {}  # key → (value, line)
    planned_assignments: set[tuple[str, tuple[str, str]]] = set()
    for r in rows:
        before = plan.size()
        school_key, group_key = _key(r.school), (_key(r.school), _key(r.group))
        if allowed_schools is not None and school_key not in allowed_schools:
            errors.append(
                RowError(
                    r.line,
                    _("skolen «%(school)s» er ikke en av skolene du kan importere for")
                    % {"school": r.school},
                )
            )
            continue
        if r.pupil_id in pupil_lines:
            errors.append(
                RowError(
                    r.line,
                    _("elev-ID «%(id)s» står også på linje %(other)s")
                    % {"id": r.pupil_id, "other": pupil_lines[r.pupil_id]},
                )
            )
            continue
        pupil_lines[r.pupil_id] = r.line

        school = state.schools.get(school_key)
        if school is None:
            school = School(municipality=state.municipality, name=r.school)
            state.schools[school_key] = school
            plan.new_schools.append(school)

        group = state.groups.get(group_key)
        if group is None:
            group = Group(
                school=school,
                school_year=year,
                name=r.group,
                grade=r.grade,
                lessons_per_day=r.lessons_per_day or Group.default_lessons_per_day(r.grade),
            )
            state.groups[group_key] = group
            plan.new_groups.append(group)
            group_lines[group_key] = r.line
        elif group.grade != r.grade:
            if group_key in group_lines:
                message = _("klassen «%(group)s» har trinn %(grade)s på linje %(other)s") % {
                    "group": group.name,
                    "grade": group.grade,
                    "other": group_lines[group_key],
                }
            else:
                message = _(
                    "klassen «%(group)s» ved %(school)s har trinn %(grade)s i skoleåret "
                    "%(year)s, ikke %(value)s"
                ) % {
                    "group": group.name,
                    "school": school.name,
                    "grade": group.grade,
                    "year": year.label,
                    "value": r.grade,
                }
            errors.append(RowError(r.line, message))
            continue
        else:
            group_lines.setdefault(group_key, r.line)
        if r.lessons_per_day is not None:
            earlier = group_lessons.get(group_key)
            if earlier and earlier[0] != r.lessons_per_day:
                errors.append(
                    RowError(
                        r.line,
                        _("klassen «%(group)s» har %(n)s timer per dag på linje %(other)s")
                        % {"group": group.name, "n": earlier[0], "other": earlier[1]},
                    )
                )
                continue
            group_lessons[group_key] = (r.lessons_per_day, r.line)
            if group.lessons_per_day != r.lessons_per_day:
                group.lessons_per_day = r.lessons_per_day
                if group.pk is not None:
                    plan.changed_groups[group.pk] = group

        pupil = state.pupils.get(r.pupil_id)
        if pupil is None:
            pupil = Pupil(
                municipality=state.municipality,
                pupil_id=r.pupil_id,
                first_name=r.first_name,
                last_name=r.last_name,
                birth_date=r.birth_date,
            )
            state.pupils[r.pupil_id] = pupil
            plan.new_pupils.append(pupil)
        elif (pupil.first_name, pupil.last_name, pupil.birth_date) != (
            r.first_name,
            r.last_name,
            r.birth_date,
        ):
            pupil.first_name, pupil.last_name, pupil.birth_date = (
                r.first_name,
                r.last_name,
                r.birth_date,
            )
            plan.changed_pupils[pupil.pk] = pupil

        _plan_enrollment(plan, pupil, group, state.enrollments.get(pupil.pk, []), today=today)
        _plan_guardians(plan, pupil, r.guardians, state.guardians.get(pupil.pk, []))

        user = state.users.get(r.teacher_email)
        if user is None:
            user = User(username=r.teacher_email, email=r.teacher_email)
            user.set_unusable_password()
            state.users[r.teacher_email] = user
            plan.new_users.append(user)
        if (r.teacher_email, group_key) not in planned_assignments:
            planned_assignments.add((r.teacher_email, group_key))
            existing = state.assignments.get((user.pk, group.pk), []) if user.pk else []
            if not any(a.valid_to is None or a.valid_to >= today for a in existing):
                starts = [year.start, *(a.valid_to + dt.timedelta(days=1) for a in existing)]
                plan.new_assignments.append(
                    TeachingAssignment(
                        user=user,
                        group=group,
                        kind=TeachingAssignment.Kind.CONTACT,
                        valid_from=max(starts) if existing else year.start,
                    )
                )
        if plan.size() == before:
            unchanged += 1
    return plan, errors, unchanged


def _plan_enrollment(
    plan: _RosterPlan, pupil: Pupil, group: Group, enrollments: list[Enrollment], *, today: dt.date
) -> None:
    """Enrol from the school year's start; a pupil already enrolled elsewhere moves
    from today (or from the year's start when the old group is last year's): the old
    enrollment ends the day before, so the history stays."""
    year = plan.school_year
    pivot = max(today, year.start)
    # Enrollments in a later school year (a roster imported ahead) are left alone.
    live = [
        e
        for e in enrollments
        if (e.end is None or e.end >= pivot) and e.group.school_year.start <= year.start
    ]
    if group.pk is not None and any(e.group_id == group.pk for e in live):
        return
    if live:
        promoted = all(e.group.school_year.start < year.start for e in live)
        start = year.start if promoted else pivot
        for e in live:
            if e.start < start:
                e.end = start - dt.timedelta(days=1)
                plan.ended_enrollments.append(e)
            else:
                # It would only have begun on or after the move: superseded unused.
                plan.dropped_enrollments.append(e)
    elif any(e.end is not None and e.end >= year.start for e in enrollments):
        start = pivot  # left earlier this school year and is back
    else:
        start = year.start
    plan.new_enrollments.append(Enrollment(pupil=pupil, group=group, start=start))


def _plan_guardians(
    plan: _RosterPlan, pupil: Pupil, rows: Sequence[GuardianRow], existing: list[Guardian]
) -> None:
    """Match a guardian of this pupil by name; update phone/e-mail given in the file
    (an empty cell keeps what is stored), or create and link a new guardian."""
    for g in rows:
        guardian = next((x for x in existing if _key(x.name) == _key(g.name)), None)
        if guardian is None:
            guardian = Guardian(
                municipality=plan.municipality, name=g.name, phone=g.phone, email=g.email
            )
            plan.new_guardians.append(guardian)
            plan.new_links.append((guardian, pupil))
            continue
        changed = False
        for attr in ("phone", "email"):
            value = getattr(g, attr)
            if value and value != getattr(guardian, attr):
                setattr(guardian, attr, value)
                changed = True
        if changed:
            plan.changed_guardians[guardian.pk] = guardian


def _apply_roster(plan: _RosterPlan) -> None:
    if plan.municipality.pk is None:
        plan.municipality.save()
        ensure_default_reasons(plan.municipality)
    if plan.school_year.pk is None:
        plan.school_year.save()
    School.objects.bulk_create(plan.new_schools)
    Group.objects.bulk_create(plan.new_groups)
    Group.objects.bulk_update(plan.changed_groups.values(), ["lessons_per_day"])
    Pupil.objects.bulk_create(plan.new_pupils)
    Pupil.objects.bulk_update(
        plan.changed_pupils.values(), ["first_name", "last_name", "birth_date"]
    )
    if plan.dropped_enrollments:
        Enrollment.objects.filter(pk__in=[e.pk for e in plan.dropped_enrollments]).delete()
    Enrollment.objects.bulk_update(plan.ended_enrollments, ["end"])
    Enrollment.objects.bulk_create(plan.new_enrollments)
    Guardian.objects.bulk_create(plan.new_guardians)
    Guardian.objects.bulk_update(plan.changed_guardians.values(), ["phone", "email"])
    link = Guardian.pupils.through
    link.objects.bulk_create(link(guardian=g, pupil=p) for g, p in plan.new_links)
    User.objects.bulk_create(plan.new_users)
    TeachingAssignment.objects.bulk_create(plan.new_assignments)


def import_roster(
    data: bytes,
    *,
    municipality_name: str,
    school_year_start: dt.date | None = None,
    allowed_schools: Iterable[str] | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a roster file for one municipality and school year.

    `allowed_schools`: school names the uploader may import for (a school leader);
    rows for other schools are row errors. None: any school, new ones are created.
    """
    today = today or timezone.localdate()
    year_start = school_year_start or SchoolYear.bounds_for(today)[0]
    result = ImportResult(kind=ROSTER, dry_run=dry_run)
    if SchoolYear.bounds_for(year_start)[1] < today:
        result.errors.append(
            RowError(
                None,
                _(
                    "Skoleåret %(start)s–%(end)s er avsluttet; elevlister gjelder inneværende "
                    "eller kommende skoleår."
                )
                % {"start": year_start.year, "end": year_start.year + 1},
            )
        )
        return result
    table = read_table(data, required=ROSTER_REQUIRED, optional=ROSTER_OPTIONAL)
    result.rows, result.errors = table.count, table.errors
    if table.fatal:
        return result
    rows = []
    for row in table.rows:
        parsed, errors = parse_roster_row(row, today=today)
        result.errors.extend(errors)
        if parsed:
            rows.append(parsed)
    allowed = {_key(name) for name in allowed_schools} if allowed_schools is not None else None
    with nullcontext() if dry_run else transaction.atomic():
        state = _RosterState(rows, municipality_name, year_start)
        plan, errors, unchanged = _plan_roster(rows, state, today=today, allowed_schools=allowed)
        result.errors.extend(errors)
        result.errors.sort(key=lambda e: e.line or 0)
        if result.errors:
            return result
        result.counts = {**plan.counts(), "unchanged": unchanged}
        if not dry_run:
            _apply_roster(plan)
    return result


# --- absence --------------------------------------------------------------------


@dataclass(frozen=True)
class AbsenceRow:
    line: int
    pupil_id: str
    date: dt.date
    kind: str
    lessons: int | None
    minutes: int | None
    subject: str
    documented: bool
    reason: str  # as written; resolved against the municipality's reasons
    note: str


def parse_absence_row(row: Row) -> tuple[AbsenceRow | None, list[RowError]]:
    check = _Checks(row)
    pupil_id = check.text("pupil_id", 50, required=True)
    day = parse_date(row["date"])
    if day is None:
        check.fail(
            _("ugyldig dato «%(value)s»; bruk ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ") % {"value": row["date"]}
        )
    kind = KINDS.get(row["kind"].lower())
    if kind is None:
        check.fail(
            _("ukjent fraværstype «%(value)s»; bruk day, lesson eller late (dag, time, sen)")
            % {"value": row["kind"]}
        )
    lessons = minutes = None
    if row["lessons"] and kind == AbsenceRecord.Kind.LESSON:
        lessons = _int_in_range(row["lessons"], 0, 99)
        if lessons is None:
            check.fail(
                _("ugyldig antall timer «%(value)s»; bruk et heltall") % {"value": row["lessons"]}
            )
    if row["minutes"] and kind == AbsenceRecord.Kind.LATE:
        minutes = _int_in_range(row["minutes"], 1, 600)
        if minutes is None:
            check.fail(
                _("ugyldig antall minutter for sent «%(value)s»; bruk et heltall fra 1 til 600")
                % {"value": row["minutes"]}
            )
    subject = check.text("subject", 100)
    documented = row["documented"].lower()
    if documented not in YES | NO:
        check.fail(
            _("ugyldig verdi «%(value)s» i «documented»; bruk ja eller nei")
            % {"value": row["documented"]}
        )
    note = check.text("note", 500)
    if check.messages or day is None or kind is None:
        return None, check.errors()
    return (
        AbsenceRow(
            line=row.line,
            pupil_id=pupil_id,
            date=day,
            kind=kind,
            lessons=lessons,
            minutes=minutes,
            subject=subject if kind != AbsenceRecord.Kind.DAY else "",
            documented=documented in YES,
            reason=row["reason"],
            note=note,
        ),
        [],
    )


def _reason_lookup(municipality: Municipality) -> dict[str, AbsenceReason]:
    reasons = list(AbsenceReason.objects.filter(municipality=municipality, active=True))
    lookup = {_key(r.name): r for r in reasons}
    by_code = {r.code: r for r in reasons}
    lookup.update({a: by_code[c] for a, c in REASON_ALIASES.items() if c in by_code})
    lookup.update({code.casefold(): r for code, r in by_code.items()})
    return lookup


def _identity(pupil_pk: int, day: dt.date, data: AbsenceInput) -> tuple:
    probe = AbsenceRecord()
    data.apply_to(probe)
    return (pupil_pk, day, probe.kind, probe.lessons, probe.subject, probe.minutes_late)


def _content(data: AbsenceInput) -> tuple:
    return (data.documented, data.reason.pk, data.note)


def import_absence(
    data: bytes,
    *,
    municipality: Municipality,
    by: User | None,
    schools: Iterable[School] | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    """Import an absence file for one municipality's pupils.

    `by`: who registers the records; None: the import system user (the CLI).
    `schools`: the uploader's schools (a school leader); a row whose pupil was at
    another school on that date is a row error. None: every school.
    """
    today = today or timezone.localdate()
    result = ImportResult(kind=ABSENCE, dry_run=dry_run)
    table = read_table(data, required=ABSENCE_REQUIRED, optional=ABSENCE_OPTIONAL)
    result.rows, result.errors = table.count, table.errors
    if table.fatal:
        return result
    rows: list[AbsenceRow] = []
    for row in table.rows:
        parsed, errors = parse_absence_row(row)
        result.errors.extend(errors)
        if parsed:
            rows.append(parsed)
    allowed = {s.pk for s in schools} if schools is not None else None
    with nullcontext() if dry_run else transaction.atomic():
        creates, errors = _plan_absence(
            rows, municipality=municipality, allowed=allowed, today=today, result=result
        )
        result.errors.extend(errors)
        result.errors.sort(key=lambda e: e.line or 0)
        if result.errors:
            return result
        for _pupil, _day, item in creates:
            result.add(item.kind)
        if dry_run or not creates:
            return result
        try:
            with transaction.atomic():
                apply_absence_changes(creates=creates, by=by or system_user())
        except IntegrityError:
            result.counts = {}
            result.errors.append(
                RowError(
                    None,
                    _(
                        "Noen registrerte fravær for de samme elevene samtidig. "
                        "Ingenting er lagret; last opp fila på nytt."
                    ),
                )
            )
    return result


def _plan_absence(
    rows: list[AbsenceRow],
    *,
    municipality: Municipality,
    allowed: set[int] | None,
    today: dt.date,
    result: ImportResult,
) -> tuple[list[tuple[Pupil, dt.date, AbsenceInput]], list[RowError]]:
    errors: list[RowError] = []
    if not rows:
        return [], errors
    reasons = _reason_lookup(municipality)
    pupils = {
        p.pupil_id: p
        for p in _load_in(
            lambda ids: Pupil.objects.filter(municipality=municipality, pupil_id__in=ids),
            {r.pupil_id for r in rows},
        )
    }
    first = min(r.date for r in rows)
    last = min(max(r.date for r in rows), today)
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    for e in _load_in(
        lambda pks: (
            Enrollment.objects.filter(pupil_id__in=pks, start__lte=last)
            .filter(Q(end__isnull=True) | Q(end__gte=first))
            .select_related("group")
        ),
        [p.pk for p in pupils.values()],
    ):
        enrollments[e.pupil_id].append(e)
    if allowed is not None:
        # Pupils never enrolled at the uploader's schools are unknown to them.
        pupils = {
            pid: p
            for pid, p in pupils.items()
            if any(e.group.school_id in allowed for e in enrollments[p.pk])
        }

    # First pass: who, which group and which school on the date.
    placed: list[tuple[AbsenceRow, Pupil, Group]] = []
    for r in rows:
        pupil = pupils.get(r.pupil_id)
        if pupil is None:
            errors.append(RowError(r.line, _("ukjent elev-ID «%(id)s»") % {"id": r.pupil_id}))
            continue
        if r.date > today:
            try:
                check_absence_date(r.date, calendar=SchoolCalendar(), today=today)
            except AbsenceRuleError as exc:
                errors.append(RowError(r.line, exc.message))
            continue
        enrollment = next(
            (
                e
                for e in sorted(enrollments[pupil.pk], key=lambda e: e.start, reverse=True)
                if e.start <= r.date and (e.end is None or e.end >= r.date)
            ),
            None,
        )
        if enrollment is None:
            errors.append(
                RowError(
                    r.line,
                    _("eleven «%(id)s» gikk ikke i noen klasse %(date)s")
                    % {"id": r.pupil_id, "date": _fmt(r.date)},
                )
            )
            continue
        if allowed is not None and enrollment.group.school_id not in allowed:
            errors.append(
                RowError(
                    r.line,
                    _("eleven «%(id)s» gikk ikke ved en av dine skoler %(date)s")
                    % {"id": r.pupil_id, "date": _fmt(r.date)},
                )
            )
            continue
        placed.append((r, pupil, enrollment.group))

    # One calendar per school, one query for the existing records.
    calendars = {
        school_id: SchoolCalendar.for_school(school_id, first, last)
        for school_id in {g.school_id for _r, _p, g in placed}
    }
    existing_days: dict[tuple[int, dt.date], tuple] = {}
    existing: dict[tuple, set[tuple]] = defaultdict(set)
    for rec in _load_in(
        lambda pks: AbsenceRecord.objects.current().filter(
            pupil_id__in=pks, date__gte=first, date__lte=last
        ),
        sorted({p.pk for _r, p, _g in placed}),
    ):
        key = (rec.pupil_id, rec.date, rec.kind, rec.lessons, rec.subject, rec.minutes_late)
        content = (rec.documented, rec.reason_id, rec.note)
        existing[key].add(content)
        if rec.kind == AbsenceRecord.Kind.DAY:
            existing_days[(rec.pupil_id, rec.date)] = content

    creates: list[tuple[Pupil, dt.date, AbsenceInput]] = []
    seen: dict[tuple, int] = {}
    seen_days: dict[tuple[int, dt.date], int] = {}
    for r, pupil, group in placed:
        code = r.reason or (AbsenceReason.OTHER if r.documented else AbsenceReason.UNKNOWN)
        reason = reasons.get(_key(code))
        if reason is None:
            errors.append(
                RowError(
                    r.line,
                    _("ukjent årsak «%(value)s»; bruk en av kommunens årsakskoder")
                    % {"value": r.reason},
                )
            )
            continue
        item = AbsenceInput(
            kind=r.kind,
            documented=r.documented,
            reason=reason,
            lessons=r.lessons,
            minutes_late=r.minutes,
            subject=r.subject,
            note=r.note,
        )
        try:
            check_absence_date(r.date, calendar=calendars[group.school_id], today=today)
            check_absence_input(item, lessons_per_day=group.lessons_per_day)
        except AbsenceRuleError as exc:
            errors.append(RowError(r.line, exc.message))
            continue
        key = _identity(pupil.pk, r.date, item)
        day_key = (pupil.pk, r.date)
        if r.kind == AbsenceRecord.Kind.DAY and day_key in seen_days:
            errors.append(
                RowError(
                    r.line,
                    _("eleven har fravær hele dagen %(date)s også på linje %(other)s")
                    % {"date": _fmt(r.date), "other": seen_days[day_key]},
                )
            )
            continue
        if key in seen:
            errors.append(
                RowError(
                    r.line,
                    _("samme fravær står også på linje %(other)s") % {"other": seen[key]},
                )
            )
            continue
        seen[key] = r.line
        if r.kind == AbsenceRecord.Kind.DAY:
            seen_days[day_key] = r.line
        if _content(item) in existing.get(key, ()):
            result.add("skipped")  # already registered, word for word: importing twice
            continue
        if r.kind == AbsenceRecord.Kind.DAY and day_key in existing_days:
            errors.append(
                RowError(
                    r.line,
                    _(
                        "eleven har allerede fravær hele dagen %(date)s, med annen "
                        "dokumentasjon, årsak eller merknad. Rett registreringen på elevens side."
                    )
                    % {"date": _fmt(r.date)},
                )
            )
            continue
        if key in existing:
            errors.append(
                RowError(
                    r.line,
                    _(
                        "det samme fraværet (dato, type, timer og fag) er allerede registrert "
                        "med annen dokumentasjon, årsak eller merknad. Rett registreringen på "
                        "elevens side."
                    ),
                )
            )
            continue
        creates.append((pupil, r.date, item))
    return creates, errors
