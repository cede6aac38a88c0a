"""Reach: the pupils any rule could fire for.

Most pupils have little absence. A scan of a whole municipality need not build the
figures of those pupils, let alone run every rule on them: `reach` turns the enabled
rules' thresholds into lower bounds on a few sums that SQL computes per pupil, and
the scan evaluates only pupils who reach at least one bound. Each bound follows from
its rule's definition (`fravaer.thresholds`) and is never tighter than the rule: if a
rule fires for a pupil, the pupil reaches that rule's bound.
`tests/fravaer/test_thresholds.py` checks this implication rule by rule on random
figures, and the benchmark compares the scan with a naive loop that evaluates every
pupil. `undocumented` has a query of its own that selects exactly its records, so it
needs no bound.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from fravaer.thresholds import PATTERN_SHORT_DAYS, RULES, PupilFigures, RuleConfig, window

# Shares and day-equivalents are rounded half up to 0.01 before they are compared, so
# a value that fires is above the threshold less 0.005; 0.01 keeps clear of that.
ROUNDING_SLACK = Decimal("0.01")


# The sum each rule's bound is on (`undocumented` has none: its query is exact).
REACH_FIGURE = {
    "year_days_notice": "year_days",
    "year_days_leadership": "year_days",
    "illness_share": "illness_days",
    "month_days": "month_days",  # the most in one calendar month
    "month_hours": "month_hours",
    "month_late": "month_late",
    "fortnight_share": "fortnight_lessons",  # days × lessons_per_day + lessons
    "fifteen_weeks_days": "weeks15_lessons",  # the same over 105 days
    "pattern_weekday": "weekday_records",  # the most on one weekday, last 6 weeks
    "pattern_subject": "subject_hours",  # lesson hours, last 6 weeks
    "pattern_after_break": "after_break_records",  # on first days after a break, 8 weeks
    "pattern_alternate_week": "absent_weeks",  # weeks of the last 8 with a record
}
PATTERN_FIGURES = ("weekday_records", "subject_hours", "after_break_records", "absent_weeks")
# One bit per sum, so that SQL can say in one integer which bounds a pupil reaches.
FIGURE_BITS = {name: 1 << n for n, name in enumerate(dict.fromkeys(REACH_FIGURE.values()))}


@cache
def rules_on(reached: int) -> frozenset[str]:
    """The rules whose sums' bits are set in `reached`."""
    return frozenset(code for code, name in REACH_FIGURE.items() if reached & FIGURE_BITS[name])


@dataclass(frozen=True)
class Reach:
    """For each sum (`REACH_FIGURE`), the least a pupil must have for some enabled
    rule on it to fire; absent: no enabled rule reads that sum.

    `everyone`: some enabled rule can fire for a pupil with no absence at all (a
    threshold of 0 on an "at least" rule), so no pupil may be left out.

    The window sums count absent lessons as if every pupil had `lessons_per_day`, the
    fewest lessons per day in scope, and their bounds assume the fewest school days
    in the fortnight: fewer lessons per day and fewer school days only raise a
    pupil's share and day-equivalents, so a bound computed for the smallest holds for
    every pupil.
    """

    bounds: dict[str, int] = field(default_factory=dict)
    everyone: bool = False
    lessons_per_day: int = 1

    @property
    def patterns(self) -> bool:
        """Whether any pattern rule is on (they need the pupils' recent records)."""
        return self.everyone or any(name in self.bounds for name in PATTERN_FIGURES)

    def reached(self, sums: dict[str, int]) -> int:
        """The bits (`FIGURE_BITS`) of the bounds these sums reach: in Python what the
        scan's SQL computes."""
        return sum(
            FIGURE_BITS[name] for name, bound in self.bounds.items() if sums.get(name, 0) >= bound
        )


def reach(
    configs: Iterable[dict[str, RuleConfig]], *, fortnight_school_days: int, lessons_per_day: int
) -> Reach:
    """The bounds for every enabled rule of every config (the loosest wins).
    `fortnight_school_days` and `lessons_per_day` are the fewest among the schools and
    pupils in scope."""
    lpd = max(1, lessons_per_day)
    bounds: dict[str, int] = {}
    everyone = False

    def need(figure: str, at_least: int) -> None:
        nonlocal everyone
        everyone = everyone or at_least <= 0
        bounds[figure] = min(bounds.get(figure, at_least), at_least)

    for config in configs:
        for code, rule_config in config.items():
            if not rule_config.enabled or code == "undocumented":
                continue
            if code not in REACH_FIGURE:  # a rule without a bound: evaluate everyone
                everyone = True
                continue
            rule, t = RULES[code], rule_config.threshold
            lowest = rule.lowest_firing(t)
            slack = t - ROUNDING_SLACK
            if code == "fortnight_share":
                # 100 × (days × L + lessons) / (school days × L) > t, with L ≥ lpd and
                # school days ≥ fortnight_school_days, gives
                # 100 × (days × lpd + lessons) > t × fortnight_school_days × lpd.
                n = math.floor(slack * fortnight_school_days * lpd / 100) + 1
                need("fortnight_lessons", max(n, 1) if t >= 0 else n)
            elif code == "fifteen_weeks_days":
                # days + lessons / L > t, with L ≥ lpd, gives days × lpd + lessons > t × lpd.
                n = math.floor(slack * lpd) + 1
                need("weeks15_lessons", max(n, 1) if t >= 0 else n)
            elif code == "pattern_weekday":
                # that many dates on one weekday (records ≥ dates), and at least one.
                need("weekday_records", max(lowest, 1))
            elif code == "pattern_subject":
                # that many lessons in one subject, and at least one lesson record.
                need("subject_hours", max(lowest, 1))
            elif code == "pattern_alternate_week":
                if int(t) >= 1:  # absence in exactly int(t) of the weeks
                    need("absent_weeks", int(t))
            else:  # counts compared with the threshold as they are
                need(REACH_FIGURE[code], lowest)
    return Reach(bounds, everyone=everyone, lessons_per_day=lpd)


def reach_sums(f: PupilFigures, lessons_per_day: int) -> dict[str, int]:
    """The sums the bounds are on, from one pupil's figures: what the scan's SQL
    computes (there, records ≥ dates, and first days after a break of any school in
    scope, so its sums are never smaller)."""
    days = hours = late = 0
    for m in f.months.values():
        days, hours, late = max(days, m.days), max(hours, m.hours), max(late, m.late)
    six_weeks, _end = window(f.as_of, PATTERN_SHORT_DAYS)
    last_six = [r for r in f.recent if r.date >= six_weeks]
    weekdays = Counter(r.date.weekday() for r in last_six)
    return {
        "year_days": f.year_days,
        "illness_days": f.illness_days,
        "month_days": days,
        "month_hours": hours,
        "month_late": late,
        "fortnight_lessons": f.fortnight_days * lessons_per_day + f.fortnight_hours,
        "weeks15_lessons": f.weeks15_days * lessons_per_day + f.weeks15_hours,
        "weekday_records": max(weekdays.values(), default=0),
        "subject_hours": sum(r.lessons for r in last_six if r.kind == "lesson"),
        "after_break_records": sum(r.date in f.first_days_after_break for r in f.recent),
        "absent_weeks": len({(f.as_of - r.date).days // 7 for r in f.recent}),
    }
