"""Mappings (cause mapping, PPT's pedagogical analysis, 2B's extended mapping) and the
mapping tasks of nivå 2A/2B."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import add_participant, refer_to_ppt
from cases.actions.core import close_case
from cases.actions.meetings import assign_task, complete_task, record_mapping
from cases.errors import CaseRuleError
from cases.models import Case, CaseEvent, Mapping, MappingTask, Participant
from cases.questions import THEMES
from fravaer.models import Notification
from tests.cases.conftest import make_case
from tests.factories import give

TODAY = dt.date(2026, 11, 18)


def _grant_ppt(case, ppt_advisor, leader):
    give(case, leader)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=leader)


def _at_level(case, level: str) -> Case:
    Case.objects.filter(pk=case.pk).update(level=level)
    case.level = level
    return case


def _participant(case, by, **extra) -> Participant:
    values = {"service": "ppt", "name": "Pia PPT", "added_by": by, "added_at": timezone.now()}
    return Participant.objects.create(case=case, **{**values, **extra})


def _url(case, tail="kartlegging/ny/"):
    return f"/saker/{case.uuid}/{tail}"


# --- mappings --------------------------------------------------------------------------


def test_record_mapping_stores_areas_themes_basis_and_event(case, contact_teacher):
    mapping = record_mapping(
        case,
        kind=Mapping.Kind.CAUSES,
        by=contact_teacher,
        basis="owner",
        school="Gruer seg for gym.",
        worth_going_for="Vennene.",
        themes={"boredom": "Kjeder seg i matte.", "relations": " ", "unknown": "x"},
    )
    assert (mapping.school, mapping.worth_going_for) == ("Gruer seg for gym.", "Vennene.")
    assert mapping.themes == {"boredom": "Kjeder seg i matte."}
    assert mapping.basis == "owner"
    event = case.events.get(kind=CaseEvent.Kind.MAPPING_RECORDED)
    assert event.data == {"mapping": mapping.pk}


def test_record_mapping_refuses_empty(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        record_mapping(case, kind="causes", by=contact_teacher, basis="owner", school="  ")
    assert exc.value.code == "mapping_empty"


def test_record_mapping_refuses_unknown_kind(case, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        record_mapping(case, kind="x", by=contact_teacher, basis="owner", text="Noe")
    assert exc.value.code == "mapping_kind_required"


def test_record_mapping_refuses_closed_case(case, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    with pytest.raises(CaseRuleError) as exc:
        record_mapping(case, kind="causes", by=contact_teacher, basis="owner", home="Ok")
    assert exc.value.code == "case_closed"


def test_mapping_theme_notes_follow_the_order_of_the_themes(case, contact_teacher):
    mapping = record_mapping(
        case,
        kind="causes",
        by=contact_teacher,
        basis="owner",
        themes={"choosing_school": "B", "mental_absence": "A"},
    )
    assert [q.key for q, _ in mapping.theme_notes] == ["mental_absence", "choosing_school"]


def test_mapping_form_saves_the_cause_mapping(client_for, case, contact_teacher):
    data = {"kind": "causes", "home": "Sover lite.", f"t_{THEMES[0].key}": "Dagdrømmer."}
    response = client_for(contact_teacher).post(_url(case), data)
    assert response.status_code == 302
    assert response.url == f"/saker/{case.uuid}/#kartlegging"
    mapping = Mapping.objects.get(case=case)
    assert mapping.home == "Sover lite."
    assert mapping.themes == {THEMES[0].key: "Dagdrømmer."}


def test_mapping_form_reshows_typed_input_on_error(client_for, case, contact_teacher):
    data = {"kind": "bogus", "home": "Sover lite.", "maintaining_factors": "Mobil om natta"}
    response = client_for(contact_teacher).post(_url(case), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sover lite." in html
    assert "Mobil om natta" in html
    assert not Mapping.objects.exists()


def test_ppt_with_grant_records_pedagogical_analysis(client_for, case, ppt_advisor, leader):
    _grant_ppt(case, ppt_advisor, leader)
    client = client_for(ppt_advisor)
    assert 'value="pedagogical" selected' in client.get(_url(case)).content.decode()
    response = client.post(_url(case), {"kind": "pedagogical", "text": "Lesevansker."})
    assert response.status_code == 302
    mapping = Mapping.objects.get(case=case)
    assert (mapping.recorded_by, mapping.basis) == (ppt_advisor, "ppt_referral")


def test_ppt_without_grant_gets_404_for_mapping(client_for, case, ppt_advisor):
    response = client_for(ppt_advisor).post(_url(case), {"kind": "pedagogical", "text": "x"})
    assert response.status_code == 404
    assert not Mapping.objects.exists()


def test_ppt_loses_mapping_page_when_grant_is_revoked(client_for, case, ppt_advisor, leader):
    from cases.actions.grants import revoke_case_access

    _grant_ppt(case, ppt_advisor, leader)
    client = client_for(ppt_advisor)
    assert client.get(_url(case)).status_code == 200
    revoke_case_access(case, by=leader, now=timezone.now(), basis="ppt_referral")
    assert client.get(_url(case)).status_code == 404


def test_mapping_page_is_404_for_outsider_and_subject_teacher(
    client_for, case, outsider, subject_teacher
):
    for user in (outsider, subject_teacher):
        assert client_for(user).get(_url(case)).status_code == 404


def test_mapping_page_redirects_anonymous_to_login(client, case):
    response = client.get(_url(case))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_case_page_shows_mapping_in_details(client_for, case, contact_teacher):
    record_mapping(case, kind="causes", by=contact_teacher, basis="owner", leisure="Gamer.")
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert "Gamer." in html
    assert "Registrer kartlegging" in html


# --- mapping tasks ---------------------------------------------------------------------


def test_assign_task_to_participant_at_2a(case, contact_teacher):
    _at_level(case, "2A")
    participant = _participant(case, contact_teacher)
    task = assign_task(
        case,
        description="Pedagogisk analyse",
        due=TODAY + dt.timedelta(days=14),
        participant=participant,
        by=contact_teacher,
    )
    assert task.participant == participant
    event = case.events.get(kind=CaseEvent.Kind.TASK_ASSIGNED)
    assert event.data == {"task": task.pk}
    assert "Pia PPT" in event.text


def test_assign_task_to_staff_notifies_them(case, contact_teacher, nurse):
    _at_level(case, "2B")
    give(case, contact_teacher, service="school_nurse")
    _participant(case, contact_teacher, service="school_nurse", name="Hanne", user=nurse)
    assign_task(
        case, description="Helsesamtale", due=TODAY, assignee_user=nurse, by=contact_teacher
    )
    assert Notification.objects.filter(user=nurse).count() == 1


def test_assign_task_refuses_below_level_2a(case, contact_teacher):
    participant = _participant(case, contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        assign_task(case, description="x", due=TODAY, participant=participant, by=contact_teacher)
    assert exc.value.code == "task_needs_level2"


def test_assign_task_refuses_participant_of_another_case(
    case, contact_teacher, other_pupil, outsider
):
    _at_level(case, "2A")
    stranger = _participant(make_case(other_pupil, by=outsider), outsider)
    with pytest.raises(CaseRuleError) as exc:
        assign_task(case, description="x", due=TODAY, participant=stranger, by=contact_teacher)
    assert exc.value.code == "task_participant_not_in_case"


def test_assign_task_refuses_removed_participant(case, contact_teacher):
    _at_level(case, "2A")
    gone = _participant(case, contact_teacher, removed_at=timezone.now())
    with pytest.raises(CaseRuleError) as exc:
        assign_task(case, description="x", due=TODAY, participant=gone, by=contact_teacher)
    assert exc.value.code == "task_participant_not_in_case"


def test_assign_task_refuses_staff_outside_the_case(case, contact_teacher, outsider):
    _at_level(case, "2A")
    with pytest.raises(CaseRuleError) as exc:
        assign_task(case, description="x", due=TODAY, assignee_user=outsider, by=contact_teacher)
    assert exc.value.code == "task_assignee_not_eligible"


def test_assign_task_refuses_no_assignee(case, contact_teacher):
    _at_level(case, "2A")
    with pytest.raises(CaseRuleError) as exc:
        assign_task(case, description="x", due=TODAY, by=contact_teacher)
    assert exc.value.code == "task_assignee_required"


def test_assign_task_refuses_due_in_past(case, contact_teacher):
    _at_level(case, "2A")
    with pytest.raises(CaseRuleError) as exc:
        assign_task(
            case,
            description="x",
            due=TODAY - dt.timedelta(days=1),
            assignee_user=contact_teacher,
            by=contact_teacher,
        )
    assert exc.value.code == "task_due_in_past"


def test_assign_task_refuses_blank_description(case, contact_teacher):
    _at_level(case, "2A")
    with pytest.raises(CaseRuleError) as exc:
        assign_task(
            case, description=" ", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
        )
    assert exc.value.code == "task_description_required"


def test_complete_task_sets_done_and_appends_event(case, contact_teacher):
    _at_level(case, "2A")
    task = assign_task(
        case, description="x", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
    )
    complete_task(task, by=contact_teacher)
    task.refresh_from_db()
    assert task.done_at is not None
    assert case.events.filter(kind=CaseEvent.Kind.TASK_DONE).count() == 1


def test_complete_task_refuses_second_time(case, contact_teacher):
    _at_level(case, "2A")
    task = assign_task(
        case, description="x", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
    )
    complete_task(task, by=contact_teacher)
    with pytest.raises(CaseRuleError) as exc:
        complete_task(task, by=contact_teacher)
    assert exc.value.code == "task_already_done"


def test_task_form_assigns_to_participant(client_for, case, contact_teacher):
    _at_level(case, "2A")
    participant = _participant(case, contact_teacher)
    data = {
        "description": "Observasjon i timen",
        "assignee": f"p:{participant.pk}",
        "due": "02.12.2026",
    }
    response = client_for(contact_teacher).post(_url(case, "oppgaver/ny/"), data)
    assert response.status_code == 302
    task = MappingTask.objects.get(case=case)
    assert (task.participant, task.due) == (participant, dt.date(2026, 12, 2))


def test_task_form_reshows_typed_input_on_refusal(client_for, case, contact_teacher):
    participant = _participant(case, contact_teacher)  # the case is still at nivå 0
    data = {
        "description": "Observasjon i timen",
        "assignee": f"p:{participant.pk}",
        "due": "02.12.2026",
    }
    response = client_for(contact_teacher).post(_url(case, "oppgaver/ny/"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Observasjon i timen" in html
    assert "nivå 2A og 2B" in html


def test_task_done_by_htmx_swaps_the_mapping_section(client_for, case, contact_teacher):
    _at_level(case, "2A")
    task = assign_task(
        case, description="Skjema", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
    )
    response = client_for(contact_teacher).post(
        _url(case, f"oppgaver/{task.pk}/utfort/"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<section")
    assert 'id="kartlegging"' in html
    assert "Utført 18.11.2026" in html


def test_assigned_participant_user_may_mark_own_task_done(
    client_for, case, contact_teacher, ppt_advisor, leader
):
    _at_level(case, "2A")
    _grant_ppt(case, ppt_advisor, leader)
    participant = _participant(case, contact_teacher, user=ppt_advisor)
    task = assign_task(
        case, description="x", due=TODAY, participant=participant, by=contact_teacher
    )
    response = client_for(ppt_advisor).post(_url(case, f"oppgaver/{task.pk}/utfort/"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None


def test_ppt_may_not_mark_someone_elses_task_done(
    client_for, case, contact_teacher, ppt_advisor, leader
):
    _at_level(case, "2A")
    _grant_ppt(case, ppt_advisor, leader)
    task = assign_task(
        case, description="x", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
    )
    assert (
        client_for(ppt_advisor).post(_url(case, f"oppgaver/{task.pk}/utfort/")).status_code == 404
    )
    task.refresh_from_db()
    assert task.done_at is None


def test_task_pages_are_404_for_outsider(client_for, case, contact_teacher, outsider):
    _at_level(case, "2A")
    task = assign_task(
        case, description="x", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
    )
    client = client_for(outsider)
    assert client.get(_url(case, "oppgaver/ny/")).status_code == 404
    assert client.post(_url(case, f"oppgaver/{task.pk}/utfort/")).status_code == 404


def test_task_new_redirects_anonymous_to_login(client, case):
    response = client.get(_url(case, "oppgaver/ny/"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_case_page_tasks_cost_the_same_queries_whatever_their_number(
    client_for, case, contact_teacher, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _at_level(case, "2A")
    participant = _participant(case, contact_teacher)
    client = client_for(contact_teacher)
    assign_task(case, description="a", due=TODAY, participant=participant, by=contact_teacher)
    record_mapping(case, kind="causes", by=contact_teacher, basis="owner", home="x")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/saker/{case.uuid}/")
    _four_more_of_each(case, contact_teacher)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/saker/{case.uuid}/")


def test_a_ppt_advisor_on_the_team_starts_from_the_pedagogical_analysis(
    client_for, case, contact_teacher, ppt_advisor
):
    """A PPT advisor who is also on the case's team maps as PPT does."""
    _at_level(case, "2A")
    give(case, contact_teacher, service="ppt")
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    add_participant(case, service="ppt", name="Pia PPT", user=ppt_advisor, by=contact_teacher)
    response = client_for(ppt_advisor).get(_url(case))
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    assert form["kind"].value() == "pedagogical"
    # The school's own people still start from the cause mapping.
    form = client_for(contact_teacher).get(_url(case)).context["form"]
    assert form["kind"].value() == "causes"


def test_the_mapping_texts_fit_the_level(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    assert "Før møtet på nivå 1" in client.get(_url(case)).content.decode()
    _at_level(case, "2B")
    form_page = client.get(_url(case)).content.decode()
    case_page = client.get(f"/saker/{case.uuid}/").content.decode()
    assert "Før møtet på nivå 1" not in form_page and "Før møtet på nivå 1" not in case_page
    assert "pedagogisk analyse i fritekst" in form_page


def test_task_done_fragment_costs_the_same_queries_whatever_the_rows(
    client_for, case, contact_teacher, django_assert_max_num_queries
):
    """The section htmx swaps in after "Merk som utført" reads its mappings and tasks
    with their people as the case page does, not a query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _at_level(case, "2A")
    participant = _participant(case, contact_teacher)
    client = client_for(contact_teacher)
    first = assign_task(
        case, description="a", due=TODAY, participant=participant, by=contact_teacher
    )
    second = assign_task(
        case, description="b", due=TODAY, participant=participant, by=contact_teacher
    )
    record_mapping(case, kind="causes", by=contact_teacher, basis="owner", home="x")
    done = _url(case, "oppgaver/{}/utfort/")
    with CaptureQueriesContext(connection) as few:
        assert client.post(done.format(first.pk), HTTP_HX_REQUEST="true").status_code == 200
    _four_more_of_each(case, contact_teacher)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.post(done.format(second.pk), HTTP_HX_REQUEST="true")
    assert response.content.decode().count("<tr>") == 1 + 2 + 8  # head, both, the new eight


def _four_more_of_each(case, by) -> None:
    """Four more participants, eight more tasks (to a participant and to a user) and
    four more mappings: the rows the query-count tests add."""
    for n in range(4):
        other = _participant(case, by, name=f"P{n}")
        assign_task(case, description=f"t{n}", due=TODAY, participant=other, by=by)
        assign_task(case, description=f"u{n}", due=TODAY, assignee_user=by, by=by)
        record_mapping(case, kind="causes", by=by, basis="owner", home=f"x{n}")
