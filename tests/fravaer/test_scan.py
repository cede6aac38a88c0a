"""The engine end to end on the database: figures, flags, episodes, notifications."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fravaer.actions import change_rule_setting, log_contact, rule_configs, scan_absence
from fravaer.models import Flag, NonSchoolDay, Notification, RuleSetting
from fravaer.scan import Scope, load_figures
from tests.conftest import make_pupil
from tests.factories import absence, weekdays

TODAY = dt.date(2026, 11, 18)  # frozen "today", a Wednesday


def scan(school, as_of=TODAY):
    return scan_absence(Scope(school_ids=(school.pk,)), as_of=as_of)


def rules(result):
    return sorted(f.rule for f in result.new_flags)


@pytest.mark.parametrize(("late", "expected"), [(3, []), (4, ["month_late"])])
def test_month_late_boundary(school, pupil, contact_teacher, late, expected):
    for day in weekdays(dt.date(2026, 11, 2), late):
        absence(
            pupil, day, contact_teacher, kind="late", minutes_late=5, documented=True, code="other"
        )
    assert [r for r in rules(scan(school)) if r.startswith("month")] == expected


def test_past_month_is_flagged_when_scanned_later(school, pupil, contact_teacher):
    for day in weekdays(dt.date(2026, 9, 7), 4):
        absence(pupil, day, contact_teacher, documented=True)
    flags = [f for f in scan(school).new_flags if f.rule == "month_days"]
    assert [(f.period_key, f.value) for f in flags] == [("2026-09", Decimal("4.00"))]
    assert flags[0].explanation() == "4 dager i september 2026; grense: mer enn 3."


def test_second_scan_raises_nothing(school, pupil, contact_teacher):
    for day in weekdays(dt.date(2026, 11, 2), 5):
        absence(pupil, day, contact_teacher)
    assert scan(school).new_flags
    again = scan(school)
    assert again.new_flags == [] and again.notifications == 0


def test_scan_command_json_then_empty(school, pupil, contact_teacher):
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(pupil, day, contact_teacher, documented=True)
    out = StringIO()
    call_command("scan_absence", "--as-of", "2026-11-18", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    row = next(r for r in rows if r["rule"] == "month_days")
    assert row == {
        "pupil_id": pupil.pupil_id,
        "rule": "month_days",
        "period_start": "2026-11-01",
        "period_end": "2026-11-18",
        "value": 4.0,
        "threshold": 3.0,
    }
    out = StringIO()
    call_command("scan_absence", "--as-of", "2026-11-18", "--json", stdout=out)
    assert json.loads(out.getvalue()) == []


def _eight_school_day_fortnight(school):
    # 05.11–18.11 has 10 weekdays; close two so the window has 8 school days (40 lessons).
    for day in (dt.date(2026, 11, 5), dt.date(2026, 11, 6)):
        NonSchoolDay.objects.create(school=school, date=day, kind="planning", name="Plan")


def test_fortnight_share_exactly_25_percent_does_not_fire(school, pupil, contact_teacher):
    _eight_school_day_fortnight(school)
    for day in (dt.date(2026, 11, 16), dt.date(2026, 11, 17)):  # 10 of 40 lessons
        absence(pupil, day, contact_teacher, documented=True)
    assert "fortnight_share" not in rules(scan(school))


def test_fortnight_share_above_25_percent_fires(school, pupil, contact_teacher):
    _eight_school_day_fortnight(school)
    for day in (dt.date(2026, 11, 16), dt.date(2026, 11, 17)):
        absence(pupil, day, contact_teacher, documented=True)
    absence(
        pupil, dt.date(2026, 11, 18), contact_teacher, kind="lesson", lessons=1, documented=True
    )
    flag = next(f for f in scan(school).new_flags if f.rule == "fortnight_share")
    assert flag.value == Decimal("27.50")


@pytest.mark.parametrize(("days", "fires"), [(10, False), (11, True)])
def test_fifteen_weeks_ten_versus_eleven_days(school, pupil, contact_teacher, days, fires):
    for day in weekdays(dt.date(2026, 9, 1), days):
        absence(pupil, day, contact_teacher, documented=True)
    assert ("fifteen_weeks_days" in rules(scan(school))) is fires


def test_window_flag_is_one_episode_until_the_condition_is_false(school, pupil, contact_teacher):
    for day in weekdays(dt.date(2026, 11, 9), 8):  # 9.–18.11: 8 of 10 days absent
        absence(pupil, day, contact_teacher, documented=True)
    assert "fortnight_share" in rules(scan(school))
    assert "fortnight_share" not in rules(scan(school, as_of=dt.date(2026, 11, 19)))
    # A month later the window is clean: the episode closes.
    scan(school, as_of=dt.date(2026, 12, 18))
    assert not Flag.objects.filter(rule="fortnight_share", episode_open=True).exists()


def test_undocumented_flag_clears_when_the_home_is_contacted(school, pupil, contact_teacher):
    absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    flag = next(f for f in scan(school).new_flags if f.rule == "undocumented")
    assert flag.explanation().startswith("Udokumentert fravær 17.11.2026")
    common = {"channel": "phone", "summary": "x", "outcome": "clarified", "by": contact_teacher}
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC),
        counterpart="pupil",
        **common,
    )
    flag.refresh_from_db()
    assert flag.status == "active"  # talking to the pupil is not contact with the home
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 7, 15, tzinfo=dt.UTC),
        counterpart="guardian",
        **{**common, "outcome": "no_answer"},
    )
    flag.refresh_from_db()
    assert flag.status == "active"  # a call nobody answered is no contact either
    scan(school)  # nor for the scan
    flag.refresh_from_db()
    assert flag.status == "active"
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 7, 30, tzinfo=dt.UTC),
        counterpart="guardian",
        **{**common, "outcome": "follow_up"},  # a conversation, to be followed up
    )
    flag.refresh_from_db()
    assert flag.status == "cleared" and flag.cleared_at is not None
    # Settled, it no longer asks to contact the home (pupil page, case pages).
    assert flag.explanation() == "Udokumentert fravær 17.11.2026."
    assert not [f for f in scan(school).new_flags if f.rule == "undocumented"]


def test_an_unanswered_call_home_hands_the_absence_over_to_leaders_and_team(
    client_for,
    school,
    pupil,
    contact_teacher,
    leader,
    team_member,
    nurse,
    outsider,
    django_capture_on_commit_callbacks,
    eager_tasks,
):
    absence(pupil, dt.date(2026, 11, 16), contact_teacher)
    absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    scan(school)
    flags = list(Flag.objects.filter(rule="undocumented").order_by("period_start"))
    assert len(flags) == 2
    Notification.objects.all().delete()
    mail.outbox.clear()
    # Through the contact log page, as the contact teacher does it.
    with django_capture_on_commit_callbacks(execute=True):
        page = client_for(contact_teacher).post(
            reverse("contact_log", args=[pupil.uuid]),
            {
                "contacted_at": "17.11.2026 15:10",
                "channel": "phone",
                "counterpart": "guardian",
                "summary": "Ringte mor, ikke svar.",
                "outcome": "no_answer",
            },
            follow=True,
        )
    assert "Skolens ledelse og skolemiljøteam er varslet" in page.content.decode()
    for flag in flags:
        flag.refresh_from_db()
        assert flag.status == "active"  # handed over, not answered
        assert flag.explanation() == (
            f"Udokumentert fravær {flag.period_start:%d.%m.%Y}. Hjemmet svarte ikke da skolen "
            "tok kontakt 17.11.2026; ledelsen eller skolemiljøteamet følger opp til fraværet "
            "er avklart."
        )
    # One message each for the leaders and the team about both flags; nobody else.
    messages = {n.user: n.flag_ids for n in Notification.objects.all()}
    ids = sorted(f.pk for f in flags)
    assert messages == {leader: ids, team_member: ids}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([leader.email, team_member.email])
    assert all("Udokumentert" not in m.body for m in mail.outbox)  # no details by e-mail
    # Leaders see it in their inbox.
    inbox = client_for(leader).get(reverse("inbox")).content.decode()
    assert "Hjemmet svarte ikke da skolen tok kontakt 17.11.2026" in inbox
    # A second unanswered call tells nobody again; the text has the latest try.
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC),
        channel="phone",
        counterpart="both",
        summary="Ny prøve.",
        outcome="no_answer",
        by=contact_teacher,
    )
    assert Notification.objects.count() == 2
    flags[0].refresh_from_db()
    assert "tok kontakt 18.11.2026" in flags[0].explanation()
    # A record that comes in after that try (the absence imported later in the day) is
    # raised already handed over: the scan tells the leaders and the team as well as the
    # contact teacher, and its text says the home did not answer.
    Notification.objects.all().delete()
    absence(pupil, dt.date(2026, 11, 18), contact_teacher)
    later = next(f for f in scan(school).new_flags if f.rule == "undocumented")
    assert "Hjemmet svarte ikke da skolen tok kontakt 18.11.2026" in later.explanation()
    told = {n.user for n in Notification.objects.all() if later.pk in n.flag_ids}
    assert told == {contact_teacher, leader, team_member}
    # A further try nobody answers tells nobody again.
    Notification.objects.all().delete()
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 8, 0, tzinfo=dt.UTC),
        channel="phone",
        counterpart="guardian",
        summary="Prøvde igjen.",
        outcome="no_answer",
        by=contact_teacher,
    )
    assert not Notification.objects.exists()
    # Reaching the home answers them all.
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC),
        channel="phone",
        counterpart="guardian",
        summary="Mor: syk.",
        outcome="clarified",
        by=contact_teacher,
    )
    assert not Flag.objects.filter(rule="undocumented", status="active").exists()


def test_an_unanswered_call_to_the_pupil_hands_nothing_over(school, pupil, contact_teacher):
    absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    scan(school)
    Notification.objects.all().delete()
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC),
        channel="phone",
        counterpart="pupil",
        summary="x",
        outcome="no_answer",
        by=contact_teacher,
    )
    flag = Flag.objects.get(rule="undocumented")
    assert "no_answer_on" not in flag.details
    assert not Notification.objects.exists()


def test_flags_reach_the_right_people_and_no_one_else(
    school,
    pupil,
    contact_teacher,
    leader,
    team_member,
    nurse,
    ppt_advisor,
    outsider,
    subject_teacher,
):
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(
            pupil, day, contact_teacher, kind="late", minutes_late=5, documented=True, code="other"
        )
    mail.outbox.clear()
    with_callbacks = scan(school)
    month_late = next(f for f in with_callbacks.new_flags if f.rule == "month_late")
    assert reached(month_late) == {contact_teacher.pk, leader.pk}
    everyone = set(Notification.objects.values_list("user", flat=True))
    assert not everyone & {
        team_member.pk,
        nurse.pk,
        ppt_advisor.pk,
        outsider.pk,
        subject_teacher.pk,
    }


def test_window_rules_reach_the_team_not_the_leaders(
    school, pupil, contact_teacher, leader, team_member
):
    for day in weekdays(dt.date(2026, 11, 9), 8):
        absence(pupil, day, contact_teacher, documented=True)
    flag = next(f for f in scan(school).new_flags if f.rule == "fortnight_share")
    assert reached(flag) == {contact_teacher.pk, team_member.pk}


def reached(flag) -> set[int]:
    """The people whose inbox lists the flag."""
    return {n.user_id for n in Notification.objects.all() if flag.pk in n.flag_ids}


def test_a_scan_writes_one_message_per_person_listing_their_new_flags(
    school, pupil, contact_teacher, leader
):
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(
            pupil, day, contact_teacher, kind="late", minutes_late=5, documented=True, code="other"
        )
    for day in weekdays(dt.date(2026, 11, 9), 4):
        absence(pupil, day, contact_teacher, documented=True)
    result = scan(school)
    new = {f.pk for f in result.new_flags}
    assert len(new) >= 3
    messages = {n.user_id: n for n in Notification.objects.all()}
    assert set(messages) >= {contact_teacher.pk, leader.pk}
    assert result.notifications == len(messages)
    # The contact teacher hears of every new flag (each rule reaches them), once.
    assert sorted(messages[contact_teacher.pk].flag_ids) == sorted(new)
    assert messages[contact_teacher.pk].flag_ids == sorted(messages[contact_teacher.pk].flag_ids)
    # Leaders hear of the month rules, not the contact teacher's early notice.
    leader_rules = set(
        Flag.objects.filter(pk__in=messages[leader.pk].flag_ids).values_list("rule", flat=True)
    )
    assert "month_late" in leader_rules and "year_days_notice" not in leader_rules


def test_notification_email_has_a_link_and_no_pupil_details(
    school, pupil, contact_teacher, django_capture_on_commit_callbacks, eager_tasks
):
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(pupil, day, contact_teacher, documented=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        scan(school)
    assert [m.to for m in mail.outbox] == [[contact_teacher.email]]
    body = mail.outbox[0].body
    assert reverse("inbox") in body
    assert pupil.first_name not in body and pupil.last_name not in body
    assert "Sykdom" not in body and "dager" not in body


def test_the_email_task_gets_ids_and_counts_only_after_the_commit(
    school, pupil, contact_teacher, leader, django_capture_on_commit_callbacks, monkeypatch
):
    from fravaer.actions import outbox

    jobs = []

    def broker(task, args) -> bool:  # takes the outbox row's task after the commit
        jobs.append((task.name, args))
        return True

    monkeypatch.setattr(outbox, "hand_over", broker)
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(pupil, day, contact_teacher, documented=True)
    jobs.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = scan(school)
    assert jobs == []  # not before the commit
    for callback in callbacks:
        callback()
    new = {f.rule for f in result.new_flags}
    assert new == {"month_days", "year_days_notice"}
    # The arguments go through the broker: people's ids and how many flags, nothing more.
    assert jobs == [
        ("fravaer.tasks.send_inbox_emails", [{str(contact_teacher.pk): 2, str(leader.pk): 1}])
    ]


def test_rule_settings_turn_rules_off_and_change_thresholds(
    school, pupil, contact_teacher, municipal_admin
):
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(pupil, day, contact_teacher, documented=True)
    municipality = school.municipality
    change_rule_setting(
        municipality, rule="month_days", enabled=False, threshold=Decimal(3), by=municipal_admin
    )
    change_rule_setting(
        municipality,
        rule="year_days_notice",
        enabled=True,
        threshold=Decimal(5),
        by=municipal_admin,
    )
    found = rules(scan(school))
    assert "month_days" not in found and "year_days_notice" not in found
    assert municipality.rule_setting_changes.count() == 2


def test_saving_absence_rescans_the_pupil_after_commit(
    client_for, contact_teacher, group, pupil, django_capture_on_commit_callbacks, eager_tasks
):
    client = client_for(contact_teacher)
    url = reverse("pupil_add_record", args=[pupil.uuid])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"date": "2026-11-17", "kind": "day"})
    assert Flag.objects.filter(pupil=pupil, rule="undocumented").exists()


def test_scan_statements_do_not_grow_with_pupils(school, group, contact_teacher):
    counts = []
    for extra in (3, 20):
        for i in range(extra):
            p = make_pupil(group, first=f"N{extra}-{i}")
            for day in weekdays(dt.date(2026, 11, 2), 4):
                absence(p, day, contact_teacher, documented=True)
        with CaptureQueriesContext(connection) as ctx:
            scan(school)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_scan_of_an_empty_scope_raises_nothing(db):
    assert scan_absence(Scope(school_ids=()), as_of=TODAY).new_flags == []


HANDLED = []


def record_new_flags(flags, *, now):
    HANDLED.append((sorted(flags.values_list("rule", flat=True)), now, connection.in_atomic_block))


def test_flag_raised_handlers_get_exactly_the_new_flags_inside_the_scan(
    settings, school, pupil, contact_teacher
):
    settings.EVENT_HANDLERS = {"flags_raised": ["tests.fravaer.test_scan.record_new_flags"]}
    HANDLED.clear()
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(pupil, day, contact_teacher, documented=True)
    now = dt.datetime(2026, 11, 18, 5, 0, tzinfo=dt.UTC)
    result = scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY, now=now)
    assert [(sorted(f.rule for f in result.new_flags), now, True)] == HANDLED
    assert result.raised == len(result.new_flags) > 0
    scan(school)  # nothing new: no call
    assert len(HANDLED) == 1


def test_scan_evaluates_no_pupil_below_every_bound(school, group, pupil, contact_teacher):
    quiet = make_pupil(group, first="Quiet")
    absence(quiet, dt.date(2026, 11, 16), contact_teacher, documented=True)  # one day
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(pupil, day, contact_teacher, documented=True)
    data = load_figures(Scope(school_ids=(school.pk,)), TODAY, rule_configs)
    assert quiet.pk in data.places and quiet.pk not in data.figures
    assert "month_days" in data.rules[pupil.pk]


def test_a_threshold_of_zero_reaches_pupils_without_absence(
    school, group, pupil, contact_teacher, municipal_admin
):
    """The settings no longer accept 0 on an "at least" rule, but a setting saved
    before the ranges (or written by hand) must still be honoured exactly."""
    without_absence = make_pupil(group, first="Present")
    RuleSetting.objects.create(
        municipality=school.municipality,
        rule="year_days_notice",
        enabled=True,
        threshold=Decimal(0),
        updated_by=municipal_admin,
        updated_at=timezone.now(),
    )
    flagged = {f.pupil_id for f in scan(school).new_flags if f.rule == "year_days_notice"}
    assert {pupil.pk, without_absence.pk} <= flagged
