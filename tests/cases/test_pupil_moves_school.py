"""A case belongs to its school. When the pupil's enrollment there ends (a roster
import, `end_enrollment`, or its end date passing), the school's open case closes as
"Eleven har flyttet" and its owner and the leaders are told; nobody at the new school
sees it, and the new school opens its own without hearing of the other."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.access import visible_cases
from cases.actions.consent import refer_to_ppt
from cases.actions.core import attach_new_flags, reopen_case
from cases.actions.meetings import schedule_meeting
from cases.errors import CaseRuleError
from cases.models import Case, CaseEvent, Meeting, Referral
from cases.tasks import follow_people_changes_daily
from fravaer import imports
from fravaer.actions.people import end_enrollment
from fravaer.models import Enrollment, Flag, Notification, StaffRole, TeachingAssignment
from tests.conftest import TODAY, make_group, make_user
from tests.factories import give, make_flag

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - dt.timedelta(days=1)


def move_by_date(pupil, to_group, last_day=YESTERDAY):
    """The enrollment ends by its date alone (written elsewhere, no action called)."""
    Enrollment.objects.filter(pupil=pupil, end__isnull=True).update(end=last_day)
    return Enrollment.objects.create(
        pupil=pupil, group=to_group, start=last_day + dt.timedelta(days=1)
    )


def roster_moving(pupil, *, school="Sørby skole", group="5B", teacher="kontakt@sorby.no"):
    header = "school;group;grade;pupil_id;first_name;last_name;birth_date;contact_teacher_email"
    line = ";".join(
        [school, group, "5", pupil.pupil_id, pupil.first_name, pupil.last_name, "2014-01-01"]
        + [teacher]
    )
    return f"{header}\r\n{line}\r\n".encode()


@pytest.fixture
def other_leader(other_school):
    user = make_user("rektor@sorby.no")
    StaffRole.objects.create(user=user, role="school_leader", school=other_school)
    return user


@pytest.fixture
def other_team(other_school):
    user = make_user("team@sorby.no")
    StaffRole.objects.create(user=user, role="environment_team", school=other_school)
    return user


# --- nobody at the new school sees the old school's case ---------------------------------


def test_new_schools_contact_teacher_and_leaders_get_404_on_the_old_case(
    client_for, case, pupil, other_group, outsider, other_leader, other_team
):
    move_by_date(pupil, other_group)
    for user in (outsider, other_leader, other_team):
        client = client_for(user)
        assert client.get(reverse("cases:case", args=[case.uuid])).status_code == 404
        assert not visible_cases(user).filter(pupil=pupil).exists()


def test_new_schools_contact_teacher_does_not_see_the_old_case_on_the_pupil_page(
    client_for, case, pupil, other_group, outsider
):
    move_by_date(pupil, other_group)
    response = client_for(outsider).get(reverse("pupil", args=[pupil.uuid]))
    assert response.status_code == 200
    assert str(case.uuid) not in response.content.decode()


def test_new_school_opens_its_own_case_without_a_word_about_the_other(
    client_for, case, pupil, other_group, outsider
):
    """Even before the old school's case is closed (an end by date, before the night's
    run), the new school's case opens: one open case per pupil and school."""
    move_by_date(pupil, other_group)
    client = client_for(outsider)
    page = client.get(reverse("cases:case_open", args=[pupil.uuid])).content.decode()
    response = client.post(
        reverse("cases:case_open", args=[pupil.uuid]), {"concern": "Borte hver mandag."}
    )
    new = Case.objects.exclude(pk=case.pk).get(pupil=pupil)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case", args=[new.uuid])
    assert (new.school, new.owner, new.status) == (other_group.school, outsider, "open")
    for html in (page, client.get(response["Location"]).content.decode()):
        assert "allerede" not in html and str(case.uuid) not in html


def test_one_open_case_per_pupil_and_school_still_holds(client_for, case, pupil, contact_teacher):
    response = client_for(contact_teacher).post(
        reverse("cases:case_open", args=[pupil.uuid]), {"concern": "Ny bekymring."}
    )
    assert "Eleven har allerede en åpen sak" in response.content.decode()
    assert Case.objects.filter(pupil=pupil).count() == 1


def test_new_schools_flags_do_not_attach_to_the_old_schools_case(
    case, pupil, other_group, contact_teacher
):

    move_by_date(pupil, other_group)
    flag = make_flag(pupil)
    Flag.objects.filter(pk=flag.pk).update(group=other_group, school=other_group.school)
    attach_new_flags(Flag.objects.filter(pk=flag.pk), now=case.opened_at)
    assert not case.case_flags.exists()


# --- the move closes the old school's case ----------------------------------------------


def assert_closed_as_moved(case, *, told):
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.closed_by) == ("closed", "moved", None)
    event = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert (event.by, event.data["reason"]) == (None, "moved")
    messages = Notification.objects.filter(
        link=reverse("cases:case", args=[case.uuid]), text__contains="flyttet"
    )
    assert set(messages.values_list("user_id", flat=True)) == {u.pk for u in told}
    for text in messages.values_list("text", flat=True):
        assert "Sørby" not in text


def test_roster_import_moving_the_pupil_closes_the_old_schools_case(
    case, pupil, contact_teacher, leader, team_member, other_group, outsider, other_leader
):
    result = imports.import_roster(roster_moving(pupil), municipality_name="Testvik")
    assert not result.errors
    assert pupil.enrollments.get(group=other_group).start == TODAY
    assert_closed_as_moved(case, told=[contact_teacher, leader])
    for user in (outsider, other_leader):
        assert not visible_cases(user).filter(pk=case.pk).exists()


def test_roster_import_moving_class_within_the_school_keeps_the_case(
    case, pupil, school, school_year
):
    make_group(school, school_year, name="5C", grade=5)
    file = roster_moving(pupil, school="Nordby skole", group="5C")
    assert not imports.import_roster(file, municipality_name="Testvik").errors
    case.refresh_from_db()
    assert case.is_open


def test_end_enrollment_closes_the_case_and_its_meetings_and_referral(
    case, pupil, contact_teacher, leader, ppt_advisor
):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    meeting = schedule_meeting(
        case,
        kind=Meeting.Kind.LEVEL1,
        starts_at=case.opened_at + dt.timedelta(days=3),
        place="Møterom 2",
        staff=[leader],
        by=contact_teacher,
    )
    end_enrollment(pupil.enrollments.get(), last_day=YESTERDAY)
    assert_closed_as_moved(case, told=[contact_teacher, leader])
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert Referral.objects.get(case=case).ended_at is not None
    assert not visible_cases(ppt_advisor).filter(pk=case.pk).exists()


def test_enrollment_ending_later_leaves_the_case_open_until_then(case, pupil):
    end_enrollment(pupil.enrollments.get(), last_day=TODAY + dt.timedelta(days=10))
    case.refresh_from_db()
    assert case.is_open


def test_enrollment_ended_by_date_is_closed_by_the_nightly_task_once(
    case, pupil, other_group, contact_teacher, leader
):
    move_by_date(pupil, other_group)
    assert Case.objects.get(pk=case.pk).is_open  # nothing ran yet
    assert follow_people_changes_daily()["closed"] == 1
    assert follow_people_changes_daily()["closed"] == 0
    assert_closed_as_moved(case, told=[contact_teacher, leader])
    assert case.events.filter(kind=CaseEvent.Kind.CLOSED).count() == 1


def test_the_old_contact_teacher_keeps_no_access_through_a_new_class_elsewhere(
    client_for, case, pupil, contact_teacher, other_group
):
    """The contact teacher also teaches the pupil's new class at the other school: as
    its contact teacher they see the new school's pupil, not the old school's case."""
    TeachingAssignment.objects.create(
        user=contact_teacher, group=other_group, kind="contact", valid_from=TODAY
    )
    TeachingAssignment.objects.filter(user=contact_teacher, valid_to__isnull=True).exclude(
        group=other_group
    ).update(valid_to=YESTERDAY)
    move_by_date(pupil, other_group)
    assert (
        client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid])).status_code == 404
    )


def test_a_case_closed_because_the_pupil_moved_is_not_reopened(case, pupil, leader):

    end_enrollment(pupil.enrollments.get(), last_day=YESTERDAY)
    case.refresh_from_db()
    with pytest.raises(CaseRuleError) as refused:
        reopen_case(case, by=leader, reason="Feil", version=case.version)
    assert refused.value.code == "reopen_pupil_left"
    assert Case.objects.get(pk=case.pk).status == "closed"
