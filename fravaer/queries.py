"""Reads worth a name. Each runs a fixed number of queries, whatever the data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Flag,
    Group,
    Municipality,
    NonSchoolDay,
    Pupil,
    School,
    SchoolYear,
    User,
)
from fravaer.schooldays import SchoolCalendar
from fravaer.thresholds import MONTH, RECORD, YEAR


def kinds_and_lessons(records: Iterable[tuple[str, int | None]]) -> tuple[set[str], int]:
    """What `check_day_consistency` needs of a pupil's other records that day, given
    as (kind, lessons): their kinds, and the lessons of the lesson records."""
    kinds: set[str] = set()
    lessons = 0
    for kind, count in records:
        kinds.add(kind)
        if kind == AbsenceRecord.Kind.LESSON:
            lessons += count or 0
    return kinds, lessons


def reasons_for(municipality: Municipality | int) -> list[AbsenceReason]:
    """All the municipality's reasons; forms offer the active ones."""
    return list(AbsenceReason.objects.filter(municipality=municipality))


def enrolled_pupils(group: Group, day: dt.date):
    enrollment = Enrollment.objects.active_on(day).filter(group=group, pupil=OuterRef("pk"))
    return Pupil.objects.filter(Exists(enrollment)).order_by("last_name", "first_name")


@dataclass
class RegisterRow:
    pupil: Pupil
    primary: AbsenceRecord | None
    others: list[AbsenceRecord] = field(default_factory=list)

    @property
    def other_kinds(self) -> frozenset[str]:
        return frozenset(r.kind for r in self.others)

    @property
    def other_lessons(self) -> int:
        """The lessons of the pupil's other lesson records that day."""
        return kinds_and_lessons((r.kind, r.lessons) for r in self.others)[1]

    @property
    def records(self) -> list[AbsenceRecord]:
        return ([self.primary] if self.primary else []) + self.others

    @property
    def undocumented(self) -> bool:
        return any(not r.documented for r in self.records)


def register_rows(
    group: Group,
    day: dt.date,
    *,
    allowed_kinds: frozenset[str],
    own_only: int | None = None,
) -> list[RegisterRow]:
    """The class register for one day: every pupil enrolled that day, the record the
    row edits (`primary`) and the pupil's other records that day. Two queries.

    The primary record is the day record if the user may register days; otherwise
    the first lesson or late record. With `own_only` (a subject teacher's user id),
    only records that user registered can be a row's primary: other teachers'
    records show read-only and are never overwritten. Other records show read-only.
    """
    pupils = list(enrolled_pupils(group, day))
    records = (
        AbsenceRecord.objects.current()
        .filter(date=day, pupil__in=[p.pk for p in pupils])
        .select_related("reason", "registered_by")
        .order_by("registered_at", "pk")
    )
    by_pupil: dict[int, list[AbsenceRecord]] = defaultdict(list)
    for record in records:
        by_pupil[record.pupil_id].append(record)
    rows = []
    for pupil in pupils:
        own = by_pupil.get(pupil.pk, [])
        editable = [
            r
            for r in own
            if r.kind in allowed_kinds and (own_only is None or r.registered_by_id == own_only)
        ]
        editable.sort(key=lambda r: r.kind != AbsenceRecord.Kind.DAY)
        primary = editable[0] if editable else None
        rows.append(RegisterRow(pupil, primary, [r for r in own if r is not primary]))
    return rows


@dataclass
class AbsenceTotals:
    days: int = 0
    days_documented: int = 0
    hours: int = 0
    hours_documented: int = 0
    late: int = 0
    late_documented: int = 0
    absent_lessons: int = 0
    school_days: int = 0
    scheduled_lessons: int = 0

    @property
    def days_undocumented(self) -> int:
        return self.days - self.days_documented

    @property
    def hours_undocumented(self) -> int:
        return self.hours - self.hours_documented

    @property
    def late_undocumented(self) -> int:
        return self.late - self.late_documented

    @property
    def percent(self) -> float:
        """Absent share of scheduled school time (lessons), in percent."""
        if not self.scheduled_lessons:
            return 0.0
        return round(100 * self.absent_lessons / self.scheduled_lessons, 1)

    def add(self, other: AbsenceTotals) -> AbsenceTotals:
        """These totals and `other`'s together (a class's, a school's)."""
        for name in (*TOTALS_FIELDS, "absent_lessons", "school_days", "scheduled_lessons"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def day_equivalents(self) -> float:
        if not self.school_days:
            return 0.0
        per_day = self.scheduled_lessons / self.school_days
        return round(self.absent_lessons / per_day, 1) if per_day else 0.0


def _totals_aggregates(prefix: str = "", within: Q | None = None) -> dict:
    """The one definition of a pupil's absence figures as aggregates over their current
    records: whole days, lessons, late arrivals, each with its documented part.
    `prefix` reaches the records across a relation (from an enrollment, a filtered
    relation to its pupil's records) and `within` narrows the records counted, so the
    class page, the pupil page and the monthly overview share it. Removed records never
    count."""

    def q(**lookups) -> Q:
        return Q(**{prefix + key: value for key, value in lookups.items()})

    counted = q(deleted_at__isnull=True) & (within or Q())
    day, lesson, late = (counted & q(kind=k) for k in ("day", "lesson", "late"))
    documented = q(documented=True)
    pk, lessons = prefix + "pk", prefix + "lessons"
    return {
        "days": Count(pk, filter=day),
        "days_documented": Count(pk, filter=day & documented),
        "hours": Sum(lessons, filter=lesson, default=0),
        "hours_documented": Sum(lessons, filter=lesson & documented, default=0),
        "late": Count(pk, filter=late),
        "late_documented": Count(pk, filter=late & documented),
    }


TOTALS_FIELDS = tuple(_totals_aggregates())


def _totals_from(row: dict, lessons_per_day: int) -> AbsenceTotals:
    """An aggregate row of `_totals_aggregates` as totals; a whole day counts the
    class's lessons that day."""
    totals = AbsenceTotals(**{name: row[name] or 0 for name in TOTALS_FIELDS})
    totals.absent_lessons = totals.days * lessons_per_day + totals.hours
    return totals


def year_totals(
    pupil: Pupil,
    *,
    group: Group,
    calendar: SchoolCalendar,
    school_year: SchoolYear,
    until: dt.date | None = None,
) -> AbsenceTotals:
    """This school year's totals up to `until` (default today, at most the year's end),
    in one query.

    School time counts from the school year's start, whenever the pupil enrolled, with
    the current group's lessons per day for every day (absent days included).
    """
    until = min(until or timezone.localdate(), school_year.end)
    totals = period_totals(
        [pupil.pk], start=school_year.start, end=until, lessons_per_day=group.lessons_per_day
    ).get(pupil.pk, AbsenceTotals())
    totals.school_days = calendar.count_school_days(school_year.start, until)
    totals.scheduled_lessons = totals.school_days * group.lessons_per_day
    return totals


def pupil_period_totals(
    pupil: Pupil,
    *,
    lessons_per_day: int,
    calendar: SchoolCalendar,
    start: dt.date,
    end: dt.date,
) -> AbsenceTotals:
    """The pupil's totals from `start` to `end` (both included), in one query, counted
    as `year_totals` counts them (`period_totals`), with the period's school days and
    scheduled lessons: `lessons_per_day` for every school day (non-school days left
    out; `calendar` must hold the school's non-school days of the period). An empty
    period (`end` before `start`) has no school days and no absence."""
    if end < start:
        return AbsenceTotals()
    totals = period_totals([pupil.pk], start=start, end=end, lessons_per_day=lessons_per_day).get(
        pupil.pk, AbsenceTotals()
    )
    totals.school_days = calendar.count_school_days(start, end)
    totals.scheduled_lessons = totals.school_days * lessons_per_day
    return totals


@dataclass(frozen=True)
class DayFigures:
    """A pupil's absence on one date and subject, with `_totals_aggregates`' figures:
    whole days, lessons of lesson records, late arrivals."""

    date: dt.date
    subject: str
    days: int
    hours: int
    late: int


def day_figures(pupil: Pupil, *, start: dt.date, until: dt.date) -> list[DayFigures]:
    """The pupil's absence from `start` to `until` by date and subject, counted as
    `year_totals` counts it (current records, the same aggregates), for reads that
    need it finer: week by week, by weekday. One query."""
    rows = (
        AbsenceRecord.objects.current()
        .filter(pupil=pupil, date__gte=start, date__lte=until)
        .values("date", "subject")
        .annotate(**_totals_aggregates())
        .order_by("date", "subject")
    )
    return [
        DayFigures(
            date=row["date"],
            subject=row["subject"],
            days=row["days"],
            hours=row["hours"],
            late=row["late"],
        )
        for row in rows
    ]


def period_totals(
    pupils, *, start: dt.date, end: dt.date, lessons_per_day: int
) -> dict[int, AbsenceTotals]:
    """Each pupil's totals from `start` to `end` (both included), by pupil id, for the
    pupils with any record then: one aggregate query. `pupils` is a list of ids or a
    query of pupil ids (`values("pk")`)."""
    rows = (
        AbsenceRecord.objects.filter(pupil__in=pupils, date__gte=start, date__lte=end)
        .values("pupil_id")
        .annotate(**_totals_aggregates())
    )
    return {row["pupil_id"]: _totals_from(row, lessons_per_day) for row in rows}


def group_year_totals(group: Group, *, until: dt.date) -> dict[int, AbsenceTotals]:
    """Totals per pupil of a group this school year: one aggregate query."""
    year = group.school_year
    return period_totals(
        enrolled_pupils(group, until).values("pk"),
        start=year.start,
        end=min(until, year.end),
        lessons_per_day=group.lessons_per_day,
    )


@dataclass
class EnrollmentTotals:
    """A pupil's figures in one class over the part of a period they were enrolled in
    it (`first`..`last`): a pupil who changed class counts in each, for their days."""

    enrollment_id: int
    pupil_id: int
    group_id: int
    first: dt.date
    last: dt.date
    totals: AbsenceTotals


def enrollment_totals(
    enrollments: QuerySet[Enrollment],
    *,
    start: dt.date,
    end: dt.date,
    calendar: SchoolCalendar,
) -> list[EnrollmentTotals]:
    """The totals of each of `enrollments` in force from `start` to `end`, counting
    only the records dated while it was in force, with its school days and scheduled
    lessons (`calendar`: the school's): one aggregate query, every enrollment a row,
    those without absence too. The same aggregates as `period_totals`."""
    # The period's records only, in the join itself (a FilteredRelation), so that a
    # month's query does not read the pupils' whole year; within it, the records of the
    # days the enrollment was in force.
    prefix = "period_records__"
    period = FilteredRelation(
        "pupil__absence_records",
        condition=Q(pupil__absence_records__date__gte=start, pupil__absence_records__date__lte=end),
    )
    within = Q(**{f"{prefix}date__gte": F("start")}) & (
        Q(end__isnull=True) | Q(**{f"{prefix}date__lte": F("end")})
    )
    rows = (
        enrollments.overlapping(start, end)
        .annotate(period_records=period)
        .order_by()
        .values("pk", "pupil_id", "group_id", "start", "end", "group__lessons_per_day")
        .annotate(**_totals_aggregates(prefix, within))
    )
    result = []
    for row in rows:
        first, last = max(row["start"], start), min(row["end"] or end, end)
        totals = _totals_from(row, row["group__lessons_per_day"])
        totals.school_days = calendar.count_school_days(first, last)
        totals.scheduled_lessons = totals.school_days * row["group__lessons_per_day"]
        result.append(
            EnrollmentTotals(row["pk"], row["pupil_id"], row["group_id"], first, last, totals)
        )
    return result


@dataclass
class CalendarDay:
    date: dt.date
    closed: bool
    records: list[AbsenceRecord]

    @property
    def css(self) -> str:
        classes = []
        if self.closed:
            classes.append("closed")
        kinds = {r.kind for r in self.records}
        for kind in ("day", "lesson", "late"):
            if kind in kinds:
                classes.append(f"abs-{kind}")
                break
        if any(not r.documented for r in self.records):
            classes.append("undocumented")
        return " ".join(classes)


@dataclass
class CalendarMonth:
    first: dt.date
    weeks: list[list[CalendarDay | None]]
    records: list[AbsenceRecord]


def year_calendar(
    records: list[AbsenceRecord], *, calendar: SchoolCalendar, school_year: SchoolYear
) -> list[CalendarMonth]:
    """Twelve month grids (weeks start on Monday) with each day's records."""
    by_day: dict[dt.date, list[AbsenceRecord]] = defaultdict(list)
    for record in records:
        by_day[record.date].append(record)
    months = []
    first = school_year.start.replace(day=1)
    for _ in range(12):
        next_first = (first + dt.timedelta(days=32)).replace(day=1)
        weeks: list[list[CalendarDay | None]] = []
        week: list[CalendarDay | None] = [None] * first.weekday()
        day = first
        month_records = []
        while day < next_first:
            week.append(CalendarDay(day, not calendar.is_school_day(day), by_day.get(day, [])))
            month_records.extend(by_day.get(day, []))
            if len(week) == 7:
                weeks.append(week)
                week = []
            day += dt.timedelta(days=1)
        if week:
            weeks.append(week + [None] * (7 - len(week)))
        months.append(CalendarMonth(first, weeks, month_records))
        first = next_first
    return months


def contact_logs(pupil: Pupil):
    return ContactLog.objects.filter(pupil=pupil).select_related("logged_by", "guardian")


def awaiting_contact(pupil: Pupil, *, since: dt.date) -> QuerySet[AbsenceRecord]:
    """The pupil's undocumented absence from `since` that still waits for contact
    with the home, by the scan's rule (`fravaer.scan`, undocumented absence): no
    contact that reached the home on or after its date. Absence whose flag someone
    has acknowledged waits no more either. One query."""
    contact_after = ContactLog.answering(pupil=OuterRef("pupil_id"), day=OuterRef("date"))
    acknowledged = Flag.objects.filter(
        record_id=OuterRef("pk"), rule="undocumented", status=Flag.Status.ACKNOWLEDGED
    )
    return (
        AbsenceRecord.objects.current()
        .filter(pupil=pupil, documented=False, date__gte=since)
        .filter(~Exists(contact_after), ~Exists(acknowledged))
        .order_by("-date")
    )


# --- flags --------------------------------------------------------------------------


def is_pattern(rule: str) -> bool:
    """Patterns are neutral observations for the first conversation, not flags that
    ask someone to act: they reach no inbox and stay off the action lists."""
    return rule.startswith("pattern_")


# The order of a pupil's flags on the start page's card, the first of them shown open:
# what asks the contact teacher to act today (call the home about undocumented
# absence), then what the leaders are told of as well, then what is going on now (the
# windows), the months, and the early notice and the school-nurse suggestion last.
# A rule not named here comes after these.
CARD_ORDER = (
    "undocumented",
    "year_days_leadership",
    "fortnight_share",
    "fifteen_weeks_days",
    "month_days",
    "month_hours",
    "month_late",
    "year_days_notice",
    "illness_share",
)
CARD_OPEN = 1  # flags shown open on a card; the rest fold, unless just one would


@dataclass
class RuleGroup:
    """One rule's active flags on a card (several months of `month_days`), each flag
    with `period_label`, so that the rule reads as one line of its periods."""

    rule: str
    flags: list[Flag]

    @property
    def definition(self):
        return self.flags[0].definition


@dataclass
class FlaggedPupil:
    pupil: Pupil
    group: Group | None
    flags: list[Flag] = field(default_factory=list)  # newest first
    # Set by `_arrange`: the flags shown open, the rest by rule, and every rule.
    shown: list[Flag] = field(default_factory=list)
    folded: list[RuleGroup] = field(default_factory=list)
    rules: list[RuleGroup] = field(default_factory=list)

    @property
    def newest(self) -> dt.datetime:
        return self.flags[0].raised_at

    @property
    def folded_count(self) -> int:
        return sum(len(g.flags) for g in self.folded)


def _period_label(flag: Flag) -> str:
    period = flag.definition.period
    if period == MONTH:
        return date_format(flag.period_start, "F Y")
    if period == YEAR:
        return f"{flag.period_start.year}–{flag.period_end.year}"
    start = date_format(flag.period_start, "d.m.Y")
    if period == RECORD or flag.period_start == flag.period_end:
        return start
    return f"{start}–{date_format(flag.period_end, 'd.m.Y')}"


def _by_rule(flags: list[Flag]) -> list[RuleGroup]:
    """`flags` by rule, in the order of their first flag; each rule's periods in
    calendar order, to read as a line ("august 2026, oktober 2026")."""
    groups: dict[str, RuleGroup] = {}
    for flag in flags:
        groups.setdefault(flag.rule, RuleGroup(flag.rule, [])).flags.append(flag)
    for group in groups.values():
        group.flags.sort(key=lambda f: (f.period_start, f.pk))
    return list(groups.values())


def _arrange(entry: FlaggedPupil) -> None:
    """A card's flags: the most pressing open, the rest folded one line per rule."""
    rank = {rule: i for i, rule in enumerate(CARD_ORDER)}
    ordered = sorted(
        entry.flags,
        key=lambda f: (
            rank.get(f.rule, len(rank)),
            -f.period_start.toordinal(),
            -f.raised_at.timestamp(),
            -f.pk,
        ),
    )
    for flag in ordered:
        flag.period_label = _period_label(flag)
    # Folding a single flag away would hide it behind a click and save nothing.
    shown = len(ordered) if len(ordered) <= CARD_OPEN + 1 else CARD_OPEN
    entry.shown = ordered[:shown]
    entry.folded = _by_rule(ordered[shown:])
    entry.rules = _by_rule(ordered)


def flagged_pupils(flags: QuerySet[Flag]) -> list[FlaggedPupil]:
    """The pupils behind `flags` that have active flags, the most recently flagged
    first, each with their active flags newest first (`flags`) and arranged for the
    start page's card (`_arrange`). One query."""
    rows = (
        flags.active()
        .exclude(rule__startswith="pattern_")
        .select_related("pupil", "group")
        .order_by("-raised_at", "-pk")
    )
    by_pupil: dict[int, FlaggedPupil] = {}
    for flag in rows:
        if flag.pupil_id not in by_pupil:
            by_pupil[flag.pupil_id] = FlaggedPupil(flag.pupil, flag.group)
        by_pupil[flag.pupil_id].flags.append(flag)
    for entry in by_pupil.values():
        _arrange(entry)
    return list(by_pupil.values())


# How many pupils' cards the start page shows whole: the most urgent, at most
# `HOME_CARDS` of them and no more than `HOME_FLAGS` flags in all (a card shows every
# flag of its pupil, with the records behind it and a form), but always the first.
# The rest are one line each, and their cards come on demand ("Vis alle",
# `fravaer.views.home`). So the page stays about the same size with 89 flags as
# with 9 (issue #15: 274 KB and 11 600 px on a phone before).
HOME_CARDS = 5
HOME_FLAGS = 12


def whole_cards(entries: list[FlaggedPupil]) -> int:
    """How many of `entries` (in `by_urgency`'s order) the start page shows whole."""
    shown = flags = 0
    for entry in entries[:HOME_CARDS]:
        flags += len(entry.flags)
        if shown and flags > HOME_FLAGS:
            break
        shown += 1
    return shown


def urgency(entry: FlaggedPupil) -> tuple:
    """The start page's order of pupils, the most urgent first:
    1. a pupil with undocumented absence still waiting for contact with the home (the
       contact teacher is to call the home today, seed 000);
    2. then by the pupil's most severe rule, in `CARD_ORDER` (what the leaders are told
       of as well, the windows, the months, the early notice, illness last);
    3. then the most recently flagged first, and by name to break ties.
    `flagged_pupils` has arranged each card, so `entry.shown[0]` is its most severe
    flag."""
    rank = {rule: i for i, rule in enumerate(CARD_ORDER)}
    worst = min(rank.get(f.rule, len(rank)) for f in entry.flags)
    return (
        worst,  # `undocumented` is CARD_ORDER's first
        -entry.newest.timestamp(),
        entry.pupil.last_name,
        entry.pupil.first_name,
        entry.pupil.pk,
    )


def by_urgency(entries: list[FlaggedPupil]) -> list[FlaggedPupil]:
    return sorted(entries, key=urgency)


def with_evidence(flagged: list[FlaggedPupil]) -> list[FlaggedPupil]:
    """`flagged_pupils` with `evidence` on each flag, as on the pupil page, so that the
    start page shows the records behind a flag as the answer to acknowledging it does.
    At most two queries, whatever the number of pupils."""
    flags = [f for entry in flagged for f in entry.flags]
    if flags:
        records = list(
            AbsenceRecord.objects.current()
            .filter(
                pupil_id__in={f.pupil_id for f in flags},
                date__gte=min(f.period_start for f in flags),
                date__lte=max(f.period_end for f in flags),
            )
            .select_related("reason")
        )
        _set_evidence(flags, records)
    return flagged


def _set_evidence(flags: list[Flag], records: list[AbsenceRecord]) -> None:
    """Each flag's `evidence`: the records it names (patterns, undocumented absence),
    even one removed since, or else its pupil's records of `records` in its period.
    One query for named records not in `records`."""
    known = {r.pk: r for r in records}
    missing = {i for f in flags for i in f.record_ids} - known.keys()
    if missing:
        pupils = {f.pupil_id for f in flags}
        known.update(
            (r.pk, r)
            for r in AbsenceRecord.objects.filter(
                pk__in=missing, pupil_id__in=pupils
            ).select_related("reason")
        )
    by_pupil: dict[int, list[AbsenceRecord]] = {}
    for record in sorted(records, key=lambda r: (r.date, r.pk)):
        by_pupil.setdefault(record.pupil_id, []).append(record)
    for flag in flags:
        if flag.record_ids:
            named = [known[i] for i in flag.record_ids if i in known]
            flag.evidence = sorted(
                (r for r in named if r.pupil_id == flag.pupil_id), key=lambda r: (r.date, r.pk)
            )
        else:
            flag.evidence = [
                r
                for r in by_pupil.get(flag.pupil_id, ())
                if flag.period_start <= r.date <= flag.period_end
            ]


def with_active_flag_counts(schools: QuerySet[School], flags: QuerySet[Flag]) -> QuerySet[School]:
    """Each school with `active_flags`: how many of `flags` (`access.overview_flags`)
    are the school's, patterns left out."""
    counted = (
        flags.filter(school_id=OuterRef("pk"))
        .exclude(rule__startswith="pattern_")
        .order_by()
        .values("school_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return schools.annotate(active_flags=Coalesce(Subquery(counted), 0))


@dataclass
class PupilFlags:
    active: list[Flag]
    past: list[Flag]
    patterns: list[Flag]

    @property
    def illness(self) -> list[Flag]:
        """Active `illness_share` flags: the suggestion to involve the school nurse."""
        return [f for f in self.active if f.rule == "illness_share"]


def pupil_flags(pupil: Pupil, records: list[AbsenceRecord]) -> PupilFlags:
    """Every flag of the pupil, each with `evidence`: the records behind it.

    A flag that names its records (patterns, undocumented absence) shows those, even
    if one has since been removed; a period flag shows the pupil's current records in
    its period, taken from `records` (the school year's, already loaded). A cleared
    flag that names who cleared it has `cleared_by_user`. At most three queries.
    """
    flags = list(Flag.objects.filter(pupil=pupil).select_related("acknowledged_by"))
    _set_evidence(flags, records)
    cleared_by = {f.cleared_by_id for f in flags if f.cleared_by_id}
    if cleared_by:
        users = User.objects.in_bulk(cleared_by)
        for flag in flags:
            flag.cleared_by_user = users.get(flag.cleared_by_id)
    return PupilFlags(
        active=[f for f in flags if f.status == Flag.Status.ACTIVE and not is_pattern(f.rule)],
        past=[f for f in flags if f.status != Flag.Status.ACTIVE and not is_pattern(f.rule)],
        patterns=[f for f in flags if is_pattern(f.rule)],
    )


# --- periods (the rollup, the semester status) --------------------------------------


@dataclass
class GroupPeriod:
    """A class's absence over a period: the absent lessons of its pupils while they
    were enrolled in it (whole days at the class's lessons per day, plus lesson
    absence; late arrivals counted apart), and its school time (each enrollment's
    school days in the period at the class's lessons per day). `pupil_ids` are the
    pupils enrolled on at least one day of the period; they are kept in memory for
    counting and never leave the read."""

    group_id: int
    school_id: int
    grade: int
    name: str
    totals: AbsenceTotals = field(default_factory=AbsenceTotals)
    pupil_ids: set[int] = field(default_factory=set)

    @property
    def pupils(self) -> int:
        return len(self.pupil_ids)


def _school_day_counter(days: Iterable[dt.date], first: dt.date, last: dt.date):
    """A function (a, b) → the number of school days from a to b, both included,
    within [first, last], from one pass over the calendar."""
    import bisect

    ordered = sorted(d for d in days if first <= d <= last)

    def count(a: dt.date, b: dt.date) -> int:
        if b < a:
            return 0
        return bisect.bisect_right(ordered, b) - bisect.bisect_left(ordered, a)

    return count


def period_by_group(school_ids: Iterable[int], first: dt.date, last: dt.date) -> list[GroupPeriod]:
    """Every class of these schools with a pupil enrolled in [first, last], with its
    absence over the period (`GroupPeriod`): the sum of its enrollments'
    `enrollment_totals` (the one definition of the figures, so a pupil who changed
    class mid-period counts in each class for their days there, and removed records
    never count), with each school's own calendar for the school time. Three queries
    whatever the number of schools and pupils: the enrollments' aggregate, their
    classes, and the schools' non-school days."""
    school_ids = list(school_ids)
    enrollments = enrollment_totals(
        Enrollment.objects.filter(group__school_id__in=school_ids),
        start=first,
        end=last,
        calendar=SchoolCalendar(),  # school time is counted below, by each school's
    )
    if not enrollments:
        return []
    closed: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for school_id, day in NonSchoolDay.objects.filter(
        school_id__in=school_ids, date__gte=first, date__lte=last
    ).values_list("school_id", "date"):
        closed[school_id][day] = ""
    counters = {
        s: _school_day_counter(SchoolCalendar(closed[s]).school_days(first, last), first, last)
        for s in school_ids
    }
    groups: dict[int, GroupPeriod] = {}
    per_day: dict[int, int] = {}
    for pk, school_id, grade, name, lessons in Group.objects.filter(
        pk__in={e.group_id for e in enrollments}
    ).values_list("pk", "school_id", "grade", "name", "lessons_per_day"):
        groups[pk] = GroupPeriod(pk, school_id, grade, name)
        per_day[pk] = lessons
    for e in enrollments:
        entry = groups[e.group_id]
        e.totals.school_days = counters[entry.school_id](e.first, e.last)
        e.totals.scheduled_lessons = e.totals.school_days * per_day[e.group_id]
        entry.totals.add(e.totals)
        entry.pupil_ids.add(e.pupil_id)
    return sorted(groups.values(), key=lambda g: (g.school_id, g.grade, g.name))


def windows_absence(
    windows: Iterable[tuple[object, int, dt.date, dt.date]],
) -> dict[object, AbsenceTotals]:
    """Each window's absence (`key`, pupil id, first, last day): the pupil's absent
    lessons and school time in it, by the same definition as `period_by_group`
    (whole days at the lessons per day of the class the pupil was in that day, plus
    lesson absence; school days of that class's school; removed records left out).
    Three queries for any number of windows: the pupils' enrollments, their
    schools' non-school days, and their records in the span of the windows. (The
    windows differ per pupil, so the records are summed here rather than by
    `_totals_aggregates`, with the record's own `absent_lessons`.)"""
    windows = list(windows)
    if not windows:
        return {}
    pupil_ids = {w[1] for w in windows}
    first = min(w[2] for w in windows)
    last = max(w[3] for w in windows)
    enrollments: dict[int, list[tuple]] = defaultdict(list)
    for pupil_id, start, end, school_id, per_day in (
        Enrollment.objects.overlapping(first, last)
        .filter(pupil_id__in=pupil_ids)
        .values_list("pupil_id", "start", "end", "group__school_id", "group__lessons_per_day")
    ):
        enrollments[pupil_id].append((start, end or last, school_id, per_day))
    schools = {e[2] for spans in enrollments.values() for e in spans}
    closed: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for school_id, day in NonSchoolDay.objects.filter(
        school_id__in=schools, date__gte=first, date__lte=last
    ).values_list("school_id", "date"):
        closed[school_id][day] = ""
    counters = {
        s: _school_day_counter(SchoolCalendar(closed[s]).school_days(first, last), first, last)
        for s in schools
    }
    records: dict[int, list[AbsenceRecord]] = defaultdict(list)
    for record in (
        AbsenceRecord.objects.current()
        .filter(pupil_id__in=pupil_ids, date__gte=first, date__lte=last)
        .only("pupil_id", "date", "kind", "documented", "lessons")
    ):
        records[record.pupil_id].append(record)
    result = {}
    for key, pupil_id, a, b in windows:
        totals = AbsenceTotals()
        spans = enrollments.get(pupil_id, [])
        for start, end, school_id, per_day in spans:
            days = counters[school_id](max(start, a), min(end, b))
            totals.school_days += days
            totals.scheduled_lessons += days * per_day
        for record in records.get(pupil_id, []):
            if not a <= record.date <= b:
                continue
            span = next((s for s in spans if s[0] <= record.date <= s[1]), None)
            if span is None:
                continue  # not enrolled that day: no school time to be absent from
            # The record's own definition (`AbsenceRecord.absent_lessons`), as the
            # aggregates' (`_totals_from`): a whole day is the class's lessons that day.
            totals.absent_lessons += record.absent_lessons(span[3])
            if record.kind == AbsenceRecord.Kind.DAY:
                totals.days += 1
                totals.days_documented += record.documented
            elif record.kind == AbsenceRecord.Kind.LESSON:
                totals.hours += record.lessons or 0
                totals.hours_documented += (record.lessons or 0) if record.documented else 0
            else:
                totals.late += 1
                totals.late_documented += record.documented
        result[key] = totals
    return result
