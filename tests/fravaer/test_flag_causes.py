"""A cleared flag keeps why it was cleared, and the pages say that cause, never a
contact with the home that did not happen; the contact page lists only the
undocumented absence still waiting for the home."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fravaer.actions import (
    AbsenceInput,
    acknowledge_flag,
    apply_absence_changes,
    change_rule_setting,
    log_contact,
    scan_absence,
)
from fravaer.models import AbsenceReason, AbsenceRecord, Flag, Notification
from fravaer.scan import Scope
from tests.conftest import make_pupil
from tests.factories import (
    CONTACT,
    MONDAY,
    TUESDAY,
    absence,
    acknowledged_flag,
    at,
    cleared_flag,
    logged_elsewhere,
    make_flag,
    scan,
    undocumented_flag,
)
from tests.pages import flag_updates, past_flags_html

TODAY = dt.date(2026, 11, 18)  # frozen "today", a Wednesday


# --- the cause kept on the flag ---------------------------------------------------------


def test_removing_the_record_clears_the_flag_as_removed_by_the_remover(
    client_for, school, contact_teacher, pupil, django_capture_on_commit_callbacks, eager_tasks
):
    client = client_for(contact_teacher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("pupil_add_record", args=[pupil.uuid]), {"date": "2026-11-17", "kind": "day"}
        )
    flag = Flag.objects.get(pupil=pupil, rule="undocumented")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("record_remove", args=[pupil.uuid, flag.record_id]))
    flag.refresh_from_db()
    assert flag.status == Flag.Status.CLEARED
    assert flag.cleared_cause == Flag.Cause.REMOVED
    assert flag.cleared_by_id == contact_teacher.pk
    past = past_flags_html(client, pupil)
    assert f"Avklart 18.11.2026: {contact_teacher} fjernet registreringen." in past
    assert "Kontakt med hjemmet" not in past and "kontakt med hjemmet" not in past


def test_correcting_the_record_to_documented_clears_the_flag_as_documented(
    client_for, school, contact_teacher, pupil, django_capture_on_commit_callbacks, eager_tasks
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    client = client_for(contact_teacher)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("record_edit", args=[pupil.uuid, record.pk]),
            {"kind": "day", "documented": "on", "reason": "illness"},
        )
    flag = undocumented_flag(pupil, record)
    assert (flag.status, flag.cleared_cause) == (Flag.Status.CLEARED, Flag.Cause.DOCUMENTED)
    assert flag.cleared_by_id == contact_teacher.pk
    past = past_flags_html(client, pupil)
    assert f"Avklart 18.11.2026: {contact_teacher} endret fraværet til dokumentert." in past


def test_the_cause_names_who_removed_the_record_not_who_registered_it(
    school, contact_teacher, leader, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    apply_absence_changes(removals=[record], by=leader, rescan=False)
    scan(school)
    assert undocumented_flag(pupil, record).cleared_by_id == leader.pk


def test_a_contact_with_the_home_clears_the_flag_as_contact_by_who_logged_it(
    client_for, school, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    log_contact(pupil, contacted_at=at(8), counterpart="guardian", by=contact_teacher, **CONTACT)
    flag = undocumented_flag(pupil, record)
    assert (flag.cleared_cause, flag.cleared_by_id) == (Flag.Cause.CONTACT, contact_teacher.pk)
    past = past_flags_html(client_for(contact_teacher), pupil)
    assert f"Avklart 18.11.2026: {contact_teacher} logget kontakt med hjemmet." in past


def test_the_scan_reads_a_contact_logged_elsewhere_as_the_cause(school, contact_teacher, pupil):
    # A contact written without `log_contact` (an import, the admin) is found by the
    # scan's own rule, and the scan says so.
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    logged_elsewhere(pupil, contact_teacher, 8, counterpart="both")
    assert scan(school).cleared == 1
    flag = undocumented_flag(pupil, record)
    assert (flag.cleared_cause, flag.cleared_by_id) == (Flag.Cause.CONTACT, contact_teacher.pk)


def test_switching_the_rule_off_clears_the_flag_without_claiming_a_contact(
    client_for, school, municipality, municipal_admin, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    change_rule_setting(
        municipality, rule="undocumented", enabled=False, threshold=Decimal(0), by=municipal_admin
    )
    scan(school)
    flag = undocumented_flag(pupil, record)
    assert (flag.cleared_cause, flag.cleared_by_id) == (Flag.Cause.NO_LONGER, None)
    past = past_flags_html(client_for(contact_teacher), pupil)
    assert "Avklart 18.11.2026: regelen gjelder ikke lenger for dette fraværet." in past
    assert "ontakt med hjemmet" not in past


def test_one_scan_clears_many_flags_in_one_update_each_with_its_own_cause(
    school, group, contact_teacher, leader, pupil
):
    other = make_pupil(group, first="Kari")
    removed = absence(pupil, TUESDAY, contact_teacher)
    kept = absence(other, TUESDAY, contact_teacher)
    also_removed = absence(pupil, MONDAY, contact_teacher)
    scan(school)
    illness = AbsenceReason.objects.get(municipality=pupil.municipality, code="illness")
    apply_absence_changes(
        updates=[(kept, AbsenceInput("day", True, illness))],
        removals=[removed, also_removed],
        by=leader,
        rescan=False,
    )
    with CaptureQueriesContext(connection) as ctx:
        assert scan(school).cleared == 3
    assert len(flag_updates(ctx)) == 1
    causes = {
        f.record_id: (f.cleared_cause, f.cleared_by_id)
        for f in Flag.objects.filter(rule="undocumented")
    }
    assert causes == {
        removed.pk: (Flag.Cause.REMOVED, leader.pk),
        also_removed.pk: (Flag.Cause.REMOVED, leader.pk),
        kept.pk: (Flag.Cause.DOCUMENTED, leader.pk),
    }


def test_clearing_keeps_the_flags_own_details(school, contact_teacher, pupil):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    log_contact(
        pupil,
        contacted_at=at(7),
        counterpart="guardian",
        by=contact_teacher,
        **{**CONTACT, "outcome": "no_answer"},
    )
    log_contact(pupil, contacted_at=at(9), counterpart="guardian", by=contact_teacher, **CONTACT)
    details = undocumented_flag(pupil, record).details
    assert details["no_answer_on"] == "2026-11-18"
    assert details["cleared_cause"] == "contact"


# --- the pages ----------------------------------------------------------------------------


def test_a_flag_cleared_before_causes_were_kept_says_only_when(client_for, contact_teacher, pupil):
    cleared_flag(pupil)
    past = past_flags_html(client_for(contact_teacher), pupil)
    assert "Avklart 18.11.2026." in past
    assert "ontakt med hjemmet" not in past


def test_an_acknowledged_flag_still_says_who_and_why(client_for, contact_teacher, leader, pupil):
    acknowledged_flag(pupil, by=leader, reason="Influensa")
    past = past_flags_html(client_for(contact_teacher), pupil)
    assert f"{leader}, 18.11.2026: «Influensa»" in past
    assert "Avklart" not in past


def test_the_pupil_page_loads_who_cleared_flags_in_one_query(
    client_for, contact_teacher, leader, team_member, pupil
):
    def cleared_by(user, key):
        cleared_flag(pupil, "removed", by=user, period_key=key)

    client = client_for(contact_teacher)
    url = reverse("pupil", args=[pupil.uuid])
    cleared_by(leader, "record:1")
    client.get(url)  # the unread count is cached from the first page on
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    cleared_by(team_member, "record:2")
    cleared_by(contact_teacher, "record:3")
    with CaptureQueriesContext(connection) as three:
        html = client.get(url).content.decode()
    assert len(three.captured_queries) == len(one.captured_queries)
    for user in (leader, team_member, contact_teacher):
        assert f"{user} fjernet registreringen." in html


def _message_with(user, flag) -> None:
    Notification.objects.create(user=user, flag_ids=[flag.pk], created_at=timezone.now())


def test_the_inbox_line_says_what_cleared_the_flag(client_for, contact_teacher, pupil):
    flag = cleared_flag(pupil, "removed", by=contact_teacher)
    _message_with(contact_teacher, flag)
    html = client_for(contact_teacher).get(reverse("inbox")).content.decode()
    assert "– Avklart 18.11.2026: registreringen ble fjernet." in html
    assert "(avklart)" not in html


def test_the_inbox_line_of_an_old_cleared_flag_claims_no_contact(
    client_for, contact_teacher, pupil
):
    flag = cleared_flag(pupil)
    _message_with(contact_teacher, flag)
    html = client_for(contact_teacher).get(reverse("inbox")).content.decode()
    assert "– Avklart 18.11.2026." in html
    assert "ontakt med hjemmet er logget" not in html


def test_the_inbox_line_hides_the_cause_of_a_pupil_no_longer_visible(
    client_for, contact_teacher, outsider, pupil
):
    flag = cleared_flag(pupil, "removed", by=contact_teacher)
    _message_with(outsider, flag)
    html = client_for(outsider).get(reverse("inbox")).content.decode()
    assert "(avklart)" in html
    assert "registreringen ble fjernet" not in html


# --- the contact page -------------------------------------------------------------------


def awaiting(client, pupil) -> list:
    return client.get(reverse("contact_log", args=[pupil.uuid])).context["awaiting"]


def test_the_contact_page_lists_undocumented_absence_until_the_home_is_reached(
    client_for, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    absence(pupil, MONDAY, contact_teacher, documented=True)
    client = client_for(contact_teacher)
    url = reverse("contact_log", args=[pupil.uuid])
    assert awaiting(client, pupil) == [record]
    assert "venter på kontakt med hjemmet" in client.get(url).content.decode()
    client.post(
        url,
        {
            "contacted_at": "2026-11-18T09:00",
            "channel": "phone",
            "counterpart": "guardian",
            "outcome": "clarified",
            "summary": "Mor bekreftet sykdom",
        },
    )
    assert awaiting(client, pupil) == []
    assert "venter på kontakt med hjemmet" not in client.get(url).content.decode()


def test_the_contact_page_still_lists_absence_the_home_has_not_answered(
    client_for, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    log_contact(pupil, contacted_at=at(8), counterpart="pupil", by=contact_teacher, **CONTACT)
    log_contact(
        pupil,
        contacted_at=at(9),
        counterpart="guardian",
        by=contact_teacher,
        **{**CONTACT, "outcome": "no_answer"},
    )
    # A contact before the absence does not answer it.
    log_contact(
        pupil, contacted_at=at(9, MONDAY), counterpart="guardian", by=contact_teacher, **CONTACT
    )
    assert awaiting(client_for(contact_teacher), pupil) == [record]


def test_the_contact_page_leaves_out_absence_whose_flag_was_acknowledged(
    client_for, school, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    acknowledge_flag(undocumented_flag(pupil, record), by=contact_teacher, reason="Avklart i møte")
    assert awaiting(client_for(contact_teacher), pupil) == []


def test_the_contact_page_queries_do_not_grow_with_the_absence(client_for, contact_teacher, pupil):
    client = client_for(contact_teacher)
    url = reverse("contact_log", args=[pupil.uuid])
    absence(pupil, TUESDAY, contact_teacher)
    client.get(url)  # the unread count is cached from the first page on
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for day in (dt.date(2026, 11, 9), dt.date(2026, 11, 10), dt.date(2026, 11, 11), MONDAY):
        absence(pupil, day, contact_teacher)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert len(response.context["awaiting"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# --- a cleared flag that fires again ----------------------------------------------------


def test_a_record_corrected_back_to_undocumented_makes_its_flag_active_again(
    client_for, school, contact_teacher, pupil, django_capture_on_commit_callbacks, eager_tasks
):
    """A slip (ticked "dokumentert", then unticked) must not leave undocumented absence
    unnoticed: the cleared flag is active again, raised now, and the contact teacher
    is told again; a rescan changes nothing more."""
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    client = client_for(contact_teacher)
    edit = reverse("record_edit", args=[pupil.uuid, record.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, {"kind": "day", "documented": "on", "reason": "illness"})
    flag = undocumented_flag(pupil, record)
    assert flag.status == Flag.Status.CLEARED
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, {"kind": "day", "reason": "unknown"})
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE and flag.cleared_at is None
    assert flag.cleared_cause == ""
    assert [n.flag_ids for n in Notification.objects.filter(user=contact_teacher)] == [[flag.pk]]
    # The start page shows it again; the scan raised nothing new besides it.
    assert "Udokumentert fravær 17.11.2026" in client.get(reverse("home")).content.decode()
    assert Flag.objects.filter(pupil=pupil, rule="undocumented").count() == 1
    again = scan(school)
    assert (again.raised, again.reactivated, list(again.flags)) == (0, 0, [])


def test_switching_the_rule_on_again_reactivates_the_flags_it_cleared(
    school, municipality, municipal_admin, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    for enabled in (False, True):
        change_rule_setting(
            municipality,
            rule="undocumented",
            enabled=enabled,
            threshold=Decimal(0),
            by=municipal_admin,
        )
        result = scan(school)
    flag = undocumented_flag(pupil, record)
    assert flag.status == Flag.Status.ACTIVE
    assert (result.raised, result.reactivated) == (0, 1)
    assert list(result.flags) == [flag]


def test_an_acknowledged_flag_is_not_reactivated(school, contact_teacher, pupil):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    acknowledge_flag(undocumented_flag(pupil, record), by=contact_teacher, reason="Avklart muntlig")
    result = scan(school)
    assert undocumented_flag(pupil, record).status == Flag.Status.ACKNOWLEDGED
    assert (result.raised, result.reactivated) == (0, 0)


def _rule(municipality, admin, enabled: bool) -> None:
    change_rule_setting(
        municipality, rule="undocumented", enabled=enabled, threshold=Decimal(0), by=admin
    )


def test_a_reactivated_flag_attaches_to_the_pupils_open_case(
    school, municipality, municipal_admin, contact_teacher, pupil
):
    from cases.models import CaseFlag
    from tests.cases.conftest import make_case

    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    _rule(municipality, municipal_admin, False)
    scan(school)  # cleared: the rule no longer applies
    case = make_case(pupil, by=contact_teacher)
    flag = undocumented_flag(pupil, record)
    assert not CaseFlag.objects.filter(case=case, flag=flag).exists()
    _rule(municipality, municipal_admin, True)
    result = scan(school)
    assert (result.raised, result.reactivated) == (0, 1)
    assert CaseFlag.objects.filter(case=case, flag=flag).exists()


def test_a_reactivated_flag_is_handed_over_after_a_call_nobody_answered_meanwhile(
    school, municipality, municipal_admin, contact_teacher, leader, team_member, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    _rule(municipality, municipal_admin, False)
    scan(school)
    # While the flag was cleared, the school tried the home and nobody answered.
    log_contact(
        pupil,
        contacted_at=at(9),
        channel="phone",
        counterpart="guardian",
        summary="Ingen svar.",
        outcome="no_answer",
        by=contact_teacher,
    )
    Notification.objects.all().delete()
    _rule(municipality, municipal_admin, True)
    scan(school)
    flag = undocumented_flag(pupil, record)
    assert flag.status == Flag.Status.ACTIVE
    assert flag.details == {"no_answer_on": TODAY.isoformat()}  # the cause went too
    assert "Hjemmet svarte ikke da skolen tok kontakt 18.11.2026" in flag.explanation()
    told = {n.user for n in Notification.objects.all() if flag.pk in n.flag_ids}
    assert told == {contact_teacher, leader, team_member}


def test_a_stale_hand_over_does_not_come_back_with_the_flag(
    school, municipality, municipal_admin, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    flag = undocumented_flag(pupil, record)
    Flag.objects.filter(pk=flag.pk).update(
        status=Flag.Status.CLEARED,
        cleared_at=at(8),
        details={"no_answer_on": "2026-11-10", "cleared_cause": "no_longer"},
    )
    scan(school)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE and flag.details == {}
    assert "ingen kontakt med hjemmet er logget" in flag.explanation()
    assert "svarte ikke" not in flag.explanation()


def test_the_scan_never_clears_a_flag_acknowledged_while_it_ran(
    school, contact_teacher, pupil, monkeypatch
):
    """The scan reads the active flags first and clears those that no longer fire at
    the end; one acknowledged in between keeps its acknowledgement."""
    from fravaer.actions.scan_writes import ScanWrites

    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    flag = undocumented_flag(pupil, record)
    log_contact(pupil, contacted_at=at(9), counterpart="guardian", by=contact_teacher, **CONTACT)
    Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.ACTIVE, cleared_at=None)
    write_slice = ScanWrites.write_slice

    def acknowledged_meanwhile(self, **kwargs):
        assert flag.pk in kwargs["stale"]
        acknowledge_flag(flag, by=contact_teacher, reason="Avklart i telefon")
        return write_slice(self, **kwargs)

    monkeypatch.setattr(ScanWrites, "write_slice", acknowledged_meanwhile)
    result = scan(school)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledgement == "Avklart i telefon"
    assert result.cleared == 0


# --- a school year's and a month's flags follow their figures ----------------------------


NOVEMBER_DAYS = [dt.date(2026, 11, d) for d in (2, 3, 4, 5)]  # Monday to Thursday


def november_days(pupil, by, days=NOVEMBER_DAYS):
    return [absence(pupil, day, by, documented=True, code="leave") for day in days]


def month_flag_then_rescan(school, pupil, by, admin, *, enabled=True, threshold=3) -> None:
    """4 whole days in November raise `month_days`; then the municipality changes the
    rule and the school is scanned again."""
    november_days(pupil, by)
    scan(school)
    change_rule_setting(
        pupil.municipality,
        rule="month_days",
        enabled=enabled,
        threshold=Decimal(threshold),
        by=admin,
    )
    scan(school)


def month_flag(pupil) -> Flag:
    return Flag.objects.get(pupil=pupil, rule="month_days", period_key="2026-11")


def test_a_months_flag_below_the_threshold_again_is_cleared_and_fires_again(
    client_for, school, contact_teacher, pupil
):
    """4 whole days in November fire `month_days` (more than 3). A day removed as a
    mistake leaves 3: the next scan clears the flag, which says so; the day registered
    again brings the same flag back, active, announced, with the figures of now."""
    records = november_days(pupil, contact_teacher)
    scan(school)
    flag = month_flag(pupil)
    assert (flag.status, flag.value) == (Flag.Status.ACTIVE, 4)
    apply_absence_changes(removals=[records[-1]], by=contact_teacher, rescan=False)
    result = scan(school)
    flag.refresh_from_db()
    assert (flag.status, flag.cleared_cause, result.cleared) == (
        Flag.Status.CLEARED,
        Flag.Cause.BELOW,
        2,  # and the year's (4 whole days: `year_days_notice`), below
    )
    html = past_flags_html(client_for(contact_teacher), pupil)
    assert "fraværet når ikke lenger grensen" in html
    # The year's flag (4 whole days: `year_days_notice`) went with it.
    notice = Flag.objects.get(pupil=pupil, rule="year_days_notice")
    assert notice.status == Flag.Status.CLEARED
    Notification.objects.all().delete()
    november_days(pupil, contact_teacher, [dt.date(2026, 11, 6), dt.date(2026, 11, 9)])
    result = scan(school)
    flag.refresh_from_db()
    assert (flag.status, flag.value, flag.cleared_at) == (Flag.Status.ACTIVE, 5, None)
    assert result.raised == 0 and result.reactivated == 2
    assert Notification.objects.filter(user=contact_teacher).exists()
    again = scan(school)
    assert (again.raised, again.reactivated, again.cleared) == (0, 0, 0)


def test_a_months_flag_whose_rule_is_switched_off_is_cleared_as_such(
    school, municipal_admin, contact_teacher, pupil
):
    month_flag_then_rescan(school, pupil, contact_teacher, municipal_admin, enabled=False)
    flag = month_flag(pupil)
    assert (flag.status, flag.cleared_cause) == (Flag.Status.CLEARED, Flag.Cause.RULE_OFF)
    assert flag.cleared_text().endswith("kommunen har slått av regelen.")
    # The year's rules are still on: their flags stay.
    assert Flag.objects.get(pupil=pupil, rule="year_days_notice").status == Flag.Status.ACTIVE


def test_a_raised_threshold_clears_the_flags_below_it(
    school, municipal_admin, contact_teacher, pupil
):
    month_flag_then_rescan(school, pupil, contact_teacher, municipal_admin, threshold=4)
    assert (month_flag(pupil).status, month_flag(pupil).cleared_cause) == (
        Flag.Status.CLEARED,
        Flag.Cause.BELOW,
    )


def test_an_acknowledged_months_flag_stays_acknowledged(school, contact_teacher, pupil):
    records = november_days(pupil, contact_teacher)
    scan(school)
    acknowledge_flag(month_flag(pupil), by=contact_teacher, reason="Influensa, avklart")
    apply_absence_changes(removals=records[:2], by=contact_teacher, rescan=False)
    scan(school)
    assert month_flag(pupil).status == Flag.Status.ACKNOWLEDGED


def test_last_school_years_flags_are_left_as_they_are(school, contact_teacher, pupil):
    """The scan evaluates this school year; a flag of an earlier one is history."""
    old = make_flag(
        pupil,
        "month_days",
        period_key="2026-05",
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
    )
    scan(school)
    old.refresh_from_db()
    assert old.status == Flag.Status.ACTIVE


def test_clearing_and_bringing_back_period_flags_costs_the_same_statements_for_more_pupils(
    school, group, contact_teacher, pupil
):
    """The flags below the threshold are cleared in one UPDATE, and those that fire
    again come back in one (PostgreSQL) or one per distinct figures (SQLite)."""

    def statements_for(pupils) -> tuple[int, int]:
        records = [november_days(p, contact_teacher) for p in pupils]
        scan(school)
        for rows in records:
            apply_absence_changes(removals=rows[-1:], by=contact_teacher, rescan=False)
        with CaptureQueriesContext(connection) as clearing:
            assert scan(school).cleared == 2 * len(pupils)
        for p in pupils:
            november_days(p, contact_teacher, [dt.date(2026, 11, 6)])
        with CaptureQueriesContext(connection) as back:
            assert scan(school).reactivated == 2 * len(pupils)
        return len(clearing.captured_queries), len(back.captured_queries)

    few = statements_for([pupil])
    many = statements_for([make_pupil(group) for _ in range(5)])
    assert many == few


def test_a_flag_that_fires_again_goes_to_the_pupils_school_of_today(
    school, other_school, group, other_group, contact_teacher, pupil
):
    """November's flag was raised at the first school. The pupil moves; a record is
    corrected (the flag is cleared), then the new school registers a day: the flag
    comes back in the new school and class, announced to the new contact teacher."""
    from fravaer.access import overview_flags
    from fravaer.models import Enrollment
    from tests.conftest import _assign, make_user

    records = november_days(pupil, contact_teacher)
    scan(school)
    flag = month_flag(pupil)
    Enrollment.objects.filter(pupil=pupil, group=group).update(end=dt.date(2026, 11, 8))
    Enrollment.objects.create(pupil=pupil, group=other_group, start=dt.date(2026, 11, 9))
    new_teacher = _assign(make_user("kontakt@sorby.no"), other_group, "contact")
    apply_absence_changes(removals=[records[-1]], by=contact_teacher, rescan=False)
    scan(other_school)
    assert month_flag(pupil).status == Flag.Status.CLEARED
    Notification.objects.all().delete()
    november_days(pupil, new_teacher, [dt.date(2026, 11, 12)])
    scan(other_school)
    flag.refresh_from_db()
    assert (flag.status, flag.school_id, flag.group_id) == (
        Flag.Status.ACTIVE,
        other_school.pk,
        other_group.pk,
    )
    assert Notification.objects.filter(user=new_teacher).exists()
    assert not Notification.objects.filter(user=contact_teacher).exists()
    assert overview_flags(TODAY).filter(pk=flag.pk, school=other_school).exists()


def test_a_scan_as_of_an_earlier_day_leaves_later_months_flags_alone(
    school, contact_teacher, pupil
):
    """`scan_absence --as-of` an earlier day (or a task delayed with its date) does not
    see November yet, and must not clear November's flag."""
    november_days(pupil, contact_teacher)
    scan(school)
    scan_absence(Scope(school_ids=(school.pk,)), as_of=dt.date(2026, 10, 30))
    assert month_flag(pupil).status == Flag.Status.ACTIVE


def test_a_flag_brought_back_while_the_scan_runs_stays_active(
    school, contact_teacher, pupil, monkeypatch
):
    """The scan reads the flags before the figures: a save and its own rescan in
    between bring a cleared flag back, and the scan, whose figures already include
    the save, leaves it active."""
    import fravaer.actions.flags as scan_module

    records = november_days(pupil, contact_teacher)
    scan(school)
    apply_absence_changes(removals=[records[-1]], by=contact_teacher, rescan=False)
    scan(school)
    assert month_flag(pupil).status == Flag.Status.CLEARED
    real = scan_module.load_figures
    saved = []

    def a_save_meanwhile(*args, **kwargs):
        if not saved:
            saved.append(True)
            november_days(pupil, contact_teacher, [dt.date(2026, 11, 6)])
            scan_absence(Scope(pupil_ids=(pupil.pk,)), as_of=TODAY)
            assert month_flag(pupil).status == Flag.Status.ACTIVE
        return real(*args, **kwargs)

    monkeypatch.setattr(scan_module, "load_figures", a_save_meanwhile)
    scan(school)
    assert saved and month_flag(pupil).status == Flag.Status.ACTIVE


def test_bringing_back_undocumented_flags_costs_the_same_statements_for_more_pupils(
    school, group, contact_teacher
):
    def updates_for(n: int) -> int:
        pupils = [make_pupil(group) for _ in range(n)]
        ids = [absence(p, MONDAY, contact_teacher).pk for p in pupils]
        scan(school)
        AbsenceRecord.objects.filter(pk__in=ids).update(documented=True)
        scan(school)
        AbsenceRecord.objects.filter(pk__in=ids).update(documented=False)
        with CaptureQueriesContext(connection) as statements:
            assert scan(school).reactivated == n
        return len(statements.captured_queries)

    assert updates_for(1) == updates_for(6)
