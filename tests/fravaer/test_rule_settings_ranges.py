"""The municipality's rule settings refuse thresholds outside each rule's range, and
an early warning that would not come before the leadership is told: the error at
the field and in the summary, what was typed shown again, nothing saved."""

from __future__ import annotations

import html as html_lib
from decimal import Decimal

import pytest

from fravaer.actions import rule_configs
from fravaer.models import RuleSetting, RuleSettingChange
from tests.factories import saved_before_the_ranges
from tests.pages import html_of, rules_url, settings_post

# rule: (lowest allowed, highest allowed, unit), as the page states them.
RANGES = {
    "year_days_notice": (1, 190, "dager"),
    "year_days_leadership": (1, 190, "dager"),
    "month_days": (0, 22, "dager"),
    "month_hours": (0, 100, "timer"),
    "month_late": (0, 30, "ganger"),
    "fortnight_share": (0, 99, "prosent"),
    "fifteen_weeks_days": (0, 74, "dager"),
    "pattern_weekday": (2, 6, "dager"),
    "pattern_subject": (2, 40, "timer"),
    "pattern_after_break": (2, 8, "ganger"),
    "pattern_alternate_week": (2, 4, "uker"),
    "illness_share": (1, 190, "dager"),
}
# The early warning must come first while both day rules are on; the boundary tests
# of one switch the other off, so that only the range is tried.
PARTNER = {
    "year_days_notice": "year_days_leadership",
    "year_days_leadership": "year_days_notice",
}


def post_threshold(client, municipality, rule: str, value: str):
    overrides = {f"{rule}_threshold": value}
    if rule in PARTNER:
        overrides[f"{PARTNER[rule]}_enabled"] = None
    return client.post(rules_url(municipality), settings_post(**overrides))


def threshold_now(municipality, rule: str) -> Decimal:
    return rule_configs([municipality.pk])[municipality.pk][rule].threshold


def field_error(html: str, field: str) -> str:
    """The text of the error message shown at the field."""
    start = html.index(f'id="id_{field}-err">') + len(f'id="id_{field}-err">')
    return html_lib.unescape(html[start : html.index("</p>", start)])


def assert_refused(response, municipality, field: str, message: str, typed: str) -> None:
    assert response.status_code == 200
    html = html_of(response)
    assert field_error(html, field) == message
    assert "Dette må rettes før det kan lagres" in html
    assert f'href="#id_{field}"' in html  # the summary links to the field
    assert f'name="{field}" value="{typed}"' in html
    assert not RuleSetting.objects.exists() and not RuleSettingChange.objects.exists()


@pytest.mark.parametrize("end", [0, 1], ids=["lowest", "highest"])
@pytest.mark.parametrize("rule", RANGES)
def test_both_ends_of_the_range_are_saved(client_for, municipal_admin, municipality, rule, end):
    value = RANGES[rule][end]
    response = post_threshold(client_for(municipal_admin), municipality, rule, str(value))
    assert response.status_code == 302
    assert threshold_now(municipality, rule) == value


@pytest.mark.parametrize("rule", RANGES)
def test_one_below_the_range_is_refused(client_for, municipal_admin, municipality, rule):
    low, high, unit = RANGES[rule]
    typed = str(low - 1)
    response = post_threshold(client_for(municipal_admin), municipality, rule, typed)
    message = f"Grensen må være et tall fra {low} til {high} {unit}."
    assert_refused(response, municipality, f"{rule}_threshold", message, typed)


@pytest.mark.parametrize("rule", RANGES)
def test_one_above_the_range_is_refused(client_for, municipal_admin, municipality, rule):
    low, high, unit = RANGES[rule]
    typed = str(high + 1)
    response = post_threshold(client_for(municipal_admin), municipality, rule, typed)
    message = f"Grensen må være et tall fra {low} til {high} {unit}."
    assert_refused(response, municipality, f"{rule}_threshold", message, typed)


def test_a_share_just_over_the_highest_is_refused(client_for, municipal_admin, municipality):
    response = post_threshold(client_for(municipal_admin), municipality, "fortnight_share", "99,01")
    message = "Grensen må være et tall fra 0 til 99 prosent."
    assert_refused(response, municipality, "fortnight_share_threshold", message, "99,01")


def test_a_rule_that_is_off_keeps_to_its_range_too(client_for, municipal_admin, municipality):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(month_days_enabled=None, month_days_threshold="999"),
    )
    message = "Grensen må være et tall fra 0 til 22 dager."
    assert_refused(response, municipality, "month_days_threshold", message, "999")


def test_the_page_states_each_range_beside_its_field(client_for, municipal_admin, municipality):
    html = html_of(client_for(municipal_admin).get(rules_url(municipality)))
    for rule, (low, high, unit) in RANGES.items():
        hint = f"id_{rule}_threshold-hint"
        assert f'id="{hint}">Fra {low} til {high} {unit}</p>' in html
        assert f'aria-describedby="{hint}"' in html


def test_a_refused_field_is_described_by_its_range_and_its_error(
    client_for, municipal_admin, municipality
):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(fifteen_weeks_days_threshold="10,5", month_days_threshold="23"),
    )
    html = html_of(response)
    field = "id_month_days_threshold"
    assert f'aria-describedby="{field}-hint {field}-err"' in html
    assert 'name="month_days_threshold" value="23" class="ds-input" inputmode="numeric"' in html
    assert 'value="10,5"' in html  # the valid field keeps what was typed as well


# --- the early warning before the leadership ----------------------------------------------


EARLY_WARNING_ERROR = (
    "Det tidlige varselet må komme før ledelsen varsles ved {days} dager. "
    "Sett en lavere grense her, eller en høyere for ledelsen."
)


@pytest.mark.parametrize(("notice", "leadership"), [("8", "8"), ("9", "8")])
def test_early_warning_at_or_above_the_leadership_is_refused(
    client_for, municipal_admin, municipality, notice, leadership
):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(year_days_notice_threshold=notice, year_days_leadership_threshold=leadership),
    )
    message = EARLY_WARNING_ERROR.format(days=leadership)
    assert_refused(response, municipality, "year_days_notice_threshold", message, notice)
    assert 'id="id_year_days_leadership_threshold-err"' not in html_of(response)


def test_leadership_at_one_day_leaves_no_room_for_the_early_warning(
    client_for, municipal_admin, municipality
):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(year_days_notice_threshold="1", year_days_leadership_threshold="1"),
    )
    message = (
        "Det tidlige varselet må komme før ledelsen varsles ved 1 dag. "
        "Sett en lavere grense her, eller en høyere for ledelsen."
    )
    assert_refused(response, municipality, "year_days_notice_threshold", message, "1")


def test_early_warning_one_day_before_the_leadership_is_saved(
    client_for, municipal_admin, municipality
):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(year_days_notice_threshold="7", year_days_leadership_threshold="8"),
    )
    assert response.status_code == 302
    assert threshold_now(municipality, "year_days_notice") == 7


@pytest.mark.parametrize("off", ["year_days_notice", "year_days_leadership"])
def test_early_warning_order_is_free_while_either_rule_is_off(
    client_for, municipal_admin, municipality, off
):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(
            year_days_notice_threshold="10",
            year_days_leadership_threshold="8",
            **{f"{off}_enabled": None},
        ),
    )
    assert response.status_code == 302
    assert threshold_now(municipality, "year_days_notice") == 10


def test_switching_both_on_again_checks_the_order(client_for, municipal_admin, municipality):
    client = client_for(municipal_admin)
    client.post(
        rules_url(municipality),
        settings_post(year_days_leadership_enabled=None, year_days_notice_threshold="10"),
    )
    response = client.post(rules_url(municipality), settings_post(year_days_notice_threshold="10"))
    assert response.status_code == 200
    html = html_of(response)
    assert field_error(html, "year_days_notice_threshold") == EARLY_WARNING_ERROR.format(days=8)
    configs = rule_configs([municipality.pk])[municipality.pk]
    assert not configs["year_days_leadership"].enabled  # still off: nothing saved


@pytest.mark.parametrize(
    ("rule", "refused", "allowed"),
    [
        ("year_days_notice", Decimal(0), Decimal(1)),
        ("fortnight_share", Decimal(100), Decimal(99)),
        ("pattern_alternate_week", Decimal(5), Decimal(4)),
        ("month_days", Decimal("3.5"), Decimal(4)),  # whole days
        ("fortnight_share", Decimal("99.5"), Decimal("24.5")),
    ],
)
def test_the_action_holds_the_ranges_for_every_caller(
    municipality, municipal_admin, rule, refused, allowed
):
    from fravaer.actions import RuleSettingError, change_rule_setting

    with pytest.raises(RuleSettingError) as error:
        change_rule_setting(
            municipality, rule=rule, enabled=True, threshold=refused, by=municipal_admin
        )
    assert error.value.code == "rule_threshold"
    assert not RuleSetting.objects.filter(rule=rule).exists()
    change_rule_setting(
        municipality, rule=rule, enabled=True, threshold=allowed, by=municipal_admin
    )
    assert rule_configs([municipality.pk])[municipality.pk][rule].threshold == allowed


def test_the_rule_without_a_threshold_can_be_switched_off_and_on(
    client_for, municipal_admin, municipality
):
    client = client_for(municipal_admin)
    response = client.post(rules_url(municipality), settings_post(undocumented_enabled=None))
    assert response.status_code == 302
    assert not rule_configs([municipality.pk])[municipality.pk]["undocumented"].enabled
    response = client.post(rules_url(municipality), settings_post())
    assert response.status_code == 302
    assert rule_configs([municipality.pk])[municipality.pk]["undocumented"].enabled


def test_the_action_keeps_the_early_warning_before_the_leaderships(municipality, municipal_admin):
    from fravaer.actions import RuleSettingError, change_rule_setting, change_rule_settings

    with pytest.raises(RuleSettingError) as error:
        change_rule_setting(
            municipality,
            rule="year_days_notice",
            enabled=True,
            threshold=Decimal(12),
            by=municipal_admin,
        )
    assert error.value.code == "rule_order"
    assert not RuleSetting.objects.exists() and not RuleSettingChange.objects.exists()
    # Both raised at once: judged on where they end, not one by one.
    change_rule_settings(
        municipality,
        [("year_days_notice", True, Decimal(12)), ("year_days_leadership", True, Decimal(15))],
        by=municipal_admin,
    )
    assert threshold_now(municipality, "year_days_notice") == 12
    # With the leadership's rule off there is no order to keep.
    change_rule_settings(
        municipality,
        [("year_days_leadership", False, Decimal(15)), ("year_days_notice", True, Decimal(20))],
        by=municipal_admin,
    )
    assert threshold_now(municipality, "year_days_notice") == 20


def test_a_threshold_saved_before_the_ranges_may_stay_until_it_is_changed(
    client_for, municipal_admin, municipality
):
    saved_before_the_ranges(municipality, municipal_admin)
    client = client_for(municipal_admin)
    page = html_of(client.get(rules_url(municipality)))
    assert "Grensen som gjelder nå, er utenfor dette" in page
    # Another rule changes; the old value is kept, and switching its rule off works.
    data = settings_post(month_days_threshold="4", pattern_alternate_week_threshold="5")
    assert client.post(rules_url(municipality), data).status_code == 302
    assert threshold_now(municipality, "month_days") == 4
    data["pattern_alternate_week_enabled"] = None
    data = {k: v for k, v in data.items() if v is not None}
    assert client.post(rules_url(municipality), data).status_code == 302
    assert not rule_configs([municipality.pk])[municipality.pk]["pattern_alternate_week"].enabled
    assert threshold_now(municipality, "pattern_alternate_week") == 5
    # Changed, it must come into the range.
    data["pattern_alternate_week_threshold"] = "6"
    response = client.post(rules_url(municipality), data)
    assert response.status_code == 200
    assert "Grensen må være et tall fra 2 til 4" in html_of(response)


@pytest.mark.parametrize(
    ("rule", "fraction", "fractional"),
    [
        ("year_days_notice", "7,5", False),
        ("month_late", "3,5", False),
        ("pattern_alternate_week", "2,5", False),
        ("fortnight_share", "25,5", True),
        ("fifteen_weeks_days", "10,25", True),
    ],
)
def test_only_a_share_and_day_equivalents_take_decimals(
    client_for, municipal_admin, municipality, rule, fraction, fractional
):
    response = post_threshold(client_for(municipal_admin), municipality, rule, fraction)
    if fractional:
        assert response.status_code == 302
        assert threshold_now(municipality, rule) == Decimal(fraction.replace(",", "."))
    else:
        assert response.status_code == 200
        message = field_error(html_of(response), f"{rule}_threshold")
        assert message == "Grensen må være et helt tall."
        assert not RuleSetting.objects.exists()
