"""The absence import: one municipality's pupils' absence, registered through the
same rules as the class register and the pupil page (`check_absence_date`,
`check_absence_input`, `check_day_consistency`) and saved by `save_absence` (the
lock, the transaction, all or nothing), so a record imported from a file is indistinguishable from
one registered by hand. A row already registered word for word is skipped, so
importing a file twice does no harm.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fravaer.actions import (
    AbsenceInput,
    AbsencePlan,
    AbsenceRefused,
    AbsenceRuleError,
    check_absence_date,
    check_absence_input,
    check_day_consistency,
    save_absence,
)
from fravaer.imports.csvfile import Row, parse_rows
from fravaer.imports.db import load_in, load_pupils, system_user
from fravaer.imports.fields import RowChecks, format_date, int_in_range, name_key, parse_date
from fravaer.imports.results import ABSENCE, ImportResult, RowError, unknown_pupil
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    Enrollment,
    Group,
    Municipality,
    Pupil,
    School,
    User,
)
from fravaer.models.people import MAX_LESSONS_PER_DAY
from fravaer.queries import kinds_and_lessons
from fravaer.schooldays import SchoolCalendar

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
    check = RowChecks(row)
    pupil_id = check.text("pupil_id", 50, required=True)
    day = parse_date(row["date"])
    if day is None and not check.missing("date"):
        check.fail(
            _("ugyldig dato «%(value)s»; bruk ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ") % {"value": row["date"]}
        )
    elif day is not None and not check.date_in_range("date", day):
        day = None
    kind = KINDS.get(row["kind"].lower())
    if kind is None and not check.missing("kind"):
        check.fail(
            _("ukjent fraværstype «%(value)s»; bruk day, lesson eller late (dag, time, sen)")
            % {"value": row["kind"]}
        )
    lessons = minutes = None
    if row["lessons"] and kind == AbsenceRecord.Kind.LESSON:
        # Above the class's lessons per day is `check_absence_input`'s to say.
        lessons = int_in_range(row["lessons"], 1, 99)
        if lessons is None:
            check.fail(
                _(
                    "ugyldig antall timer «%(value)s». Antall timer må være et helt tall "
                    "fra 1 til %(max)s."
                )
                % {"value": row["lessons"], "max": MAX_LESSONS_PER_DAY}
            )
    if row["minutes"] and kind == AbsenceRecord.Kind.LATE:
        minutes = int_in_range(row["minutes"], 1, 600)
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
    lookup = {name_key(r.name): r for r in reasons}
    by_code = {r.code: r for r in reasons}
    lookup.update({a: by_code[c] for a, c in REASON_ALIASES.items() if c in by_code})
    lookup.update({code.casefold(): r for code, r in by_code.items()})
    return lookup


def _identity(record: AbsenceRecord) -> tuple:
    """Which absence a record is: a row with the same identity as a stored record
    is the same absence, registered again or differently."""
    return (
        record.pupil_id,
        record.date,
        record.kind,
        record.lessons,
        record.subject,
        record.minutes_late,
    )


def _content(record: AbsenceRecord) -> tuple:
    """What is said about it: equal content too means the row is already registered."""
    return (record.documented, record.reason_id, record.note)


def _as_record(pupil: Pupil, day: dt.date, data: AbsenceInput) -> AbsenceRecord:
    """An unsaved record as `apply_absence_changes` would store the row."""
    probe = AbsenceRecord(pupil_id=pupil.pk, date=day)
    data.apply_to(probe)
    return probe


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
    rows = parse_rows(
        data,
        result,
        required=ABSENCE_REQUIRED,
        optional=ABSENCE_OPTIONAL,
        parse=parse_absence_row,
    )
    if rows is None:
        return result
    allowed = {s.pk for s in schools} if schools is not None else None
    # The day rules read each pupil's records, then the file is written: `save_absence`
    # locks the file's pupils first, so that no other save for them comes in between.
    pks = (
        []
        if dry_run
        else load_in(
            lambda ids: Pupil.objects.filter(
                municipality=municipality, pupil_id__in=ids
            ).values_list("pk", flat=True),
            {r.pupil_id for r in rows},
        )
    )

    def check() -> AbsencePlan:
        plan = AbsencePlan()
        plan.creates, errors = _plan_absence(
            rows, municipality=municipality, allowed=allowed, today=today, result=result
        )
        # The file's own errors (found while reading it) refuse it too: all at once.
        errors, result.errors = [*result.errors, *errors], []
        for error in errors:
            plan.problems.add(error.line, AbsenceRuleError(error.message))
        if not errors:
            for _pupil, _day, item in plan.creates:
                result.add(item.kind)
        return plan

    conflict = AbsenceRuleError(
        _(
            "Noen registrerte fravær for de samme elevene samtidig. "
            "Ingenting er lagret; last opp fila på nytt."
        )
    )
    try:
        save_absence(
            pks,
            check,
            # The CLI's system user is made only for a file that is written.
            by=by if by is not None or dry_run else system_user(),
            now=timezone.now(),
            dry_run=dry_run,
            conflict=conflict,
        )
    except AbsenceRefused as refused:
        if conflict in refused.errors:
            result.counts = {}
        result.add_errors(
            RowError(line, error.message)
            for (line, _field), errors in refused.problems.items()
            for error in errors
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
    pupils = load_pupils(municipality, {r.pupil_id for r in rows})
    first = min(r.date for r in rows)
    last = min(max(r.date for r in rows), today)
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    for e in load_in(
        lambda pks: (
            Enrollment.objects.overlapping(first, last)
            .filter(pupil_id__in=pks)
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
            errors.append(RowError(r.line, unknown_pupil(r.pupil_id)))
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
                    % {"id": r.pupil_id, "date": format_date(r.date)},
                )
            )
            continue
        if allowed is not None and enrollment.group.school_id not in allowed:
            errors.append(
                RowError(
                    r.line,
                    _("eleven «%(id)s» gikk ikke ved en av dine skoler %(date)s")
                    % {"id": r.pupil_id, "date": format_date(r.date)},
                )
            )
            continue
        placed.append((r, pupil, enrollment.group))

    # One calendar per school, one query for the existing records.
    calendars = {
        school_id: SchoolCalendar.for_school(school_id, first, last)
        for school_id in {g.school_id for _r, _p, g in placed}
    }
    stored: dict[tuple[int, dt.date], list[AbsenceRecord]] = defaultdict(list)
    for rec in load_in(
        lambda pks: AbsenceRecord.objects.current().filter(
            pupil_id__in=pks, date__gte=first, date__lte=last
        ),
        sorted({p.pk for _r, p, _g in placed}),
    ):
        stored[(rec.pupil_id, rec.date)].append(rec)

    # Second pass: each row on its own, and against what is stored.
    planned: list[tuple[AbsenceRow, Pupil, Group, AbsenceInput, bool]] = []
    repeated: set[int] = set()  # stored records the file repeats word for word
    seen: dict[tuple, int] = {}
    seen_days: dict[tuple[int, dt.date], int] = {}
    for r, pupil, group in placed:
        code = r.reason or (AbsenceReason.OTHER if r.documented else AbsenceReason.UNKNOWN)
        reason = reasons.get(name_key(code))
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
            errors.append(RowError(r.line, _input_message(exc, item, group)))
            continue
        probe = _as_record(pupil, r.date, item)
        key = _identity(probe)
        day_key = (pupil.pk, r.date)
        if r.kind == AbsenceRecord.Kind.DAY and day_key in seen_days:
            errors.append(
                RowError(
                    r.line,
                    _("eleven har fravær hele dagen %(date)s også på linje %(other)s")
                    % {"date": format_date(r.date), "other": seen_days[day_key]},
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
        same = [rec for rec in stored[day_key] if _identity(rec) == key]
        twin = next((rec for rec in same if _content(rec) == _content(probe)), None)
        if twin is not None:
            # Already registered, word for word (importing twice): skipped.
            repeated.add(twin.pk)
        elif r.kind == AbsenceRecord.Kind.DAY and any(
            rec.kind == AbsenceRecord.Kind.DAY for rec in stored[day_key]
        ):
            errors.append(
                RowError(
                    r.line,
                    _(
                        "eleven har allerede fravær hele dagen %(date)s, med annen "
                        "dokumentasjon, årsak eller merknad. Rett registreringen på elevens side."
                    )
                    % {"date": format_date(r.date)},
                )
            )
            continue
        elif same:
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
        planned.append((r, pupil, group, item, twin is not None))

    # Third pass, in file order: the same absence is never counted twice. A row's
    # "others" are the pupil's stored records that date which the file does not
    # repeat, and the file's earlier rows (that passed) for that pupil and date.
    creates: list[tuple[Pupil, dt.date, AbsenceInput]] = []
    earlier: dict[tuple[int, dt.date], list[AbsenceRow]] = defaultdict(list)
    for r, pupil, group, item, skip in planned:
        day_key = (pupil.pk, r.date)
        others = [rec for rec in stored[day_key] if rec.pk not in repeated]
        message = _overlap(r, group.lessons_per_day, others, earlier[day_key])
        if message:
            errors.append(RowError(r.line, message))
            continue
        earlier[day_key].append(r)
        if skip:
            result.add("skipped")
        else:
            creates.append((pupil, r.date, item))
    return creates, errors


def _input_message(exc: AbsenceRuleError, item: AbsenceInput, group: Group) -> str:
    """The shared rule's message, said more exactly where a file row allows it."""
    if exc.code == "absence_lessons_exceed_day":
        return ngettext(
            "%(lessons)s timer er flere enn klassens %(n)s time per dag; "
            "registrer hele dagen i stedet.",
            "%(lessons)s timer er flere enn klassens %(n)s timer per dag; "
            "registrer hele dagen i stedet.",
            group.lessons_per_day,
        ) % {"lessons": item.lessons, "n": group.lessons_per_day}
    return exc.message


def _overlap(
    row: AbsenceRow,
    lessons_per_day: int,
    stored: list[AbsenceRecord],
    earlier: list[AbsenceRow],
) -> str | None:
    """Why the row would count an absence twice (`check_day_consistency`), or None.
    A clash with the file's own earlier rows names their lines."""
    stored_pairs = [(rec.kind, rec.lessons) for rec in stored]
    kinds, lessons = kinds_and_lessons(stored_pairs)
    try:
        check_day_consistency(
            row.kind,
            kinds,
            day=row.date,
            lessons=row.lessons,
            other_lessons=lessons,
            lessons_per_day=lessons_per_day,
        )
    except AbsenceRuleError as exc:
        return exc.message
    kinds, lessons = kinds_and_lessons(stored_pairs + [(r.kind, r.lessons) for r in earlier])
    try:
        check_day_consistency(
            row.kind,
            kinds,
            day=row.date,
            lessons=row.lessons,
            other_lessons=lessons,
            lessons_per_day=lessons_per_day,
        )
    except AbsenceRuleError as exc:
        days = [r for r in earlier if r.kind == AbsenceRecord.Kind.DAY]
        if days:
            clash = days
        elif row.kind == AbsenceRecord.Kind.DAY:
            clash = earlier
        else:
            clash = [r for r in earlier if r.kind == AbsenceRecord.Kind.LESSON]
        return ngettext(
            "%(message)s Se linje %(lines)s i fila.",
            "%(message)s Se linjene %(lines)s i fila.",
            len(clash),
        ) % {"message": exc.message, "lines": ", ".join(str(r.line) for r in clash)}
    return None
