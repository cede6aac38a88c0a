"""Every write that changes the core domain's state.

Each action is one transaction with one `now`, keeps who and when, and returns what
it changed. Views, commands, imports and the admin call these, so each rule lives in
one place.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    AbsenceRecordChange,
    ContactLog,
    Group,
    Guardian,
    Municipality,
    NonSchoolDay,
    Pupil,
    RegisterTaken,
    School,
    User,
)
from fravaer.queries import RegisterRow, enrolled_pupils, kinds_and_lessons, register_rows
from fravaer.schooldays import SchoolCalendar

EDITABLE_FIELDS = (
    "kind",
    "lessons",
    "minutes_late",
    "subject",
    "documented",
    "reason_id",
    "note",
)


class AbsenceRuleError(ValidationError):
    """A named rule of absence registration was broken; `code` names it."""


@dataclass(frozen=True)
class AbsenceInput:
    """What a person (or an import row) says about one absence."""

    kind: str
    documented: bool
    reason: AbsenceReason
    lessons: int | None = None
    minutes_late: int | None = None
    subject: str = ""
    note: str = ""

    def apply_to(self, record: AbsenceRecord) -> None:
        record.kind = self.kind
        record.lessons = self.lessons if self.kind == AbsenceRecord.Kind.LESSON else None
        record.minutes_late = self.minutes_late if self.kind == AbsenceRecord.Kind.LATE else None
        record.subject = self.subject if self.kind != AbsenceRecord.Kind.DAY else ""
        record.documented = self.documented
        record.reason = self.reason
        record.note = self.note

    def differs_from(self, record: AbsenceRecord) -> bool:
        probe = AbsenceRecord(pk=record.pk)
        self.apply_to(probe)
        return any(getattr(probe, f) != getattr(record, f) for f in EDITABLE_FIELDS)


def check_absence_date(
    day: dt.date,
    *,
    calendar: SchoolCalendar,
    today: dt.date,
    not_before: dt.date | None = None,
    not_after: dt.date | None = None,
) -> None:
    """The named date rules: no date in the future; the date is a school day; and,
    where given, the date lies in the pupil's time in the class (`not_before`, the
    enrollment's start) and in the school year (`not_after`)."""
    if day > today:
        raise AbsenceRuleError(
            _("Du kan ikke registrere fravær på en dato fram i tid (%(date)s).")
            % {"date": f"{day:%d.%m.%Y}"},
            code="absence_date_in_future",
        )
    if (not_before and day < not_before) or (not_after and day > not_after):
        raise AbsenceRuleError(
            _("%(date)s er utenfor elevens tid i klassen dette skoleåret (fra %(start)s).")
            % {"date": f"{day:%d.%m.%Y}", "start": f"{not_before:%d.%m.%Y}" if not_before else ""},
            code="absence_date_outside_enrollment",
        )
    if not calendar.is_school_day(day):
        raise AbsenceRuleError(
            _("%(date)s er ikke en skoledag ved elevens skole.") % {"date": f"{day:%d.%m.%Y}"},
            code="absence_date_not_school_day",
        )


def check_day_consistency(
    kind: str,
    other_kinds: Collection[str],
    *,
    day: dt.date,
    lessons: int | None = None,
    other_lessons: int = 0,
    lessons_per_day: int | None = None,
) -> None:
    """The same absence is never counted twice: a whole day excludes lesson absence
    and late arrivals on that date, and the other way round; and the lessons of a
    pupil's lesson records on one date (`lessons` for this one, `other_lessons` for
    the others) add up to no more than the class's lessons that day. The register,
    the pupil page and the import all check with this."""
    if "day" in other_kinds:
        raise AbsenceRuleError(
            _("Eleven har allerede fravær hele dagen %(date)s.") % {"date": f"{day:%d.%m.%Y}"},
            code="absence_one_day_record_per_pupil_date",
        )
    if kind == AbsenceRecord.Kind.DAY and other_kinds & {"lesson", "late"}:
        raise AbsenceRuleError(
            _(
                "Eleven har allerede fravær registrert %(date)s. Endre eller fjern det før "
                "du registrerer hele dagen."
            )
            % {"date": f"{day:%d.%m.%Y}"},
            code="absence_day_overlaps",
        )
    if (
        kind == AbsenceRecord.Kind.LESSON
        and lessons_per_day
        and other_lessons
        and (lessons or 0) + other_lessons > lessons_per_day
    ):
        raise AbsenceRuleError(
            ngettext(
                "Eleven har allerede %(other)s time fravær %(date)s, og klassen har "
                "%(n)s timer per dag. Endre timen som er registrert, eller fjern den og "
                "registrer hele dagen.",
                "Eleven har allerede %(other)s timer fravær %(date)s, og klassen har "
                "%(n)s timer per dag. Endre timene som er registrert, eller fjern dem og "
                "registrer hele dagen.",
                other_lessons,
            )
            % {"other": other_lessons, "date": f"{day:%d.%m.%Y}", "n": lessons_per_day},
            code="absence_lessons_exceed_day_total",
        )


def record_version(record: AbsenceRecord) -> str:
    """What a form posts back to detect that someone else changed the record."""
    return (record.updated_at or record.registered_at).isoformat()


def check_absence_input(data: AbsenceInput, *, lessons_per_day: int) -> None:
    """Rules about one absence's fields, with the messages a teacher sees."""
    if data.kind == AbsenceRecord.Kind.LESSON:
        if not data.lessons or data.lessons < 1:
            raise AbsenceRuleError(
                _("Oppgi antall timer for timefravær."), code="absence_lessons_required"
            )
        if data.lessons > lessons_per_day:
            raise AbsenceRuleError(
                _("Klassen har %(n)s timer per dag; registrer hele dagen i stedet.")
                % {"n": lessons_per_day},
                code="absence_lessons_exceed_day",
            )
    if data.documented and data.reason.code == AbsenceReason.UNKNOWN:
        raise AbsenceRuleError(
            _("Dokumentert fravær kan ikke ha ukjent årsak. Velg en årsak."),
            code="absence_documented_unknown_reason",
        )


def _snapshot(record: AbsenceRecord) -> dict:
    return {
        "date": record.date.isoformat(),
        "kind": record.kind,
        "lessons": record.lessons,
        "minutes_late": record.minutes_late,
        "subject": record.subject,
        "documented": record.documented,
        "reason": record.reason_id,
        "note": record.note,
    }


@dataclass
class AbsenceChanges:
    created: list[AbsenceRecord] = field(default_factory=list)
    updated: list[AbsenceRecord] = field(default_factory=list)
    removed: list[AbsenceRecord] = field(default_factory=list)

    @property
    def pupil_ids(self) -> set[int]:
        return {r.pupil_id for r in (*self.created, *self.updated, *self.removed)}

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def apply_absence_changes(
    *,
    creates: Sequence[tuple[Pupil, dt.date, AbsenceInput]] = (),
    updates: Sequence[tuple[AbsenceRecord, AbsenceInput]] = (),
    removals: Sequence[AbsenceRecord] = (),
    by: User,
    now: dt.datetime | None = None,
    rescan: bool = True,
) -> AbsenceChanges:
    """Create, correct and remove absence records in bulk: three statements whatever
    the number of rows. Callers have checked the rules; the database enforces the
    named constraints (one day record per pupil and date, …)."""
    now = now or timezone.now()
    changes = AbsenceChanges()
    history: list[AbsenceRecordChange] = []
    with transaction.atomic(savepoint=False):
        new_records = []
        for pupil, day, data in creates:
            record = AbsenceRecord(pupil=pupil, date=day, registered_by=by, registered_at=now)
            data.apply_to(record)
            new_records.append(record)
        if new_records:
            changes.created = AbsenceRecord.objects.bulk_create(new_records)
        touched = []
        for record, data in updates:
            before = _snapshot(record)
            data.apply_to(record)
            record.updated_by, record.updated_at = by, now
            touched.append(record)
            history.append(
                AbsenceRecordChange(record=record, action="updated", by=by, at=now, before=before)
            )
            changes.updated.append(record)
        for record in removals:
            record.deleted_by, record.deleted_at = by, now
            touched.append(record)
            history.append(
                AbsenceRecordChange(
                    record=record, action="deleted", by=by, at=now, before=_snapshot(record)
                )
            )
            changes.removed.append(record)
        if touched:
            AbsenceRecord.objects.bulk_update(
                touched,
                [*EDITABLE_FIELDS, "updated_by", "updated_at", "deleted_by", "deleted_at"],
            )
        history.extend(
            AbsenceRecordChange(record=r, action="created", by=by, at=now) for r in changes.created
        )
        if history:
            AbsenceRecordChange.objects.bulk_create(history)
        if rescan and changes:
            from fravaer.tasks import rescan_after_commit

            # In the transaction: the rescan is enqueued if and only if this commits.
            rescan_after_commit(changes.pupil_ids)
    return changes


# --- one core for every save of absence ----------------------------------------
#
# The register, the pupil page, the edit page, removal and the import all save through
# `save_absence`: it opens the transaction, locks the pupils (in key order, before any
# rule reads their records), runs the caller's checks once, and either writes
# everything or raises `AbsenceRefused` with every problem found, keyed by the row
# and field it is about. Views parse, call one action and render.

# The field of the absence each named rule is about (None: the row or form as a whole).
# Forms show a refusal at their own field for it (`StyledForm.rule_fields`).
RULE_FIELDS: dict[str, str | None] = {
    "absence_date_in_future": "date",
    "absence_date_outside_enrollment": "date",
    "absence_date_not_school_day": "date",
    "absence_one_day_record_per_pupil_date": "kind",
    "absence_day_overlaps": "kind",
    "absence_lessons_required": "lessons",
    "absence_lessons_exceed_day": "lessons",
    "absence_lessons_exceed_day_total": "lessons",
    "absence_documented_unknown_reason": "reason",
    "absence_concurrent_change": None,
    "absence_row_changed": None,
}

# A problem's key: the caller's key for the row (a register row's form prefix, an
# import line; None for a one-record form or the whole save), and the field.
ProblemKey = tuple[Hashable | None, str | None]


class AbsenceRefused(Exception):
    """Nothing was saved; `problems` says everything that must be fixed, each
    `AbsenceRuleError` (its `code` names the rule) under (row, field)."""

    def __init__(self, problems: Mapping[ProblemKey, list[AbsenceRuleError]]):
        self.problems = dict(problems)
        super().__init__([e.message for errors in self.problems.values() for e in errors])

    @property
    def errors(self) -> list[AbsenceRuleError]:
        return [e for errors in self.problems.values() for e in errors]

    @property
    def codes(self) -> set[str | None]:
        return {e.code for e in self.errors}

    def for_row(self, row: Hashable | None) -> list[AbsenceRuleError]:
        return [e for (key, _f), errors in self.problems.items() if key == row for e in errors]


class Problems:
    """Collects refusals while the checks run: `with problems.at(row): check(...)`."""

    def __init__(self) -> None:
        self.found: dict[ProblemKey, list[AbsenceRuleError]] = {}

    def add(self, row: Hashable | None, error: AbsenceRuleError) -> None:
        field_name = RULE_FIELDS.get(error.code or "")
        self.found.setdefault((row, field_name), []).append(error)

    @contextmanager
    def at(self, row: Hashable | None) -> Iterator[None]:
        try:
            yield
        except AbsenceRuleError as exc:
            self.add(row, exc)

    def __bool__(self) -> bool:
        return bool(self.found)


@dataclass
class AbsencePlan:
    """What a save's checks decided: the writes, or the problems (then nothing)."""

    creates: list[tuple[Pupil, dt.date, AbsenceInput]] = field(default_factory=list)
    updates: list[tuple[AbsenceRecord, AbsenceInput]] = field(default_factory=list)
    removals: list[AbsenceRecord] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)


def lock_pupils(pupils: QuerySet[Pupil] | Iterable[int]) -> None:
    """Hold these pupils' rows until the transaction ends, taken in key order so that
    two savers never deadlock (PostgreSQL; SQLite lets one writer in at a time). The
    day rules read a pupil's other records that day and then write: two saves for one
    pupil at once would each pass them alone (a whole day beside lessons, more lessons
    than the class has). `save_absence` locks before its checks read. A queryset is
    locked in one statement; ids in chunks (an import's thousands), still in order."""
    if isinstance(pupils, QuerySet):
        list(pupils.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
        return
    ids = sorted(set(pupils))
    for i in range(0, len(ids), LOCK_CHUNK):
        list(
            Pupil.objects.filter(pk__in=ids[i : i + LOCK_CHUNK])
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )


LOCK_CHUNK = 5_000


def save_absence(
    pupils: QuerySet[Pupil] | Iterable[int],
    check: Callable[[], AbsencePlan],
    *,
    by: User | None,
    now: dt.datetime,
    conflict: AbsenceRuleError,
    dry_run: bool = False,
) -> AbsenceChanges:
    """The one way absence is saved: in one transaction (a savepoint inside a
    caller's, such as OncePerSubmissionMiddleware's, which stays usable to show the
    refusal), lock `pupils`, then `check()` reads and decides, once; any problem
    refuses the whole save (`AbsenceRefused`, nothing written), else it is written.
    A database constraint that still fires (a writer that did not lock) is refused
    with `conflict`. `dry_run`: check only, without locking or writing (`by` may then
    be None)."""
    try:
        with transaction.atomic():
            if not dry_run:
                lock_pupils(pupils)
            plan = check()
            if plan.problems:
                raise AbsenceRefused(plan.problems.found)
            if dry_run:
                return AbsenceChanges()
            if by is None:
                raise ValueError("save_absence writes on someone's behalf: give `by`")
            return apply_absence_changes(
                creates=plan.creates,
                updates=plan.updates,
                removals=plan.removals,
                by=by,
                now=now,
            )
    except IntegrityError as exc:
        raise AbsenceRefused({(None, None): [conflict]}) from exc


@dataclass(frozen=True)
class RegisterPost:
    """One row of the class register as posted: `key` is the caller's for the row (its
    form prefix), `row` the row as read under the lock, `posted_pupil` and
    `posted_record` what the form said the row was when the page was shown, `data`
    what it should say now (None: present, so the row's record, if any, goes)."""

    key: Hashable
    row: RegisterRow
    posted_pupil: uuid.UUID | None
    posted_record: int | None
    data: AbsenceInput | None


def save_class_register(
    group: Group,
    *,
    day: dt.date,
    parse: Callable[[list[RegisterRow]], Sequence[RegisterPost] | None],
    by: User,
    calendar: SchoolCalendar,
    allowed_kinds: frozenset[str],
    own_only: int | None = None,
) -> AbsenceChanges | None:
    """Save a whole class's register for one school day: all or nothing.

    Under the lock on the class's pupils, the register's rows are read and handed to
    `parse` (the caller's forms, built from them), which says what each row should
    say now, or None when a form must be fixed first: then nothing is saved and None
    is returned. Each row is then compared with what is registered now (a row
    someone else changed since the page was shown is refused, `absence_row_changed`,
    never overwritten) and checked by the rules, the day rules against the pupil's
    other records that day. Every problem is raised at once (`AbsenceRefused`, keyed
    by the row's key)."""
    now = timezone.now()
    parsed = True

    def check() -> AbsencePlan:
        nonlocal parsed
        plan = AbsencePlan()
        rows = register_rows(group, day, allowed_kinds=allowed_kinds, own_only=own_only)
        posts = parse(rows)
        if posts is None:
            parsed = False
            return plan
        with plan.problems.at(None):
            check_absence_date(day, calendar=calendar, today=timezone.localdate(now))
        for post in posts:
            row = post.row
            current = row.primary.pk if row.primary else None
            if post.posted_pupil != row.pupil.uuid or post.posted_record != current:
                plan.problems.add(post.key, _row_changed())
                continue
            if post.data is None:
                if row.primary is not None:
                    plan.removals.append(row.primary)
                continue
            if row.primary is not None and not post.data.differs_from(row.primary):
                continue
            with plan.problems.at(post.key):
                check_absence_input(post.data, lessons_per_day=group.lessons_per_day)
            with plan.problems.at(post.key):
                check_day_consistency(
                    post.data.kind,
                    row.other_kinds,
                    day=day,
                    lessons=post.data.lessons,
                    other_lessons=row.other_lessons,
                    lessons_per_day=group.lessons_per_day,
                )
            if row.primary is None:
                plan.creates.append((row.pupil, day, post.data))
            else:
                plan.updates.append((row.primary, post.data))
        return plan

    changes = save_absence(
        # Serialises two saves of the same class, and a save of one of its pupils on
        # the pupil page or by an import.
        enrolled_pupils(group, day),
        check,
        by=by,
        now=now,
        conflict=AbsenceRuleError(
            _(
                "Noen andre registrerte fravær for en av elevene samtidig. "
                "Se over registreringen og lagre på nytt."
            ),
            code="absence_concurrent_change",
        ),
    )
    if not parsed:
        return None
    # The register is taken for the day, nobody absent as much as with absence; the
    # first save counts (one statement: a second save finds the row and adds nothing).
    RegisterTaken.objects.bulk_create(
        [RegisterTaken(group=group, date=day, taken_by=by, taken_at=now)], ignore_conflicts=True
    )
    return changes


def _row_changed() -> AbsenceRuleError:
    return AbsenceRuleError(
        _(
            "Registreringen for denne eleven er endret av en annen i mellomtiden. "
            "Her er det som er registrert nå. Se over og lagre på nytt."
        ),
        code="absence_row_changed",
    )


def _others_that_day(
    pupil_id: int, day: dt.date, exclude: int | None = None
) -> tuple[set[str], int]:
    """The kinds of the pupil's other records that day, and the lessons of those that
    are lesson records (`check_day_consistency`). One query."""
    qs = AbsenceRecord.objects.current().filter(pupil_id=pupil_id, date=day)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return kinds_and_lessons(qs.values_list("kind", "lessons"))


def record_absence(
    pupil: Pupil,
    *,
    day: dt.date,
    data: AbsenceInput,
    by: User,
    calendar: SchoolCalendar,
    lessons_per_day: int,
    not_before: dt.date | None = None,
    not_after: dt.date | None = None,
) -> AbsenceRecord:
    """Register one absence for one pupil (the pupil page)."""
    now = timezone.now()

    def check() -> AbsencePlan:
        plan = AbsencePlan(creates=[(pupil, day, data)])
        with plan.problems.at(None):
            check_absence_date(
                day,
                calendar=calendar,
                today=timezone.localdate(now),
                not_before=not_before,
                not_after=not_after,
            )
        with plan.problems.at(None):
            check_absence_input(data, lessons_per_day=lessons_per_day)
        kinds, lessons = _others_that_day(pupil.pk, day)
        with plan.problems.at(None):
            check_day_consistency(
                data.kind,
                kinds,
                day=day,
                lessons=data.lessons,
                other_lessons=lessons,
                lessons_per_day=lessons_per_day,
            )
        return plan

    changes = save_absence(
        [pupil.pk],
        check,
        by=by,
        now=now,
        conflict=AbsenceRuleError(
            _("Eleven har allerede fravær hele dagen %(date)s.") % {"date": f"{day:%d.%m.%Y}"},
            code="absence_one_day_record_per_pupil_date",
        ),
    )
    return changes.created[0]


def _changed_by_other() -> AbsenceRuleError:
    return AbsenceRuleError(
        _(
            "Registreringen ble endret av en annen mens du redigerte. Se over "
            "endringen din og lagre på nytt."
        ),
        code="absence_concurrent_change",
    )


def correct_absence(
    record: AbsenceRecord,
    *,
    data: AbsenceInput,
    by: User,
    lessons_per_day: int,
    version: str | None = None,
) -> AbsenceRecord:
    """Correct one record; the previous content is kept in its history. With
    `version` (from `record_version` when the form was shown), a change someone else
    saved in the meantime is refused, never silently overwritten."""
    now = timezone.now()
    current = record

    def check() -> AbsencePlan:
        nonlocal current
        plan = AbsencePlan()
        found = AbsenceRecord.objects.filter(pk=record.pk).first()
        if (
            found is None
            or found.deleted_at is not None
            or (version is not None and record_version(found) != version)
        ):
            plan.problems.add(None, _changed_by_other())
            return plan
        current = found
        with plan.problems.at(None):
            check_absence_input(data, lessons_per_day=lessons_per_day)
        kinds, lessons = _others_that_day(record.pupil_id, record.date, exclude=record.pk)
        with plan.problems.at(None):
            check_day_consistency(
                data.kind,
                kinds,
                day=record.date,
                lessons=data.lessons,
                other_lessons=lessons,
                lessons_per_day=lessons_per_day,
            )
        if data.differs_from(current):
            plan.updates.append((current, data))
        return plan

    save_absence([record.pupil_id], check, by=by, now=now, conflict=_changed_by_other())
    return current


def remove_absence(record: AbsenceRecord, *, by: User) -> AbsenceChanges:
    """Remove a record; it stays in the database with who removed it and when. A
    record removed already (another tab, someone else) is left as it is: the changes
    returned are then empty."""

    def check() -> AbsencePlan:
        found = AbsenceRecord.objects.current().filter(pk=record.pk).first()
        return AbsencePlan(removals=[found] if found is not None else [])

    return save_absence(
        [record.pupil_id], check, by=by, now=timezone.now(), conflict=_changed_by_other()
    )


# A contact logged after the fact: within the last year (as a conversation in a case);
# anything older is a typing error (01.01.1900).
CONTACT_WINDOW_DAYS = 366


def log_contact(
    pupil: Pupil,
    *,
    contacted_at: dt.datetime,
    channel: str,
    counterpart: str,
    summary: str,
    outcome: str,
    by: User,
    guardian: Guardian | None = None,
    now: dt.datetime | None = None,
) -> ContactLog:
    now = now or timezone.now()
    if contacted_at > now + dt.timedelta(minutes=5):
        raise AbsenceRuleError(
            _("Tidspunktet for kontakten kan ikke være fram i tid."),
            code="contact_in_future",
        )
    if contacted_at < now - dt.timedelta(days=CONTACT_WINDOW_DAYS):
        raise AbsenceRuleError(
            _("Kontakten må ha vært i løpet av det siste året."), code="contact_too_old"
        )
    if guardian is not None and not guardian.pupils.filter(pk=pupil.pk).exists():
        raise AbsenceRuleError(_("Velg en av elevens foresatte."), code="contact_guardian")
    from fravaer.actions.flags import clear_undocumented_flags, hand_over_unanswered

    with transaction.atomic():
        log = ContactLog.objects.create(
            pupil=pupil,
            contacted_at=contacted_at,
            channel=channel,
            counterpart=counterpart,
            guardian=guardian,
            summary=summary,
            outcome=outcome,
            logged_by=by,
            logged_at=now,
        )
        if log.reached_home():
            # "Contact home today": once the home has been reached, the undocumented
            # absence up to that day is no longer unanswered.
            log.settled = clear_undocumented_flags(
                pupil, up_to=timezone.localdate(contacted_at), now=now, by=by
            )
        elif log.tried_home_unanswered():
            log.handed_over = hand_over_unanswered(
                pupil, day=timezone.localdate(contacted_at), now=now
            )
    return log


def ensure_default_reasons(municipality: Municipality) -> list[AbsenceReason]:
    """Create the default reason list for a municipality (idempotent)."""
    existing = set(municipality.absence_reasons.values_list("code", flat=True))
    created = AbsenceReason.objects.bulk_create(
        AbsenceReason(
            municipality=municipality, code=code, name=name, name_nn=nn, name_en=en, order=order
        )
        for code, name, nn, en, order in AbsenceReason.DEFAULTS
        if code not in existing
    )
    return created


def add_non_school_days(
    school: School, *, start: dt.date, end: dt.date, kind: str, name: str
) -> list[NonSchoolDay]:
    """Close the school on every weekday from start to end (idempotent)."""
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(NonSchoolDay(school=school, date=day, kind=kind, name=name))
        day += dt.timedelta(days=1)
    return NonSchoolDay.objects.bulk_create(days, ignore_conflicts=True)
