"""The rules at their boundaries, as pure functions: no database."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from fravaer.reach import reach, reach_sums, rules_on
from fravaer.thresholds import (
    PATTERN_LONG_DAYS,
    RULES,
    MonthFigures,
    PupilFigures,
    RecentRecord,
    RuleConfig,
    default_config,
    evaluate,
)

AS_OF = dt.date(2026, 11, 20)  # a Friday


def figures(**values) -> PupilFigures:
    base = {
        "pupil_id": 1,
        "as_of": AS_OF,
        "year_start": dt.date(2026, 8, 1),
        "year_end": dt.date(2027, 7, 31),
        "lessons_per_day": 5,
        "fortnight_school_days": 10,
    }
    base.update(values)
    return PupilFigures(**base)


def fired(f: PupilFigures, rule: str, threshold=None):
    config = {
        rule: RuleConfig(True, Decimal(threshold if threshold is not None else RULES[rule].default))
    }
    return evaluate(f, config)


@pytest.mark.parametrize(("late", "fires"), [(3, False), (4, True)])
def test_month_late_fires_above_three(late, fires):
    f = figures(months={(2026, 11): MonthFigures(late=late)})
    assert bool(fired(f, "month_late")) is fires


@pytest.mark.parametrize(("days", "fires"), [(3, False), (4, True)])
def test_month_days_fires_above_three(days, fires):
    assert bool(fired(figures(months={(2026, 10): MonthFigures(days=days)}), "month_days")) is fires


@pytest.mark.parametrize(("hours", "fires"), [(3, False), (4, True)])
def test_month_hours_fires_above_three(hours, fires):
    f = figures(months={(2026, 9): MonthFigures(hours=hours)})
    assert bool(fired(f, "month_hours")) is fires


def test_month_rule_names_each_month_in_the_past():
    f = figures(
        months={
            (2026, 9): MonthFigures(days=4),
            (2026, 10): MonthFigures(days=2),
            (2026, 11): MonthFigures(days=5),
        }
    )
    findings = fired(f, "month_days")
    assert [x.period_key for x in findings] == ["2026-09", "2026-11"]
    september = findings[0]
    assert (september.period_start, september.period_end) == (
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 30),
    )
    assert findings[1].period_end == AS_OF  # the running month ends on the scan date


@pytest.mark.parametrize(
    ("days", "rule", "fires"),
    [
        (3, "year_days_notice", False),
        (4, "year_days_notice", True),
        (7, "year_days_leadership", False),
        (8, "year_days_leadership", True),
    ],
)
def test_year_rules_fire_at_their_threshold(days, rule, fires):
    findings = fired(figures(year_days=days), rule)
    assert bool(findings) is fires
    if fires:
        assert findings[0].period_key == "2026-2027"


@pytest.mark.parametrize(("absent_lessons", "fires"), [(12, False), (13, True)])
def test_fortnight_share_fires_above_25_percent(absent_lessons, fires):
    # 10 school days × 5 lessons = 50 scheduled; 12.5 would be exactly 25 %.
    f = figures(fortnight_days=2, fortnight_hours=absent_lessons - 10)
    assert bool(fired(f, "fortnight_share")) is fires


def test_fortnight_share_exactly_25_percent_does_not_fire():
    f = figures(fortnight_school_days=8, fortnight_days=2)  # 10 of 40 lessons
    assert fired(f, "fortnight_share") == []
    f = figures(fortnight_school_days=8, fortnight_days=2, fortnight_hours=1)  # 11 of 40
    finding = fired(f, "fortnight_share")[0]
    assert finding.value == Decimal("27.50")
    assert (finding.period_start, finding.period_end) == (dt.date(2026, 11, 7), AS_OF)


def test_fortnight_without_school_days_never_fires():
    assert fired(figures(fortnight_school_days=0, fortnight_days=3), "fortnight_share") == []


@pytest.mark.parametrize(
    ("days", "hours", "fires"), [(10, 0, False), (11, 0, True), (9, 5, False), (10, 1, True)]
)
def test_fifteen_weeks_counts_day_equivalents_above_ten(days, hours, fires):
    f = figures(weeks15_days=days, weeks15_hours=hours)
    assert bool(fired(f, "fifteen_weeks_days")) is fires


def test_undocumented_fires_once_per_record():
    f = figures(undocumented=[(7, dt.date(2026, 11, 18)), (9, dt.date(2026, 11, 19))])
    findings = fired(f, "undocumented")
    assert [(x.period_key, x.record_id) for x in findings] == [("record:7", 7), ("record:9", 9)]


def test_illness_share_suggests_the_nurse_at_five_days():
    assert fired(figures(illness_days=4), "illness_share") == []
    assert fired(figures(illness_days=5), "illness_share")[0].value == 5


def _recent(*items):
    return [
        RecentRecord(i, day, kind, lessons, subject)
        for i, (day, kind, lessons, subject) in enumerate(items, 1)
    ]


def test_weekday_pattern_needs_three_and_half():
    mondays = [dt.date(2026, 11, 16), dt.date(2026, 11, 9), dt.date(2026, 11, 2)]
    f = figures(recent=_recent(*[(d, "day", 0, "") for d in mondays]))
    finding = fired(f, "pattern_weekday")[0]
    assert finding.details["weekday"] == 0 and finding.value == 3
    others = [
        dt.date(2026, 11, 17),
        dt.date(2026, 11, 18),
        dt.date(2026, 11, 19),
        dt.date(2026, 11, 20),
    ]
    f = figures(recent=_recent(*[(d, "day", 0, "") for d in mondays + others]))
    assert fired(f, "pattern_weekday") == []  # 3 of 7 is less than half


def test_weekday_pattern_ignores_absence_older_than_six_weeks():
    old = [dt.date(2026, 10, 5), dt.date(2026, 10, 12)]  # Mondays 6+ weeks back
    f = figures(recent=_recent(*[(d, "day", 0, "") for d in old + [dt.date(2026, 11, 16)]]))
    assert fired(f, "pattern_weekday") == []


def test_subject_pattern_counts_lessons_in_one_subject():
    items = [(dt.date(2026, 11, d), "lesson", 1, "Matematikk") for d in (10, 12, 17)]
    f = figures(recent=_recent(*items, (dt.date(2026, 11, 18), "lesson", 1, "Norsk")))
    finding = fired(f, "pattern_subject")[0]
    assert finding.details["subject"] == "Matematikk" and finding.value == 3
    assert len(finding.record_ids) == 3


def test_after_break_pattern_counts_first_days_after_weekends_and_holidays():
    firsts = frozenset({dt.date(2026, 11, 16), dt.date(2026, 11, 9), dt.date(2026, 10, 5)})
    items = [(d, "day", 0, "") for d in sorted(firsts)]
    assert (
        fired(
            figures(recent=_recent(*items), first_days_after_break=firsts), "pattern_after_break"
        )[0].value
        == 3
    )
    assert (
        fired(
            figures(recent=_recent(*items[:2]), first_days_after_break=firsts),
            "pattern_after_break",
        )
        == []
    )


def test_alternate_week_pattern_needs_every_other_week_and_none_between():
    # Weeks counted back from the scan date: 0, 2, 4, 6 have absence.
    days = [AS_OF - dt.timedelta(days=7 * w) for w in (0, 2, 4, 6)]
    assert fired(
        figures(recent=_recent(*[(d, "day", 0, "") for d in days])), "pattern_alternate_week"
    )
    between = days + [AS_OF - dt.timedelta(days=7)]
    assert (
        fired(
            figures(recent=_recent(*[(d, "day", 0, "") for d in between])), "pattern_alternate_week"
        )
        == []
    )


def test_disabled_rule_never_fires():
    config = {"year_days_notice": RuleConfig(False, Decimal(4))}
    assert evaluate(figures(year_days=30), config) == []


def test_threshold_is_a_setting():
    assert fired(figures(year_days=5), "year_days_notice", threshold=6) == []
    assert fired(figures(year_days=6), "year_days_notice", threshold=6)


def test_every_rule_has_a_source_and_an_evaluator():
    config = default_config()
    assert set(config) == set(RULES)
    for rule in RULES.values():
        assert rule.source and rule.name
    assert evaluate(figures(), config) == []


# --- reach: the scan evaluates only pupils within reach of a rule --------------------


def _random_figures(rng: random.Random) -> PupilFigures:
    """Figures as the scan builds them: recent records within the last 8 weeks, a
    lesson record with at least one lesson (a database constraint)."""
    months = {
        (2026, m): MonthFigures(rng.randint(0, 6), rng.randint(0, 7), rng.randint(0, 6))
        for m in rng.sample([8, 9, 10, 11], rng.randint(0, 4))
    }
    recent = []
    for n in range(rng.choice([0, 1, 2, 3, 4, 6, 9, 14])):
        day = AS_OF - dt.timedelta(days=rng.randrange(PATTERN_LONG_DAYS))
        kind = rng.choice(["day", "lesson", "late"])
        lessons = rng.randint(1, 4) if kind == "lesson" else 0
        recent.append(RecentRecord(n, day, kind, lessons, rng.choice(["", "Norsk", "Matte"])))
    window_days = [AS_OF - dt.timedelta(days=n) for n in range(PATTERN_LONG_DAYS)]
    return figures(
        lessons_per_day=rng.randint(1, 8),
        fortnight_school_days=rng.randint(0, 10),
        year_days=rng.randint(0, 12),
        illness_days=rng.randint(0, 8),
        months=months,
        fortnight_days=rng.randint(0, 6),
        fortnight_hours=rng.randint(0, 12),
        weeks15_days=rng.randint(0, 15),
        weeks15_hours=rng.randint(0, 30),
        recent=recent,
        first_days_after_break=frozenset(
            d for d in window_days if d.weekday() == 0 or rng.random() < 0.05
        ),
    )


@pytest.mark.parametrize("rule", [code for code in RULES if code != "undocumented"])
def test_a_rule_fires_only_for_pupils_within_its_reach(rule):
    """The scan's SQL pre-filter may leave pupils out only if no rule can fire for
    them: on random figures and thresholds, firing implies reaching the rule's bound
    (with the fewest lessons per day and school days among the pupils in scope)."""
    rng = random.Random(rule)
    default = RULES[rule].default
    thresholds = [Decimal(0), Decimal("0.5"), Decimal(1), Decimal(2), default, default + 1]
    thresholds += [Decimal("2.5"), Decimal(10), Decimal("25.01"), Decimal(50)]
    fired_count = left_out = 0
    for _ in range(1500):
        f = _random_figures(rng)
        config = {rule: RuleConfig(True, rng.choice(thresholds))}
        bounds = reach(
            [config],
            fortnight_school_days=rng.randint(0, f.fortnight_school_days),
            lessons_per_day=rng.randint(1, f.lessons_per_day),
        )
        within = bounds.everyone or rule in rules_on(
            bounds.reached(reach_sums(f, bounds.lessons_per_day))
        )
        if evaluate(f, config):
            fired_count += 1
            assert within, (rule, config, f)
        left_out += not within
    assert fired_count > 20 and left_out > 20  # neither side of the bound is empty


def test_reach_takes_the_loosest_bound_of_all_municipalities():
    strict = {"year_days_notice": RuleConfig(True, Decimal(6))}
    loose = {"year_days_notice": RuleConfig(True, Decimal(4))}
    bounds = reach([strict, loose], fortnight_school_days=10, lessons_per_day=5)
    assert bounds.bounds == {"year_days": 4} and not bounds.everyone


def test_a_threshold_of_zero_on_an_at_least_rule_reaches_everyone():
    config = {"year_days_notice": RuleConfig(True, Decimal(0))}
    assert reach([config], fortnight_school_days=10, lessons_per_day=5).everyone
    off = {"year_days_notice": RuleConfig(False, Decimal(0))}
    assert not reach([off], fortnight_school_days=10, lessons_per_day=5).everyone


def test_evaluate_runs_only_the_rules_it_is_given():
    f = figures(year_days=9, months={(2026, 11): MonthFigures(days=5)})
    assert [x.rule for x in evaluate(f, default_config(), {"month_days"})] == ["month_days"]
