"""The school-environment team's meeting: the agenda's content and order, who may run
it, the decisions taken in place, the minutes on each case's timeline and as a PDF,
and the agenda's queries whatever its size."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import team_meeting as tm
from cases.actions.team_meeting import (
    add_meeting_note,
    end_team_meeting,
    set_next_step,
)
from cases.models import (
    Case,
    CaseAccessLog,
    CaseEvent,
    CaseFlag,
    CaseNote,
    TeamMeeting,
    TeamMeetingItem,
)
from fravaer import pdf
from fravaer.models import StaffRole
from tests.cases.conftest import make_case
from tests.conftest import TODAY, make_pupil, make_user
from tests.factories import make_deadline, make_flag, refused, running_team_meeting

DAY = dt.timedelta(days=1)


@pytest.fixture
def agenda_data(group, contact_teacher, team_member, other_group, outsider):
    """Small fixed data: one case or pupil for each point of the agenda, and some that
    must stay off it."""
    now = timezone.now()
    p = {
        name: make_pupil(group, first=name.capitalize(), last="Elev")
        for name in ("overdue", "overdue2", "ownerless", "flagged", "oldflag", "withcase", "soon")
    }
    p["level1"] = make_pupil(group, first="Nivaa", last="Elev")
    cases = {}
    cases["overdue"] = make_case(p["overdue"], by=contact_teacher)
    make_deadline(cases["overdue"], TODAY - 3 * DAY)
    cases["overdue2"] = make_case(p["overdue2"], by=contact_teacher)
    make_deadline(cases["overdue2"], TODAY - DAY)
    gone = make_user("borte@nordby.no")
    StaffRole.objects.create(user=gone, role="environment_team", school=group.school)
    cases["ownerless"] = make_case(p["ownerless"], by=contact_teacher, owner=gone)
    StaffRole.objects.filter(user=gone).delete()
    cases["withcase"] = make_case(p["withcase"], by=contact_teacher)
    cases["soon"] = make_case(p["soon"], by=contact_teacher)
    make_deadline(cases["soon"], TODAY + 3 * DAY)
    cases["level1"] = make_case(p["level1"], by=contact_teacher)
    Case.objects.filter(pk=cases["level1"].pk).update(level="1")
    flags = {
        "new": make_flag(p["flagged"], raised_at=now - 2 * DAY),
        "new2": make_flag(p["flagged"], "undocumented", raised_at=now - DAY),
        "old": make_flag(p["oldflag"], raised_at=now - 20 * DAY),
        "withcase": make_flag(p["withcase"], raised_at=now - DAY),
    }
    # Another school's case and flag stay on its own agenda.
    other = make_pupil(other_group, first="Annen", last="Skole")
    cases["other"] = make_case(other, by=outsider)
    flags["other"] = make_flag(other, raised_at=now - DAY)
    return {"pupils": p, "cases": cases, "flags": flags}


@pytest.fixture
def meeting(school, team_member, leader):
    return running_team_meeting(school, team_member, leader)


def _url(name, meeting, *extra):
    return reverse(f"cases:{name}", args=[meeting.school_id, meeting.uuid, *extra])


def _points(sections):
    return {
        s.key: [r.case.pupil.first_name for r in s.cases] + [e.pupil.first_name for e in s.pupils]
        for s in sections
    }


# --- the agenda ---------------------------------------------------------------------------


def test_agenda_lists_each_point_in_order_of_urgency(agenda_data, meeting, team_member):
    sections = tm.agenda(team_member, meeting, TODAY)
    assert [s.key for s in sections] == [
        tm.OVERDUE,
        tm.OWNERLESS,
        tm.NEW_FLAGS,
        tm.DUE_SOON,
        tm.BY_LEVEL,
    ]
    assert _points(sections) == {
        # The oldest passed deadline first.
        tm.OVERDUE: ["Overdue", "Overdue2"],
        tm.OWNERLESS: ["Ownerless"],
        # Not the flag from 20 days ago, not the flag of a pupil with a case.
        tm.NEW_FLAGS: ["Flagged"],
        tm.DUE_SOON: ["Soon"],
        # Higher levels first.
        tm.BY_LEVEL: ["Nivaa", "Withcase"],
    }
    flagged = sections[2].pupils[0]
    assert [f.pk for f in flagged.flags] == [
        agenda_data["flags"]["new"].pk,
        agenda_data["flags"]["new2"].pk,
    ]


def test_agenda_of_a_leader_is_the_schools_and_not_another_schools(agenda_data, meeting, leader):
    shown = {r.case.pk for s in tm.agenda(leader, meeting, TODAY) for r in s.cases}
    assert agenda_data["cases"]["other"].pk not in shown
    assert shown == {c.pk for k, c in agenda_data["cases"].items() if k != "other"}


def test_second_meetings_new_flags_are_those_since_the_first_started(
    agenda_data, school, team_member
):
    first = running_team_meeting(school, team_member)
    end_team_meeting(first, by=team_member)
    later = running_team_meeting(school, team_member)
    assert later.flags_since == first.started_at
    assert _points(tm.agenda(team_member, later, TODAY))[tm.NEW_FLAGS] == []


def test_minutes_list_only_the_cases_the_reader_may_see(
    agenda_data, meeting, team_member, group, school_year
):
    from tests.conftest import make_group

    other_class = make_group(group.school, school_year, name="6C", grade=6)
    elsewhere = make_pupil(other_class, first="Ellen", last="Elev")
    their_teacher = make_user("kontakt6c@nordby.no")
    from fravaer.models import TeachingAssignment

    TeachingAssignment.objects.create(
        user=their_teacher, group=other_class, kind="contact", valid_from=school_year.start
    )
    case_6c = make_case(elsewhere, by=their_teacher)
    add_meeting_note(meeting, case_6c, text="Om 6C", by=team_member)
    add_meeting_note(meeting, agenda_data["cases"]["soon"], text="Om 5A", by=team_member)
    end_team_meeting(meeting, by=team_member)
    assert [m.case.pk for m in tm.minutes_for(their_teacher, meeting)] == [case_6c.pk]
    assert len(tm.minutes_for(team_member, meeting)) == 2


# --- who may run it -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["team_member", "leader"])
def test_team_and_leaders_see_the_meeting(request, client_for, meeting, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("cases:team_meetings", args=[meeting.school_id])).status_code == 200
    assert client.get(_url("team_meeting", meeting)).status_code == 200


@pytest.mark.parametrize("who", ["contact_teacher", "ppt_advisor", "nurse", "outsider"])
def test_everyone_else_gets_404(request, client_for, meeting, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("cases:team_meetings", args=[meeting.school_id])).status_code == 404
    assert client.get(_url("team_meeting", meeting)).status_code == 404
    assert client.post(_url("team_meeting_end", meeting)).status_code == 404


def test_another_schools_team_gets_404_for_this_schools_meeting(client_for, meeting, other_school):
    theirs = make_user("team@sorby.no")
    StaffRole.objects.create(user=theirs, role="environment_team", school=other_school)
    client = client_for(theirs)
    assert client.get(_url("team_meeting", meeting)).status_code == 404
    # Their own school's address with this school's meeting is no way in either.
    url = reverse("cases:team_meeting", args=[other_school.pk, meeting.uuid])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_log_in(client, meeting):
    response = client.get(_url("team_meeting", meeting))
    assert response.status_code == 302 and "/logg-inn/" in response["Location"]


# --- starting --------------------------------------------------------------------------------


def test_start_a_meeting_with_who_is_present(client_for, school, team_member, leader):
    client = client_for(team_member)
    url = reverse("cases:team_meetings", args=[school.pk])
    response = client.post(
        url, {"held_on": "18.11.2026", "participants": [team_member.pk, leader.pk]}
    )
    meeting = TeamMeeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("team_meeting", meeting)
    assert meeting.held_on == TODAY
    assert set(meeting.participants.all()) == {team_member, leader}


def test_start_refuses_a_future_date_and_nobody_present_keeping_what_was_typed(
    client_for, school, team_member
):
    client = client_for(team_member)
    url = reverse("cases:team_meetings", args=[school.pk])
    response = client.post(url, {"held_on": "2026-11-25"})
    assert response.status_code == 200
    assert "Kryss av for hvem som er til stede." in response.content.decode()
    response = client.post(url, {"held_on": "2026-11-25", "participants": [team_member.pk]})
    content = response.content.decode()
    assert "Møtedatoen kan ikke være fram i tid." in content
    assert 'value="2026-11-25"' in content
    assert not TeamMeeting.objects.exists()


def test_one_meeting_runs_at_a_time(school, team_member):
    running_team_meeting(school, team_member)
    refused("team_meeting_running", running_team_meeting, school, team_member)


# --- decisions ---------------------------------------------------------------------------------


def test_open_a_case_from_the_new_flags(client_for, agenda_data, meeting, team_member):
    pupil = agenda_data["pupils"]["flagged"]
    client = client_for(team_member)
    response = client.post(
        _url("team_meeting_open_case", meeting, pupil.uuid),
        {"concern": "Mye fravær i november.", "owner": team_member.pk},
    )
    case = Case.objects.get(pupil=pupil, status="open")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#sak-{case.uuid}")
    assert case.owner == team_member
    assert set(CaseFlag.objects.filter(case=case).values_list("flag_id", flat=True)) == {
        agenda_data["flags"]["new"].pk,
        agenda_data["flags"]["new2"].pk,
    }
    item = TeamMeetingItem.objects.get(meeting=meeting, case=case)
    assert (item.kind, item.text) == ("case_opened", "Mye fravær i november.")


def test_open_a_case_without_a_concern_is_refused_at_the_field(
    client_for, agenda_data, meeting, team_member
):
    pupil = agenda_data["pupils"]["flagged"]
    client = client_for(team_member)
    response = client.post(
        _url("team_meeting_open_case", meeting, pupil.uuid),
        {"concern": "  ", "owner": team_member.pk},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Beskriv bekymringen med noen ord." in content
    assert f'id="elev-{pupil.uuid}-concern-err"' in content
    # The owner chosen is still chosen.
    assert f'<option value="{team_member.pk}" selected>' in content
    assert not Case.objects.filter(pupil=pupil).exists()


def test_assign_an_owner_in_place(client_for, agenda_data, meeting, team_member):
    case = agenda_data["cases"]["ownerless"]
    client = client_for(team_member)
    response = client.post(
        _url("team_meeting_owner", meeting, case.uuid),
        {"owner": team_member.pk, "version": case.version},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    case.refresh_from_db()
    assert case.owner == team_member
    assert f'id="sak-{case.uuid}"' in content
    assert "er nå" in content and "data-focus-on-load" in content
    assert "Trenger ny saksansvarlig" not in content
    assert TeamMeetingItem.objects.filter(case=case, kind="owner_assigned").count() == 1
    assert CaseEvent.objects.filter(case=case, kind="owner_assigned", by=team_member).exists()


def test_assign_an_owner_who_may_not_own_it_is_refused(
    client_for, agenda_data, meeting, team_member, nurse
):
    case = agenda_data["cases"]["soon"]
    client = client_for(team_member)
    response = client.post(
        _url("team_meeting_owner", meeting, case.uuid), {"owner": nurse.pk, "version": 1}
    )
    assert response.status_code == 200
    assert "Velg en i skolemiljøteamet eller kontaktlæreren." in response.content.decode()
    assert not TeamMeetingItem.objects.exists()


def test_set_the_next_step_and_its_date(client_for, agenda_data, meeting, team_member):
    case = agenda_data["cases"]["soon"]
    client = client_for(team_member)
    response = client.post(
        _url("team_meeting_next_step", meeting, case.uuid),
        {"text": "Ring foresatte", "due": "2026-11-25"},
    )
    assert response.status_code == 302
    item = TeamMeetingItem.objects.get(case=case)
    assert (item.kind, item.text, item.due) == ("next_step", "Ring foresatte", TODAY + 7 * DAY)
    # The case page shows the team's next step, as the team's own date.
    page = client.get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert "Teamets neste steg" in page and "Ring foresatte" in page and "25.11.2026" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "Ring hjem", "due": "2026-11-10"}, "kan ikke være tilbake i tid"),
        ({"text": "Ring hjem", "due": "2028-01-01"}, "må være innen ett år"),
        ({"text": "Ring hjem", "due": "32.13.2026"}, "Skriv datoen som dd.mm.åååå"),
        ({"text": "", "due": "2026-11-25"}, "Skriv hva som er neste steg."),
    ],
)
def test_a_bad_next_step_is_refused_at_its_field_keeping_what_was_typed(
    client_for, agenda_data, meeting, team_member, data, message
):
    case = agenda_data["cases"]["soon"]
    response = client_for(team_member).post(
        _url("team_meeting_next_step", meeting, case.uuid), data, headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert message in content
    field = "due" if data["text"] else "text"
    assert f'aria-describedby="steg-{case.uuid}-{field}-err"' in content
    assert f'value="{data["due"]}"' in content
    assert not TeamMeetingItem.objects.exists()


def test_a_note_and_an_empty_one(client_for, agenda_data, meeting, team_member):
    case = agenda_data["cases"]["level1"]
    client = client_for(team_member)
    response = client.post(
        _url("team_meeting_note", meeting, case.uuid), {"text": ""}, headers={"HX-Request": "true"}
    )
    assert "Notatet er tomt." in response.content.decode()
    client.post(_url("team_meeting_note", meeting, case.uuid), {"text": "Mor er bekymret."})
    assert TeamMeetingItem.objects.get(case=case).text == "Mor er bekymret."


def test_decisions_after_the_meeting_ended_are_refused(agenda_data, meeting, team_member):
    end_team_meeting(meeting, by=team_member)
    refused(
        "team_meeting_ended",
        add_meeting_note,
        meeting,
        agenda_data["cases"]["soon"],
        text="For sent",
        by=team_member,
    )


# --- the minutes -----------------------------------------------------------------------------


def test_ending_writes_the_minutes_on_each_case_discussed_once(
    client_for, agenda_data, meeting, team_member
):
    soon, level1 = agenda_data["cases"]["soon"], agenda_data["cases"]["level1"]
    set_next_step(meeting, soon, text="Ring foresatte", due=TODAY + 7 * DAY, by=team_member)
    add_meeting_note(meeting, soon, text="Mor er bekymret.", by=team_member)
    add_meeting_note(meeting, level1, text="Går bra nå.", by=team_member)
    client = client_for(team_member)
    client.post(_url("team_meeting_end", meeting))
    client.post(_url("team_meeting_end", meeting))  # a second click
    meeting.refresh_from_db()
    assert meeting.ended_by == team_member
    note = CaseNote.objects.get(case=soon)
    assert note.text == (
        "Drøftet i teammøte 18.11.2026: Neste steg: Ring foresatte (innen 25.11.2026). "
        "Notat: Mor er bekymret."
    )
    assert CaseNote.objects.filter(case=level1).count() == 1
    assert CaseEvent.objects.filter(case=soon, kind="note_added").count() == 1
    # Cases not discussed get nothing.
    assert not CaseNote.objects.filter(case=agenda_data["cases"]["overdue"]).exists()
    refused("team_meeting_ended", end_team_meeting, meeting, by=team_member)


def test_minutes_pdf_lists_the_decisions_loads_nothing_external_and_logs_each_read(
    client_for, agenda_data, meeting, team_member, leader, monkeypatch
):
    soon = agenda_data["cases"]["soon"]
    set_next_step(meeting, soon, text="Ring foresatte", due=TODAY + 7 * DAY, by=team_member)
    add_meeting_note(meeting, soon, text='<img src="http://127.0.0.1:9/x.png">', by=team_member)
    client = client_for(leader)
    assert client.get(_url("team_meeting_pdf", meeting)).status_code == 404  # still running
    end_team_meeting(meeting, by=team_member)
    asked: list[str] = []
    real = pdf.static_path_for
    monkeypatch.setattr(pdf, "static_path_for", lambda url: asked.append(url) or real(url))

    response = client.get(_url("team_meeting_pdf", meeting))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == 'attachment; filename="teammote-referat-2026-11-18.pdf"'
    )
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Referat fra teammøte 18.11.2026" in text
    assert "Soon Elev" in text
    assert "Ring foresatte (innen 25.11.2026)" in text
    assert "Overdue" not in text  # not discussed
    assert asked and all(url.startswith(pdf.STATIC_BASE) for url in asked)
    log = CaseAccessLog.objects.get(user=leader)
    assert (log.case, log.what, log.basis) == (soon, "team_meeting_minutes", "leader")


# --- queries ---------------------------------------------------------------------------------


def _cases_with_flags(group, teacher, meeting, by, n):
    now = timezone.now()
    for i in range(n):
        case = make_case(make_pupil(group, first=f"Sak{i}"), by=teacher)
        make_deadline(case, TODAY + (i % 10 - 3) * DAY)
        add_meeting_note(meeting, case, text="Drøftet", by=by)
        make_flag(make_pupil(group, first=f"Varsel{i}"), raised_at=now - DAY)


def test_agenda_page_queries_do_not_grow_with_the_agenda(
    client_for, group, contact_teacher, meeting, team_member, django_assert_num_queries
):
    client = client_for(team_member)
    url = _url("team_meeting", meeting)
    _cases_with_flags(group, contact_teacher, meeting, team_member, 5)
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _cases_with_flags(group, contact_teacher, meeting, team_member, 25)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="agenda-item') == 60


def test_without_javascript_a_refused_next_step_shows_the_page_with_what_was_typed(
    client_for, agenda_data, meeting, team_member
):
    case = agenda_data["cases"]["soon"]
    response = client_for(team_member).post(
        _url("team_meeting_next_step", meeting, case.uuid),
        {"text": "Ring hjem i morgen", "due": "10.11.2026"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in content  # the whole agenda, not a fragment
    assert "Datoen for neste steg kan ikke være tilbake i tid." in content
    assert 'value="Ring hjem i morgen"' in content
    # The other points' forms are empty.
    assert content.count('value="Ring hjem i morgen"') == 1


def test_the_list_shows_earlier_meetings_with_their_minutes(
    client_for, agenda_data, meeting, team_member
):
    add_meeting_note(meeting, agenda_data["cases"]["soon"], text="Notat", by=team_member)
    end_team_meeting(meeting, by=team_member)
    content = (
        client_for(team_member)
        .get(reverse("cases:team_meetings", args=[meeting.school_id]))
        .content.decode()
    )
    assert "18.11.2026" in content
    assert _url("team_meeting_pdf", meeting) in content
    assert "Start møtet" in content  # none runs now: a new one may start


def test_list_of_meetings_queries_do_not_grow_with_the_meetings(
    client_for, agenda_data, school, team_member, django_assert_num_queries
):
    def meetings(n):
        for _ in range(n):
            m = running_team_meeting(school, team_member)
            add_meeting_note(m, agenda_data["cases"]["soon"], text="Notat", by=team_member)
            end_team_meeting(m, by=team_member)

    client = client_for(team_member)
    url = reverse("cases:team_meetings", args=[school.pk])
    meetings(2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    meetings(6)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("referat.pdf") == 8
