"""The threshold and pattern rules: definitions and a pure function from one pupil's
absence figures to findings. No ORM and no side effects, so every rule can be tested
at its boundary without a database; the figures are computed set-based in SQL by
`fravaer.scan`.

Definitions (issue #3): school days are those of the pupil's school calendar. A `day`
record counts as that day's lessons (the group's lessons per day); a `lesson` record
counts its lessons. The absence share of a window is absent lessons ÷ scheduled
lessons on the window's school days. Day-equivalents are whole days + lessons ÷
lessons per day. All absence counts, documented or not (opplæringslova § 10-6: every
absence matters). Only records dated on or before the scan date count.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

ONE_DAY = dt.timedelta(days=1)
FORTNIGHT_DAYS = 14
FIFTEEN_WEEKS_DAYS = 105
PATTERN_SHORT_DAYS = 42  # "the last 6 weeks"
PATTERN_LONG_DAYS = 56  # "the last 8 weeks"

# Who a rule's flag reaches. The school nurse gets the illness rule's flags only: the
# rule suggests involving her (Harstad's routine), and her inbox shows nothing else.
CONTACT, LEADERS, TEAM, NURSE = "contact", "leaders", "team", "nurse"

# Period kinds.
YEAR, MONTH, WINDOW, RECORD, PATTERN = "year", "month", "window", "record", "pattern"


@dataclass(frozen=True)
class Rule:
    code: str
    period: str
    default: Decimal
    strict: bool  # True: fires when value > threshold; False: when value >= threshold
    recipients: tuple[str, ...]
    source: str
    name: str
    template: str  # the explanation, with %(value)s, %(threshold)s, %(period)s, …
    # The explanation once the home did not answer (`undocumented`: leaders or the team
    # take over, `fravaer.actions.flags.hand_over_unanswered`), with %(no_answer_on)s.
    unanswered: str = ""
    # The explanation once the flag is settled (cleared or acknowledged), where the
    # active one asks for something its status has answered ("Kontakt hjemmet i dag").
    settled: str = ""

    def fires(self, value: Decimal | int | float, threshold: Decimal) -> bool:
        if not isinstance(value, int | Decimal):
            value = Decimal(str(value))  # ints and Decimals compare exactly as they are
        return value > threshold if self.strict else value >= threshold

    def lowest_firing(self, threshold: Decimal) -> int:
        """The smallest whole number this rule fires for."""
        return math.floor(threshold) + 1 if self.strict else math.ceil(threshold)

    @property
    def opens_episodes(self) -> bool:
        return self.period in (WINDOW, PATTERN)

    def explain(self, flag) -> str:
        """The flag in words: its figures and the threshold, in the active language."""
        values = {
            "value": _number(flag.value),
            "threshold": _number(flag.threshold),
            "start": date_format(flag.period_start, "d.m.Y"),
            "end": date_format(flag.period_end, "d.m.Y"),
            "month": date_format(flag.period_start, "F Y"),
            "year": f"{flag.period_start.year}–{flag.period_end.year}",
            **{k: v for k, v in (flag.details or {}).items() if isinstance(v, str | int)},
        }
        if "weekday" in values:
            values["weekday"] = str(WEEKDAYS[int(values["weekday"])])
        template = self.template
        if self.settled and getattr(flag, "status", "active") != "active":
            template = self.settled
        elif self.unanswered and "no_answer_on" in values:
            values["no_answer_on"] = date_format(
                dt.date.fromisoformat(str(values["no_answer_on"])), "d.m.Y"
            )
            template = self.unanswered
        return str(template) % values


def _number(value) -> str:
    value = Decimal(str(value))
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)).replace(".", ",")


WEEKDAYS = [
    _("mandag"),
    _("tirsdag"),
    _("onsdag"),
    _("torsdag"),
    _("fredag"),
    _("lørdag"),
    _("søndag"),
]

# Lazy, like cases' DEADLINE_SOURCES: the rules page shows them in the reader's language.
SOURCE_SONDRE_LAND = _("Søndre Land kommune, Rutine fraværsoppfølging (2025)")
SOURCE_HARSTAD = _("Harstad kommune, rutine for fraværsoppfølging")
SOURCE_KEARNEY = _("Kearney (2008), i RBUPs kursmateriell")
SOURCE_FAERDER = _("Færder kommune, nivåene 0, 1, 2A og 2B")

RULE_LIST = [
    Rule(
        "undocumented",
        RECORD,
        Decimal(0),
        False,
        (CONTACT,),
        format_lazy("{}; {}", SOURCE_SONDRE_LAND, SOURCE_HARSTAD),
        _("Udokumentert fravær"),
        _(
            "Udokumentert fravær %(start)s, og ingen kontakt med hjemmet er logget etter det. "
            "Kontakt hjemmet i dag."
        ),
        _(
            "Udokumentert fravær %(start)s. Hjemmet svarte ikke da skolen tok kontakt "
            "%(no_answer_on)s; ledelsen eller skolemiljøteamet følger opp til fraværet er "
            "avklart."
        ),
        _("Udokumentert fravær %(start)s."),
    ),
    Rule(
        "year_days_notice",
        YEAR,
        Decimal(4),
        False,
        (CONTACT,),
        SOURCE_FAERDER,
        _("Dager i skoleåret (tidlig varsel)"),
        _("%(value)s hele dager fravær i skoleåret %(year)s; grense: %(threshold)s dager."),
    ),
    Rule(
        "year_days_leadership",
        YEAR,
        Decimal(8),
        False,
        (CONTACT, LEADERS),
        SOURCE_SONDRE_LAND,
        _("Dager i skoleåret (ledelsen)"),
        _(
            "%(value)s hele dager fravær i skoleåret %(year)s; grense: %(threshold)s dager. "
            "Ledelsen skal orienteres og involvere skolemiljøteamet."
        ),
    ),
    Rule(
        "month_days",
        MONTH,
        Decimal(3),
        True,
        (CONTACT, LEADERS),
        SOURCE_HARSTAD,
        _("Dager i en måned"),
        _("%(value)s dager i %(month)s; grense: mer enn %(threshold)s."),
    ),
    Rule(
        "month_hours",
        MONTH,
        Decimal(3),
        True,
        (CONTACT, LEADERS),
        SOURCE_HARSTAD,
        _("Timer i en måned"),
        _("%(value)s timer (enkelttimer) i %(month)s; grense: mer enn %(threshold)s."),
    ),
    Rule(
        "month_late",
        MONTH,
        Decimal(3),
        True,
        (CONTACT, LEADERS),
        SOURCE_HARSTAD,
        _("Forsentkomminger i en måned"),
        _("%(value)s forsentkomminger i %(month)s; grense: mer enn %(threshold)s."),
    ),
    Rule(
        "fortnight_share",
        WINDOW,
        Decimal(25),
        True,
        (CONTACT, TEAM),
        SOURCE_KEARNEY,
        _("Andel fravær siste 14 dager"),
        _("%(value)s %% av skoletiden borte %(start)s–%(end)s; grense: over %(threshold)s %%."),
    ),
    Rule(
        "fifteen_weeks_days",
        WINDOW,
        Decimal(10),
        True,
        (CONTACT, TEAM),
        SOURCE_KEARNEY,
        _("Dager siste 15 uker"),
        _("%(value)s dager fravær %(start)s–%(end)s (15 uker); grense: over %(threshold)s."),
    ),
    Rule(
        "pattern_weekday",
        PATTERN,
        Decimal(3),
        False,
        (),
        SOURCE_SONDRE_LAND,
        _("Mønster: samme ukedag"),
        _("%(value)s av %(total)s fraværsdager %(start)s–%(end)s var på en %(weekday)s."),
    ),
    Rule(
        "pattern_subject",
        PATTERN,
        Decimal(3),
        False,
        (),
        SOURCE_SONDRE_LAND,
        _("Mønster: ett fag"),
        _("%(value)s av %(total)s timer fravær %(start)s–%(end)s var i %(subject)s."),
    ),
    Rule(
        "pattern_after_break",
        PATTERN,
        Decimal(3),
        False,
        (),
        SOURCE_SONDRE_LAND,
        _("Mønster: etter helg og ferie"),
        _("Borte første skoledag etter helg eller ferie %(value)s ganger %(start)s–%(end)s."),
    ),
    Rule(
        "pattern_alternate_week",
        PATTERN,
        Decimal(4),
        False,
        (),
        SOURCE_SONDRE_LAND,
        _("Mønster: annenhver uke"),
        _(
            "Fravær annenhver uke %(start)s–%(end)s (%(value)s uker med fravær, ingen i ukene "
            "mellom)."
        ),
    ),
    Rule(
        "illness_share",
        YEAR,
        Decimal(5),
        False,
        (CONTACT, NURSE),
        SOURCE_HARSTAD,
        _("Mye dokumentert sykdom"),
        _(
            "%(value)s dager dokumentert sykdom i skoleåret %(year)s; grense: %(threshold)s. "
            "Vurder å involvere helsesykepleier."
        ),
    ),
]
RULES: dict[str, Rule] = {rule.code: rule for rule in RULE_LIST}

# The thresholds a municipality may set, by rule (inclusive). Each upper bound is the
# highest value that can still fire, or lower where a higher one would make no sense
# as an alert; an "at least" rule (`Rule.strict` False) starts at 1, since 0 would
# flag every pupil, while "more than 0" is a real choice (any absence at all).
THRESHOLD_RANGES: dict[str, tuple[int, int]] = {
    # Whole days in a school year of about 190 school days.
    "year_days_notice": (1, 190),
    "year_days_leadership": (1, 190),
    "illness_share": (1, 190),
    # "More than" in one calendar month, which has at most 23 school days.
    "month_days": (0, 22),
    "month_hours": (0, 100),  # single lessons; 100 is weeks of school
    "month_late": (0, 30),
    # Percent of the school time (25 is 25 %); a share never exceeds 100 %.
    "fortnight_share": (0, 99),
    # Day-equivalents in 105 days: 15 weeks hold at most 75 school days.
    "fifteen_weeks_days": (0, 74),
    # Patterns need a repeat: one absence alone is not a pattern, so they start at 2.
    "pattern_weekday": (2, 6),  # 6 weeks hold 6 of each weekday
    "pattern_subject": (2, 40),  # lessons of one subject in 6 weeks
    "pattern_after_break": (2, 8),  # first days after a weekend in 8 weeks
    # The period is twice the threshold in weeks, and the scan keeps 8 weeks of
    # records (`PATTERN_LONG_DAYS`): 5 or more could never fire.
    "pattern_alternate_week": (2, 4),
}
# Rules that count whole things (days, lessons, late arrivals, weeks): a threshold of
# 3,5 would only mean 4, or 3, said less plainly. A share and day-equivalents may
# have decimals.
FRACTIONAL_RULES = frozenset({"fortnight_share", "fifteen_weeks_days"})


def threshold_problem(rule: str, threshold: Decimal) -> str | None:
    """Why a new threshold for `rule` is refused, or None: outside its range
    (`THRESHOLD_RANGES`), or a fraction where the rule counts whole things."""
    if rule not in THRESHOLD_RANGES:
        return None  # `undocumented` has no threshold
    low, high = THRESHOLD_RANGES[rule]
    if not low <= threshold <= high:
        return str(_("Grensen må være fra %(min)s til %(max)s.") % {"min": low, "max": high})
    if rule not in FRACTIONAL_RULES and threshold != threshold.to_integral_value():
        return str(_("Grensen må være et helt tall."))
    return None


def early_warning_problem(notice: Decimal, leadership: Decimal) -> str | None:
    """Why the early warning's threshold is refused beside the leadership's, or None:
    it must come first. Both count whole days, so compare the days they fire at (7,5
    fires at 8)."""
    days = RULES["year_days_leadership"].lowest_firing(leadership)
    if RULES["year_days_notice"].lowest_firing(notice) < days:
        return None
    return ngettext(
        "Det tidlige varselet må komme før ledelsen varsles ved %(days)s dag. "
        "Sett en lavere grense her, eller en høyere for ledelsen.",
        "Det tidlige varselet må komme før ledelsen varsles ved %(days)s dager. "
        "Sett en lavere grense her, eller en høyere for ledelsen.",
        days,
    ) % {"days": days}


@dataclass(frozen=True)
class RuleConfig:
    enabled: bool
    threshold: Decimal


def default_config() -> dict[str, RuleConfig]:
    return {code: RuleConfig(True, rule.default) for code, rule in RULES.items()}


# --- figures: what SQL computes for one pupil -------------------------------------


@dataclass(slots=True)
class MonthFigures:
    days: int = 0
    hours: int = 0
    late: int = 0


class RecentRecord(NamedTuple):
    """A record of the last 8 weeks, for the patterns. (A named tuple: a scan builds
    some 200 000 of them.)"""

    id: int
    date: dt.date
    kind: str
    lessons: int  # a lesson record has at least one (database constraint)
    subject: str


@dataclass(slots=True)
class PupilFigures:
    pupil_id: int
    as_of: dt.date
    year_start: dt.date
    year_end: dt.date
    lessons_per_day: int
    year_days: int = 0
    illness_days: int = 0
    months: dict[tuple[int, int], MonthFigures] = field(default_factory=dict)
    fortnight_days: int = 0
    fortnight_hours: int = 0
    fortnight_school_days: int = 0
    weeks15_days: int = 0
    weeks15_hours: int = 0
    undocumented: list[tuple[int, dt.date]] = field(default_factory=list)
    # record id → the latest try at the home on or after it that nobody answered.
    no_answer: dict[int, dt.date] = field(default_factory=dict)
    recent: list[RecentRecord] = field(default_factory=list)
    first_days_after_break: frozenset[dt.date] = frozenset()


class Finding(NamedTuple):
    """A rule that fired, with the figures behind it. (A named tuple: a first scan of
    a municipality makes some 100 000; `details` is never changed after.)"""

    rule: str
    period_key: str
    period_start: dt.date
    period_end: dt.date
    value: Decimal
    threshold: Decimal
    details: dict = {}  # noqa: RUF012 - shared empty default, read only
    record_ids: tuple[int, ...] = ()
    record_id: int | None = None


@lru_cache(maxsize=64)
def window(as_of: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The `days` calendar days ending on (and including) as_of."""
    return as_of - dt.timedelta(days=days - 1), as_of


def evaluate(
    figures: PupilFigures, config: dict[str, RuleConfig], rules: Container[str] | None = None
) -> list[Finding]:
    """Every rule that fires for one pupil on the scan date. With `rules`, only those
    are evaluated: the scan passes the rules whose bound the pupil reaches (see
    `fravaer.reach`); the others cannot fire."""
    findings: list[Finding] = []
    if rules is not None and not isinstance(rules, frozenset):
        rules = frozenset(rules)
    for code in config if rules is None else _in_rule_order(rules):
        rule_config = config.get(code)
        if rule_config is not None and rule_config.enabled:
            findings.extend(EVALUATORS[code](figures, RULES[code], rule_config.threshold))
    return findings


@lru_cache(maxsize=4096)
def _in_rule_order(rules: frozenset[str]) -> tuple[str, ...]:
    return tuple(code for code in RULES if code in rules)


CENT = Decimal("0.01")


def _d(value) -> Decimal:
    if type(value) is int:
        return _whole(value)
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=1024)
def _whole(value: int) -> Decimal:
    return Decimal(value).quantize(CENT)


def _year(f: PupilFigures, rule: Rule, threshold: Decimal, value: int) -> Iterable[Finding]:
    if rule.fires(value, threshold):
        key = f"{f.year_start.year}-{f.year_end.year}"
        yield Finding(rule.code, key, f.year_start, f.year_end, _d(value), threshold)


def _undocumented(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    for record_id, day in f.undocumented:
        no_answer_on = f.no_answer.get(record_id)
        yield Finding(
            rule.code,
            f"record:{record_id}",
            day,
            day,
            _d(1),
            threshold,
            # Handed over as `fravaer.actions.flags.hand_over_unanswered` does it.
            details={"no_answer_on": no_answer_on.isoformat()} if no_answer_on else {},
            record_ids=(record_id,),
            record_id=record_id,
        )


def _month(attribute: str):
    def evaluate_month(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
        for (year, month), figures in sorted(f.months.items()):
            value = getattr(figures, attribute)
            if rule.fires(value, threshold):
                key, first, last = _month_period(year, month)
                yield Finding(rule.code, key, first, min(last, f.as_of), _d(value), threshold)

    return evaluate_month


@lru_cache(maxsize=256)
def _month_period(year: int, month: int) -> tuple[str, dt.date, dt.date]:
    first = dt.date(year, month, 1)
    return f"{year}-{month:02d}", first, (first + dt.timedelta(days=32)).replace(day=1) - ONE_DAY


def _fortnight(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    scheduled = f.fortnight_school_days * f.lessons_per_day
    if not scheduled:
        return
    absent = f.fortnight_days * f.lessons_per_day + f.fortnight_hours
    share = _d(Decimal(100) * absent / scheduled)
    if rule.fires(share, threshold):
        start, end = window(f.as_of, FORTNIGHT_DAYS)
        yield Finding(
            rule.code,
            f"episode:{f.as_of.isoformat()}",
            start,
            end,
            share,
            threshold,
            details={"absent_lessons": absent, "scheduled_lessons": scheduled},
        )


def _fifteen_weeks(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    value = _d(f.weeks15_days + Decimal(f.weeks15_hours) / f.lessons_per_day)
    if rule.fires(value, threshold):
        start, end = window(f.as_of, FIFTEEN_WEEKS_DAYS)
        yield Finding(rule.code, f"episode:{f.as_of.isoformat()}", start, end, value, threshold)


def _recent(f: PupilFigures, days: int) -> tuple[dt.date, list[RecentRecord]]:
    start, _end = window(f.as_of, days)
    return start, [r for r in f.recent if start <= r.date <= f.as_of]


def _pattern(
    f: PupilFigures,
    rule: Rule,
    threshold: Decimal,
    start: dt.date,
    value: int,
    records: list[RecentRecord],
    **details,
) -> Finding:
    return Finding(
        rule.code,
        f"episode:{f.as_of.isoformat()}",
        start,
        f.as_of,
        _d(value),
        threshold,
        details=details,
        record_ids=tuple(sorted(r.id for r in records)),
    )


def _weekday(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    start, records = _recent(f, PATTERN_SHORT_DAYS)
    dates = {r.date for r in records}
    if not dates:
        return
    counts = Counter(d.weekday() for d in dates)
    weekday, count = max(sorted(counts.items()), key=lambda item: item[1])
    if rule.fires(count, threshold) and 2 * count >= len(dates):
        evidence = [r for r in records if r.date.weekday() == weekday]
        yield _pattern(
            f, rule, threshold, start, count, evidence, weekday=weekday, total=len(dates)
        )


def _subject(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    start, records = _recent(f, PATTERN_SHORT_DAYS)
    lessons = [r for r in records if r.kind == "lesson"]
    total = sum(r.lessons for r in lessons)
    per_subject = Counter()
    for r in lessons:
        if r.subject:
            per_subject[r.subject.strip().casefold()] += r.lessons
    if not per_subject:
        return
    subject, count = max(sorted(per_subject.items()), key=lambda item: item[1])
    if rule.fires(count, threshold) and 2 * count >= total:
        evidence = [r for r in lessons if r.subject.strip().casefold() == subject]
        yield _pattern(
            f,
            rule,
            threshold,
            start,
            count,
            evidence,
            subject=evidence[0].subject.strip(),
            total=total,
        )


def _after_break(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    start, records = _recent(f, PATTERN_LONG_DAYS)
    evidence = [r for r in records if r.date in f.first_days_after_break]
    count = len({r.date for r in evidence})
    if rule.fires(count, threshold):
        yield _pattern(f, rule, threshold, start, count, evidence)


def _alternate_week(f: PupilFigures, rule: Rule, threshold: Decimal) -> Iterable[Finding]:
    weeks = int(threshold) * 2  # e.g. 4 weeks with absence over the last 8
    if weeks < 2:
        return
    start, _end = window(f.as_of, weeks * 7)
    records = [r for r in f.recent if start <= r.date <= f.as_of]
    with_absence = {(f.as_of - r.date).days // 7 for r in records}
    every_other = [set(range(offset, weeks, 2)) for offset in (0, 1)]
    if with_absence in every_other:
        yield _pattern(f, rule, threshold, start, len(with_absence), records)


EVALUATORS = {
    "undocumented": _undocumented,
    "year_days_notice": lambda f, rule, t: _year(f, rule, t, f.year_days),
    "year_days_leadership": lambda f, rule, t: _year(f, rule, t, f.year_days),
    "month_days": _month("days"),
    "month_hours": _month("hours"),
    "month_late": _month("late"),
    "fortnight_share": _fortnight,
    "fifteen_weeks_days": _fifteen_weeks,
    "pattern_weekday": _weekday,
    "pattern_subject": _subject,
    "pattern_after_break": _after_break,
    "pattern_alternate_week": _alternate_week,
    "illness_share": lambda f, rule, t: _year(f, rule, t, f.illness_days),
}
