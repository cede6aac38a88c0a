"""The contact teacher's week (issue #15, §2): who may see it, what it shows for a
week (absence, absence waiting for contact, new flags and patterns, registers not
taken, the cases' deadlines), other weeks, and a fixed number of queries.

The suite's today is Wednesday 18.11.2026: week 47, Monday 16.11 to Sunday 22.11."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions.deadlines import set_deadline
from cases.models import Deadline
from fravaer.models import NonSchoolDay, RegisterTaken
from fravaer.week import Week
from tests.cases.conftest import make_case
from tests.conftest import TODAY, make_pupil
from tests.factories import MONDAY, TUESDAY, absence, at, logged_elsewhere, make_flag
from tests.pages import html_of, post_data, query_count, register_url

WEEK_URL = reverse("week")


def week_of(response, group):
    return next(c for c in response.context["classes"] if c.group == group)


# --- the week itself ------------------------------------------------------------------


def test_a_week_runs_monday_to_sunday_and_is_named_by_its_iso_week():
    week = Week.of(TODAY)
    assert (week.monday, week.sunday) == (MONDAY, dt.date(2026, 11, 22))
    assert week.key == "2026-W47"
    assert Week.parse("2026-W47") == week
    assert Week.parse("2026-W01").monday == dt.date(2025, 12, 29)


@pytest.mark.parametrize("value", ["", "2026-47", "2026-W54", "2025-W53", "uke 47", "2026-W4"])
def test_a_week_that_does_not_parse_is_none(value):
    assert Week.parse(value) is None


# --- who sees it ------------------------------------------------------------------------


def test_the_week_requires_login(client):
    response = client.get(WEEK_URL)
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/")


@pytest.mark.parametrize("persona", ["subject_teacher", "leader", "team_member", "nurse"])
def test_the_week_is_404_for_anyone_who_is_no_contact_teacher(client_for, request, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(WEEK_URL).status_code == 404


def test_the_week_shows_only_the_users_own_classes(
    client_for, contact_teacher, group, pupil, other_pupil, outsider
):
    absence(pupil, MONDAY, contact_teacher)
    absence(other_pupil, MONDAY, outsider)
    response = client_for(contact_teacher).get(WEEK_URL)
    assert [c.group for c in response.context["classes"]] == [group]
    html = html_of(response)
    assert pupil.full_name in html and other_pupil.full_name not in html


def test_the_start_page_links_the_week(client_for, contact_teacher):
    assert WEEK_URL in html_of(client_for(contact_teacher).get(reverse("home")))


# --- what it shows ------------------------------------------------------------------------


def test_the_week_counts_days_lessons_and_late_arrivals_of_this_week_only(
    client_for, contact_teacher, group, pupil
):
    absence(pupil, MONDAY, contact_teacher, documented=True)
    absence(pupil, TUESDAY, contact_teacher, kind="lesson", lessons=2, documented=True)
    absence(pupil, TODAY, contact_teacher, kind="late", minutes_late=10)
    absence(pupil, MONDAY - dt.timedelta(days=7), contact_teacher)  # last week
    [row] = week_of(client_for(contact_teacher).get(WEEK_URL), group).absent
    assert (row.pupil, row.days, row.lessons, row.late, row.undocumented) == (pupil, 1, 2, 1, 1)


def test_another_week_shows_that_weeks_absence(client_for, contact_teacher, group, pupil):
    absence(pupil, MONDAY - dt.timedelta(days=7), contact_teacher, documented=True)
    response = client_for(contact_teacher).get(WEEK_URL + "?uke=2026-W46")
    assert response.context["week"] == Week(dt.date(2026, 11, 9))
    assert [r.days for r in week_of(response, group).absent] == [1]
    assert 'href="?uke=2026-W47"' in html_of(response)  # the next week, this one


def test_a_week_that_does_not_parse_says_so_and_shows_this_week(client_for, contact_teacher):
    response = client_for(contact_teacher).get(WEEK_URL + "?uke=47")
    assert response.status_code == 200
    assert response.context["week"] == Week.of(TODAY)
    assert "Ugyldig uke." in html_of(response)


def test_undocumented_absence_waits_for_contact_until_the_home_is_reached(
    client_for, contact_teacher, group, pupil
):
    earlier = absence(pupil, dt.date(2026, 11, 2), contact_teacher)
    monday = absence(pupil, MONDAY, contact_teacher)
    absence(pupil, TUESDAY, contact_teacher, documented=True)
    client = client_for(contact_teacher)
    awaiting = week_of(client.get(WEEK_URL), group).awaiting
    assert [r for _p, r in awaiting] == [monday, earlier]
    assert reverse("contact_log", args=[pupil.uuid]) in html_of(client.get(WEEK_URL))
    logged_elsewhere(pupil, contact_teacher, hour=9)
    assert week_of(client.get(WEEK_URL), group).awaiting == []


def test_the_weeks_new_flags_and_patterns_are_listed_apart(
    client_for, contact_teacher, group, pupil
):
    make_flag(pupil, "month_days", raised_at=at(6, MONDAY))
    make_flag(pupil, "month_hours", raised_at=at(6, TUESDAY))
    make_flag(pupil, "month_hours", raised_at=at(6, TODAY))
    make_flag(pupil, "pattern_weekday", raised_at=at(6, TODAY))
    make_flag(pupil, "year_days_notice", raised_at=at(6, MONDAY - dt.timedelta(days=1)))
    response = client_for(contact_teacher).get(WEEK_URL)
    entry = week_of(response, group)
    [flags] = entry.new_flags
    assert flags.rules == {"Dager i en måned": 1, "Timer i en måned": 2}
    [patterns] = entry.new_patterns
    assert patterns.rules == {"Mønster: samme ukedag": 1}
    html = html_of(response)
    assert "Timer i en måned (2)" in html
    assert "Dager i skoleåret (tidlig varsel)" not in html  # raised the Sunday before


def test_school_days_without_a_register_are_listed_up_to_today(client_for, contact_teacher, group):
    RegisterTaken.objects.create(group=group, date=MONDAY, taken_at=timezone.now())
    entry = week_of(client_for(contact_teacher).get(WEEK_URL), group)
    assert entry.missing_registers == [TUESDAY, TODAY]


def test_a_day_without_school_needs_no_register(client_for, contact_teacher, group, school):
    NonSchoolDay.objects.create(
        school=school, date=TUESDAY, kind="planning", name="Planleggingsdag"
    )
    entry = week_of(client_for(contact_teacher).get(WEEK_URL), group)
    assert entry.missing_registers == [MONDAY, TODAY]


def test_saving_the_register_with_nobody_absent_counts_as_taken(
    client_for, contact_teacher, group, pupil
):
    client = client_for(contact_teacher)
    page = client.get(register_url(group, TUESDAY))
    assert client.post(register_url(group, TUESDAY), post_data(page)).status_code == 302
    assert RegisterTaken.objects.filter(group=group, date=TUESDAY).exists()
    assert TUESDAY not in week_of(client.get(WEEK_URL), group).missing_registers


def test_the_cases_deadlines_this_week_and_next_are_shown(
    client_for, contact_teacher, group, pupil
):
    case = make_case(pupil, by=contact_teacher)
    now = timezone.now()
    set_deadline(case, Deadline.Kind.LEVEL1_MEETING, now=now, due=dt.date(2026, 11, 26), by=None)
    html = html_of(client_for(contact_teacher).get(WEEK_URL))
    assert "Frister i sakene dine" in html
    assert "neste uke, torsdag 26.11.2026" in html
    assert reverse("cases:case", args=[case.uuid]) in html


def test_a_deadline_after_next_week_is_not_shown(client_for, contact_teacher, group, pupil):
    case = make_case(pupil, by=contact_teacher)
    now = timezone.now()
    set_deadline(case, Deadline.Kind.LEVEL1_MEETING, now=now, due=dt.date(2026, 12, 10), by=None)
    html = html_of(client_for(contact_teacher).get(WEEK_URL))
    assert "10.12.2026" not in html
    assert "Ingen frister denne uka eller neste" in html


def test_the_weeks_queries_do_not_grow_with_pupils_absence_flags_or_classes(
    client_for, contact_teacher, group, pupil, school, school_year
):
    from tests.conftest import _assign, make_group

    client = client_for(contact_teacher)
    absence(pupil, MONDAY, contact_teacher)
    make_flag(pupil, "month_days", raised_at=at(6, MONDAY))
    few = query_count(client, WEEK_URL)
    second = _assign(
        contact_teacher, make_group(school, school_year, name="6B", grade=6), "contact"
    )
    assert second == contact_teacher
    for i in range(6):
        other = make_pupil(group, first=f"Elev{i}")
        absence(other, TUESDAY, contact_teacher)
        absence(other, MONDAY, contact_teacher, kind="late", minutes_late=5)
        make_flag(other, "month_hours", raised_at=at(7, TUESDAY))
        make_flag(other, "pattern_weekday", raised_at=at(7, TUESDAY))
    make_case(pupil, by=contact_teacher)
    assert query_count(client, WEEK_URL) == few


def test_each_class_links_its_comment_for_the_weeks_month(client_for, contact_teacher, group):
    response = client_for(contact_teacher).get(WEEK_URL)
    url = reverse("fravaer:class_comment", args=[group.pk, "2026-11"])
    assert week_of(response, group).comment_url == url
    assert f'href="{url}"' in html_of(response)
    assert "Kommentar for november" in html_of(response)


def test_each_class_also_links_the_comment_due_for_last_month(client_for, contact_teacher, group):
    """The first school day's notice asks for last month's comment, and the leaders'
    overview opens on last month: the week links that comment too."""
    response = client_for(contact_teacher).get(WEEK_URL)
    url = reverse("fravaer:class_comment", args=[group.pk, "2026-10"])
    assert week_of(response, group).due_comment_url == url
    assert f'href="{url}"' in html_of(response)
    assert "Kommentar for oktober" in html_of(response)


def test_a_week_that_has_not_begun_shows_this_week_with_a_message(client_for, contact_teacher):
    response = client_for(contact_teacher).get(WEEK_URL, {"uke": "2026-W49"})
    assert response.status_code == 200
    assert response.context["week"] == Week.of(TODAY)
    assert "Uka har ikke begynt ennå." in html_of(response)


def test_a_week_across_new_year_shows_both_years(client_for, contact_teacher):
    response = client_for(contact_teacher).get(WEEK_URL, {"uke": "2025-W01"})
    assert response.context["week"].monday == dt.date(2024, 12, 30)
    assert "30.12.2024–05.01.2025" in html_of(response)


def test_a_long_list_of_new_flags_folds_and_a_short_one_stays_open(
    client_for, contact_teacher, group
):
    """The week stays a phone screen or two: more than five pupils with new flags fold
    behind their heading (with the count); five or fewer stay open."""
    for i in range(2):
        make_flag(make_pupil(group, first=f"Kort{i}"), "month_hours", raised_at=at(7, TUESDAY))
    html = html_of(client_for(contact_teacher).get(WEEK_URL))
    assert '<details class="week-fold" open>' in html
    assert "(2 elever)" in html
    for i in range(4):
        make_flag(make_pupil(group, first=f"Lang{i}"), "month_hours", raised_at=at(7, TUESDAY))
    html = html_of(client_for(contact_teacher).get(WEEK_URL))
    assert '<details class="week-fold">' in html
    assert '<details class="week-fold" open>' not in html
    assert "(6 elever)" in html
