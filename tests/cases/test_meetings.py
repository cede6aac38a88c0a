"""Meetings at nivå 1 and on: schedule, held (with the pupil's own view), cancelled; the
meeting page with the pupil's absence overview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import refer_to_ppt
from cases.actions.core import change_level, close_case
from cases.actions.meetings import (
    cancel_meeting,
    mark_meeting_held,
    schedule_meeting,
)
from cases.errors import CaseRuleError
from cases.models import CaseAccessLog, CaseEvent, Deadline, Meeting
from fravaer.models import AbsenceReason, AbsenceRecord, Flag, Guardian, Notification
from fravaer.thresholds import RULES
from tests.cases.conftest import logged_conversation
from tests.conftest import make_user
from tests.factories import acknowledged_flag, cleared_flag, give, make_flag
from tests.pages import meeting_form

OSLO = timezone.get_default_timezone()


def _at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=OSLO)


def _schedule(case, by, **extra) -> Meeting:
    values = {
        "kind": Meeting.Kind.LEVEL1,
        "starts_at": _at(17, 9),  # yesterday: can be marked held today
        "place": "Møterom 2",
        "by": by,
    }
    return schedule_meeting(case, **{**values, **extra})


def _to_level1(case, by):
    logged_conversation(
        case, held_on=dt.date(2026, 11, 16), answers={"pupil_thriving": "Nei."}, by=by
    )
    return change_level(
        case, to="1", by=by, reason="Bekymringen er bekreftet.", version=case.version
    )


def _meeting_url(case, meeting, tail=""):
    return f"/saker/{case.uuid}/moter/{meeting.uuid}/{tail}"


# --- scheduling ------------------------------------------------------------------------


def test_schedule_meeting_stores_participants_and_appends_event(
    case, contact_teacher, team_member, pupil
):
    guardian = pupil.guardians.get()
    meeting = _schedule(case, contact_teacher, guardians=[guardian], staff=[team_member])
    assert list(meeting.guardians.all()) == [guardian]
    assert list(meeting.staff.all()) == [team_member]
    event = case.events.get(kind=CaseEvent.Kind.MEETING_SCHEDULED)
    assert event.data == {"meeting": meeting.pk}
    assert "17.11.2026 09:00" in event.text


def test_schedule_meeting_notifies_invited_staff_but_not_the_scheduler(
    case, contact_teacher, team_member
):
    _schedule(case, contact_teacher, staff=[team_member, contact_teacher])
    assert list(Notification.objects.values_list("user", flat=True)) == [team_member.pk]


def test_schedule_meeting_refuses_guardian_of_another_pupil(case, contact_teacher, municipality):
    stranger = Guardian.objects.create(municipality=municipality, name="Fremmed Forelder")
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, guardians=[stranger])
    assert exc.value.code == "meeting_guardian_not_of_pupil"


def test_schedule_meeting_refuses_staff_outside_the_case(case, contact_teacher, outsider):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, staff=[outsider])
    assert exc.value.code == "meeting_staff_not_eligible"


def test_schedule_meeting_refuses_ppt_without_grant(case, contact_teacher, ppt_advisor):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, staff=[ppt_advisor])
    assert exc.value.code == "meeting_staff_not_eligible"


def test_schedule_meeting_accepts_ppt_with_grant(case, contact_teacher, ppt_advisor, leader):
    give(case, leader)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=leader)
    meeting = _schedule(case, contact_teacher, staff=[ppt_advisor])
    assert list(meeting.staff.all()) == [ppt_advisor]


def test_schedule_meeting_refuses_blank_place(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, place="  ")
    assert exc.value.code == "meeting_place_required"


def test_schedule_meeting_refuses_unreasonable_duration(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, duration_minutes=5)
    assert exc.value.code == "meeting_duration_invalid"


def test_schedule_meeting_refuses_unknown_kind(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, kind="party")
    assert exc.value.code == "meeting_kind_required"


def test_schedule_meeting_refuses_closed_case(case, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher)
    assert exc.value.code == "case_closed"


# --- held and cancelled ----------------------------------------------------------------


def test_mark_held_requires_the_pupils_view(case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        mark_meeting_held(
            meeting, pupil_view="   ", minutes="Referat", by=contact_teacher, version=1
        )
    assert exc.value.code == "meeting_pupil_view_required"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_mark_held_records_view_minutes_and_event(case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    mark_meeting_held(
        meeting,
        pupil_view="Vil prøve igjen.",
        minutes="Vi ble enige.",
        by=contact_teacher,
        version=1,
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.pupil_view, meeting.minutes) == (
        "held",
        "Vil prøve igjen.",
        "Vi ble enige.",
    )
    assert meeting.version == 2
    assert case.events.filter(kind=CaseEvent.Kind.MEETING_HELD).count() == 1


def test_held_level1_meeting_meets_the_one_week_deadline(case, contact_teacher):
    _to_level1(case, contact_teacher)
    deadline = Deadline.objects.get(case=case, kind=Deadline.Kind.LEVEL1_MEETING)
    assert deadline.met_at is None
    meeting = _schedule(case, contact_teacher)
    mark_meeting_held(meeting, pupil_view="Ok.", by=contact_teacher, version=1)
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert case.events.filter(kind=CaseEvent.Kind.DEADLINE_MET).count() == 1


def test_held_follow_up_meeting_leaves_the_level1_deadline_pending(case, contact_teacher):
    _to_level1(case, contact_teacher)
    meeting = _schedule(case, contact_teacher, kind=Meeting.Kind.FOLLOW_UP)
    mark_meeting_held(meeting, pupil_view="Ok.", by=contact_teacher, version=1)
    assert Deadline.objects.get(case=case, kind=Deadline.Kind.LEVEL1_MEETING).met_at is None


def test_mark_held_refuses_meeting_not_yet_started(case, contact_teacher):
    meeting = _schedule(case, contact_teacher, starts_at=_at(20))
    with pytest.raises(CaseRuleError) as exc:
        mark_meeting_held(meeting, pupil_view="Ok.", by=contact_teacher, version=1)
    assert exc.value.code == "meeting_not_started"


def test_mark_held_refuses_stale_version(case, contact_teacher, team_member):
    meeting = _schedule(case, contact_teacher)
    Meeting.objects.filter(pk=meeting.pk).update(version=2, minutes="Noen andre skrev")
    with pytest.raises(CaseRuleError) as exc:
        mark_meeting_held(meeting, pupil_view="Ok.", by=team_member, version=1)
    assert exc.value.code == "case_changed"
    meeting.refresh_from_db()
    assert meeting.minutes == "Noen andre skrev"


def test_mark_held_refuses_cancelled_meeting(case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    cancel_meeting(meeting, reason="Syk", by=contact_teacher, version=1)
    with pytest.raises(CaseRuleError) as exc:
        mark_meeting_held(meeting, pupil_view="Ok.", by=contact_teacher, version=2)
    assert exc.value.code == "meeting_not_scheduled"


def test_mark_held_refuses_closed_case(case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    with pytest.raises(CaseRuleError) as exc:
        mark_meeting_held(meeting, pupil_view="Ok.", by=contact_teacher, version=1)
    assert exc.value.code == "case_closed"


def test_cancel_meeting_requires_a_reason(case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        cancel_meeting(meeting, reason=" ", by=contact_teacher, version=1)
    assert exc.value.code == "meeting_cancel_reason_required"


def test_cancel_meeting_records_reason_and_event(case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    cancel_meeting(meeting, reason="Foresatte er syke", by=contact_teacher, version=1)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancel_reason) == ("cancelled", "Foresatte er syke")
    event = case.events.get(kind=CaseEvent.Kind.MEETING_CANCELLED)
    assert "Foresatte er syke" in event.text


# --- the pages -------------------------------------------------------------------------


def test_meeting_form_schedules_and_redirects_to_meeting_page(
    client_for, case, contact_teacher, team_member, pupil
):
    guardian = pupil.guardians.get()
    data = meeting_form(
        pupil_attends="on",
        guardians=[guardian.pk],
        staff=[team_member.pk],
        others="Helsesykepleier",
    )
    response = client_for(contact_teacher).post(f"/saker/{case.uuid}/moter/nytt/", data)
    meeting = Meeting.objects.get(case=case)
    assert response.status_code == 302
    assert response.url == _meeting_url(case, meeting)
    assert timezone.localtime(meeting.starts_at) == _at(24, 8, 30)
    assert meeting.duration_minutes == 45
    assert list(meeting.staff.all()) == [team_member]


def test_meeting_form_reshows_typed_input_on_error(client_for, case, contact_teacher):
    data = {"kind": "level1", "date": "24.11.2026", "time": "25:99", "place": "Biblioteket"}
    response = client_for(contact_teacher).post(f"/saker/{case.uuid}/moter/nytt/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Biblioteket"' in html
    assert 'aria-invalid="true"' in html
    assert not Meeting.objects.exists()


def test_meeting_form_offers_only_the_pupils_guardians(
    client_for, case, contact_teacher, municipality
):
    Guardian.objects.create(municipality=municipality, name="Annen Forelder")
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/moter/nytt/").content.decode()
    assert "Kari Nordmann" in html
    assert "Annen Forelder" not in html


def test_meeting_page_shows_absence_overview_and_flags(
    client_for, case, contact_teacher, pupil, municipality
):
    reason = AbsenceReason.objects.filter(municipality=municipality).first()
    for day in (9, 10, 11):
        AbsenceRecord.objects.create(
            pupil=pupil,
            date=dt.date(2026, 11, day),
            kind="day",
            reason=reason,
            registered_by=contact_teacher,
            registered_at=timezone.now(),
        )
    Flag.objects.create(
        pupil=pupil,
        school=case.school,
        rule="month_days",
        period_key="2026-11",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 18),
        value=Decimal(4),
        threshold=Decimal(3),
        as_of=dt.date(2026, 11, 18),
        raised_at=timezone.now(),
    )
    meeting = _schedule(case, contact_teacher)
    html = client_for(contact_teacher).get(_meeting_url(case, meeting)).content.decode()
    assert "Fraværet så langt" in html
    assert "Hele dager" in html
    assert "<dd>3</dd>" in html
    assert "Andel av skoletiden" in html
    assert str(RULES["month_days"].name) in html


def test_meeting_page_logs_a_read_with_the_grants_basis(client_for, case, contact_teacher, leader):
    meeting = _schedule(case, contact_teacher)
    client_for(leader).get(_meeting_url(case, meeting))
    log = CaseAccessLog.objects.get(case=case)
    assert (log.user, log.basis, log.what) == (leader, "leader", "meeting")


def test_meeting_page_queries_do_not_grow_with_participants(
    client_for, case, contact_teacher, team_member, leader, pupil, django_assert_max_num_queries
):
    client = client_for(contact_teacher)
    meeting = _schedule(case, contact_teacher)
    with CaptureQueriesContext(connection) as few:
        client.get(_meeting_url(case, meeting))
    meeting.staff.set([team_member, leader])
    meeting.guardians.set(pupil.guardians.all())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(_meeting_url(case, meeting))


def test_held_form_without_pupil_view_keeps_minutes_and_says_why(client_for, case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    response = client_for(contact_teacher).post(
        _meeting_url(case, meeting, "holdt/"),
        {"pupil_view": "", "minutes": "Langt referat her", "version": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Langt referat her" in html
    assert "Skriv elevens egen stemme" in html
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_held_form_marks_meeting_held(client_for, case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    response = client_for(contact_teacher).post(
        _meeting_url(case, meeting, "holdt/"),
        {"pupil_view": "Vil ha fast plass i klasserommet.", "minutes": "", "version": "1"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.pupil_view == "Vil ha fast plass i klasserommet."


def test_held_form_with_stale_version_keeps_typed_text(client_for, case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    Meeting.objects.filter(pk=meeting.pk).update(version=5)
    response = client_for(contact_teacher).post(
        _meeting_url(case, meeting, "holdt/"),
        {"pupil_view": "Mitt syn", "minutes": "Mitt referat", "version": "1"},
    )
    html = response.content.decode()
    assert "endret av noen andre" in html
    assert "Mitt referat" in html


def test_cancel_form_cancels_meeting(client_for, case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    response = client_for(contact_teacher).post(
        _meeting_url(case, meeting, "avlys/"), {"reason": "Sykdom", "version": "1"}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED


def test_case_page_lists_meetings_with_links(client_for, case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert _meeting_url(case, meeting) in html
    assert "Sett opp møte" in html


def test_meeting_pages_redirect_anonymous_to_login(client, case, contact_teacher):
    meeting = _schedule(case, contact_teacher)
    for url in (f"/saker/{case.uuid}/moter/nytt/", _meeting_url(case, meeting)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_meeting_pages_are_404_for_outsider(client_for, case, contact_teacher, outsider):
    meeting = _schedule(case, contact_teacher)
    client = client_for(outsider)
    assert client.get(_meeting_url(case, meeting)).status_code == 404
    assert client.get(f"/saker/{case.uuid}/moter/nytt/").status_code == 404
    assert not CaseAccessLog.objects.exists()


def test_meeting_page_is_404_for_subject_teacher(
    client_for, case, contact_teacher, subject_teacher
):
    meeting = _schedule(case, contact_teacher)
    assert client_for(subject_teacher).get(_meeting_url(case, meeting)).status_code == 404


def test_meeting_of_another_case_is_404(client_for, case, contact_teacher, other_pupil, outsider):
    from tests.cases.conftest import make_case

    other_case = make_case(other_pupil, by=outsider)
    other_meeting = _schedule(other_case, outsider)
    response = client_for(contact_teacher).get(_meeting_url(case, other_meeting))
    assert response.status_code == 404


def test_ppt_with_grant_sees_meeting_but_may_not_mark_it_held(
    client_for, case, contact_teacher, ppt_advisor, leader
):
    give(case, leader)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=leader)
    meeting = _schedule(case, contact_teacher, staff=[ppt_advisor])
    client = client_for(ppt_advisor)
    assert client.get(_meeting_url(case, meeting)).status_code == 200
    response = client.post(
        _meeting_url(case, meeting, "holdt/"), {"pupil_view": "x", "version": "1"}
    )
    assert response.status_code == 404
    assert CaseAccessLog.objects.get(user=ppt_advisor).basis == "ppt_referral"


def test_attendance_contact_may_read_but_not_schedule(client_for, case, contact_teacher, school):
    from fravaer.models import StaffRole

    attendance = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=attendance, role="attendance_contact", school=school)
    meeting = _schedule(case, contact_teacher)
    client = client_for(attendance)
    assert client.get(_meeting_url(case, meeting)).status_code == 200
    assert client.get(f"/saker/{case.uuid}/moter/nytt/").status_code == 404


def test_held_evaluation_meeting_at_2a_no_longer_meets_the_2a_evaluation_deadline(
    case, contact_teacher
):
    """Recording an evaluation of the plan meets it (`plans`); a meeting alone does not."""
    from cases.actions.deadlines import set_deadline
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(level="2A")
    case.refresh_from_db()
    deadline = set_deadline(case, Deadline.Kind.EVALUATION_2A, now=timezone.now(), by=None)
    meeting = _schedule(case, contact_teacher, kind=Meeting.Kind.EVALUATION)
    mark_meeting_held(meeting, pupil_view="Bedre nå.", by=contact_teacher, version=1)
    deadline.refresh_from_db()
    assert deadline.met_at is None


def test_extended_mapping_at_2b_meets_the_mapping_summary_deadline(case, contact_teacher):
    from cases.actions.deadlines import set_deadline
    from cases.actions.meetings import record_mapping
    from cases.models import Case, Mapping

    Case.objects.filter(pk=case.pk).update(level="2B")
    case.refresh_from_db()
    deadline = set_deadline(case, Deadline.Kind.MAPPING_SUMMARY_2B, now=timezone.now(), by=None)
    record_mapping(
        case, kind=Mapping.Kind.EXTENDED, by=contact_teacher, basis="owner", text="Oppsummert."
    )
    deadline.refresh_from_db()
    assert deadline.met_at is not None


def test_schedule_meeting_refuses_a_date_years_away(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, starts_at=dt.datetime(1, 1, 1, 10, 0, tzinfo=dt.UTC))
    assert exc.value.code == "meeting_date_out_of_range"
    with pytest.raises(CaseRuleError) as exc:
        _schedule(case, contact_teacher, starts_at=dt.datetime(9999, 12, 31, 10, 0, tzinfo=OSLO))
    assert exc.value.code == "meeting_date_out_of_range"


def test_the_level1_meeting_no_longer_starts_or_meets_the_plan_evaluation(case, contact_teacher):
    """Agreeing the plan starts the evaluation deadline and recording an evaluation
    meets it (`plans`); held meetings alone do neither."""
    _to_level1(case, contact_teacher)
    meeting = _schedule(case, contact_teacher)
    mark_meeting_held(meeting, pupil_view="Ok.", by=contact_teacher, version=1)
    assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.PLAN_EVALUATION).exists()
    follow_up = _schedule(case, contact_teacher, kind=Meeting.Kind.EVALUATION)
    mark_meeting_held(follow_up, pupil_view="Det går bedre.", by=contact_teacher, version=1)
    assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.PLAN_EVALUATION).exists()


def test_the_2b_summary_window_follows_the_municipalitys_setting(
    case, contact_teacher, municipality, municipal_admin
):
    from cases.actions.deadlines import change_deadline_settings
    from cases.queries import summary_2b_window

    today = dt.date(2026, 11, 18)
    window = summary_2b_window(case, today)
    assert (window.earliest, window.latest) == (dt.date(2026, 12, 2), dt.date(2026, 12, 9))
    change_deadline_settings(
        municipality, days={Deadline.Kind.MAPPING_SUMMARY_2B: 14}, by=municipal_admin
    )
    window = summary_2b_window(case, today)
    assert (window.earliest, window.latest) == (dt.date(2026, 11, 25), dt.date(2026, 12, 2))


# --- the meeting page lists settled flags as settled ---------------------------------------


def _flags_section(html: str) -> str:
    start = html.index("Fraværet så langt")
    return html[start : html.index("</section>", start)]


def test_meeting_page_shows_settled_flags_with_status_after_the_active_ones(
    client_for, case, contact_teacher, pupil
):
    for day in (2, 3, 4, 5, 6):
        cleared_flag(
            pupil,
            # One cleared by a removed record: the line says so, not "contact logged".
            "removed" if day == 3 else "",
            period_start=dt.date(2026, 11, day),
            period_end=dt.date(2026, 11, day),
        )
    active = make_flag(pupil)
    meeting = _schedule(case, contact_teacher)
    html = _flags_section(client_for(contact_teacher).get(_meeting_url(case, meeting)).text)
    # Active first, each with its status; the settled ones counted, then listed.
    active_part, settled_part = html.split('id="avklarte-varsler"')
    assert active_part.count('<span class="ds-tag" data-color="warning">Aktiv</span>') == 1
    assert active.explanation() in active_part
    assert "Avklart" not in active_part
    assert "5 varsler er avklart eller kvittert ut" in settled_part
    assert settled_part.count('<span class="ds-tag" data-color="success">Avklart</span>') == 5
    assert "Udokumentert fravær 02.11.2026." in settled_part
    assert "Avklart 18.11.2026: registreringen ble fjernet." in settled_part
    assert settled_part.count("Avklart 18.11.2026.") == 4  # no cause kept: only when
    assert "kontakt med hjemmet" not in settled_part
    # A cleared flag is no longer a to-do.
    assert "Kontakt hjemmet i dag" not in html


def test_meeting_page_shows_who_acknowledged_a_flag(client_for, case, contact_teacher, pupil):
    acknowledged_flag(pupil, by=contact_teacher, reason="Influensa, avklart med mor")
    meeting = _schedule(case, contact_teacher)
    html = _flags_section(client_for(contact_teacher).get(_meeting_url(case, meeting)).text)
    assert "Ingen aktive varsler." in html
    assert "1 varsel er avklart eller kvittert ut" in html
    assert "Kvittert ut</span>" in html
    assert "kvittert ut av Kari 18.11.2026: «Influensa, avklart med mor»" in html


# --- participants: who is who, and the one setting up the meeting --------------------------


def _staff_labels(client, case) -> dict[int, str]:
    form = client.get(f"/saker/{case.uuid}/moter/nytt/").context["form"]
    return {int(value.value): str(label) for value, label in form.fields["staff"].choices}


def test_meeting_form_shows_each_staff_members_roles_at_the_school(
    client_for, case, contact_teacher, leader, team_member, school
):
    from fravaer.models import StaffRole

    StaffRole.objects.create(user=leader, role="attendance_contact", school=school)
    labels = _staff_labels(client_for(contact_teacher), case)
    assert labels[contact_teacher.pk] == "Kari (Kontaktlærer)"
    assert labels[leader.pk] == "rektor@nordby.no (Skoleleder, Nærværskontakt)"
    assert labels[team_member.pk] == "team@nordby.no (Skolemiljøteam)"


def test_meeting_form_roles_are_the_schools_only(
    client_for, case, contact_teacher, team_member, other_school
):
    from fravaer.models import StaffRole

    StaffRole.objects.create(user=team_member, role="school_leader", school=other_school)
    labels = _staff_labels(client_for(contact_teacher), case)
    assert labels[team_member.pk] == "team@nordby.no (Skolemiljøteam)"


def test_meeting_form_roles_take_a_bounded_number_of_queries(
    client_for, case, contact_teacher, school, django_assert_max_num_queries
):
    from fravaer.models import StaffRole

    client = client_for(contact_teacher)
    url = f"/saker/{case.uuid}/moter/nytt/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(8):
        user = make_user(f"ansatt{i}@nordby.no")
        StaffRole.objects.create(user=user, role="environment_team", school=school)
        StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("(Skolemiljøteam, Nærværskontakt)") == 8


def test_meeting_form_ticks_the_current_user_when_staff_at_the_school(
    client_for, case, contact_teacher, team_member
):
    client = client_for(team_member)
    form = client.get(f"/saker/{case.uuid}/moter/nytt/").context["form"]
    assert form["staff"].value() == [team_member.pk]
    html = client.get(f"/saker/{case.uuid}/moter/nytt/").content.decode()
    box = html[
        html.index(f'value="{team_member.pk}"') - 120 : html.index(f'value="{team_member.pk}"')
        + 120
    ]
    assert "checked" in box


def test_meeting_form_ticks_the_contact_teacher_too(client_for, case, contact_teacher):
    form = client_for(contact_teacher).get(f"/saker/{case.uuid}/moter/nytt/").context["form"]
    assert form["staff"].value() == [contact_teacher.pk]


def test_meeting_form_keeps_the_posted_staff_choice(client_for, case, contact_teacher, leader):
    # Unticking oneself and sending a form with an error does not tick one again.
    data = {"kind": "level1", "date": "24.11.2026", "time": "25:99", "place": "Rom"}
    form = client_for(leader).post(f"/saker/{case.uuid}/moter/nytt/", data).context["form"]
    assert form["staff"].value() == []
