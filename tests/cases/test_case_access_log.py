"""The access log: one row per read with the reader's basis; leaders see it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import refer_to_ppt
from cases.actions.meetings import assign_task, schedule_meeting
from cases.models import CaseAccessLog
from tests.conftest import TODAY
from tests.factories import at_level, give


def log_url(case):
    return reverse("cases:case_access_log", args=[case.uuid])


@pytest.mark.parametrize(
    ("persona", "basis"),
    [("contact_teacher", "owner"), ("leader", "leader"), ("team_member", "team")],
)
def test_case_page_read_logged_with_basis(request, client_for, case, persona, basis):
    user = request.getfixturevalue(persona)
    client_for(user).get(reverse("cases:case", args=[case.uuid]))
    row = CaseAccessLog.objects.get()
    assert (row.case, row.user, row.basis, row.what) == (case, user, basis, "case_page")


def test_contact_teacher_who_is_not_owner_reads_as_contact_teacher(
    client_for, case, contact_teacher, team_member
):
    from cases.actions.core import assign_owner

    assign_owner(case, owner=team_member, by=team_member, version=case.version)
    client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid]))
    assert CaseAccessLog.objects.get().basis == "contact_teacher"


def test_every_read_is_a_row(client_for, case, leader):
    client = client_for(leader)
    for _ in range(3):
        client.get(reverse("cases:case", args=[case.uuid]))
    assert CaseAccessLog.objects.filter(case=case, user=leader).count() == 3


def test_leader_sees_access_log_and_its_read_is_logged(client_for, case, contact_teacher, leader):
    client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid]))
    response = client_for(leader).get(log_url(case))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saksansvarlig" in html and "Sakssiden" in html
    latest = CaseAccessLog.objects.first()
    assert (latest.user, latest.basis, latest.what) == (leader, "leader", "access_log")


def test_access_log_names_meeting_and_ics_reads(client_for, case, leader):
    for what in ("meeting", "ics"):
        CaseAccessLog.objects.create(
            case=case, user=leader, at=case.opened_at, basis="leader", what=what
        )
    html = client_for(leader).get(log_url(case)).content.decode()
    assert "Møtesiden" in html and "Kalenderinvitasjon (.ics)" in html


@pytest.mark.parametrize("persona", ["contact_teacher", "team_member", "outsider", "nurse"])
def test_access_log_is_404_for_non_leaders(request, client_for, case, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(log_url(case)).status_code == 404
    assert not CaseAccessLog.objects.filter(what="access_log").exists()


def test_access_log_anonymous_redirects(client, case):
    assert client.get(log_url(case)).status_code == 302


def test_access_log_link_only_for_leaders(client_for, case, contact_teacher, leader):
    assert (
        log_url(case)
        not in client_for(contact_teacher)
        .get(reverse("cases:case", args=[case.uuid]))
        .content.decode()
    )
    assert (
        log_url(case)
        in client_for(leader).get(reverse("cases:case", args=[case.uuid])).content.decode()
    )


def test_access_log_paginates_with_bounded_queries(
    client_for, case, leader, contact_teacher, team_member, django_assert_max_num_queries
):
    now = timezone.now()
    CaseAccessLog.objects.bulk_create(
        CaseAccessLog(case=case, user=u, at=now, basis="owner", what="case_page")
        for u in [contact_teacher, team_member] * 60
    )
    client = client_for(leader)
    client.get(log_url(case))
    with django_assert_max_num_queries(12):
        response = client.get(log_url(case) + "?side=2")
    page = response.context["page"]
    assert (page.number, page.paginator.num_pages, len(page.object_list)) == (2, 3, 50)


def test_logged_for_every_level(client_for, case, leader):
    at_level(case, "2B")
    client_for(leader).get(reverse("cases:case", args=[case.uuid]))
    assert CaseAccessLog.objects.count() == 1


# --- every page and fragment that shows the case logs one read -------------------------


def _reads(user) -> list[tuple[str, str]]:
    return list(CaseAccessLog.objects.filter(user=user).values_list("what", "basis"))


def _meeting(case, by):
    starts_at = dt.datetime(2026, 11, 17, 9, 0, tzinfo=timezone.get_default_timezone())
    return schedule_meeting(case, kind="level1", starts_at=starts_at, place="Rom 2", by=by)


def test_consent_withdraw_page_read_is_logged(client_for, case, contact_teacher):
    consent = give(case, contact_teacher)
    response = client_for(contact_teacher).get(f"/saker/{case.uuid}/samtykke/{consent.pk}/trekk/")
    assert response.status_code == 200
    assert _reads(contact_teacher) == [("consent_withdraw", "owner")]


def test_referral_end_page_read_is_logged(client_for, case, contact_teacher):
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    response = client_for(contact_teacher).get(
        f"/saker/{case.uuid}/henvisning/{referral.pk}/avslutt/"
    )
    assert response.status_code == 200
    assert _reads(contact_teacher) == [("referral_end", "owner")]


def test_meeting_page_reshown_after_refused_held_is_logged(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/moter/{meeting.uuid}/holdt/", {"pupil_view": " ", "version": "1"}
    )
    assert response.status_code == 200
    assert _reads(contact_teacher) == [("meeting", "owner")]


def test_meeting_page_reshown_after_refused_cancel_is_logged(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/moter/{meeting.uuid}/avlys/", {"reason": "Sykdom", "version": "7"}
    )
    assert response.status_code == 200
    assert _reads(contact_teacher) == [("meeting", "owner")]


def test_task_done_fragment_read_is_logged(client_for, case, contact_teacher):
    at_level(case, "2A")
    task = assign_task(
        case, description="Skjema", due=TODAY, assignee_user=contact_teacher, by=contact_teacher
    )
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/oppgaver/{task.pk}/utfort/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert _reads(contact_teacher) == [("case_mappings", "owner")]


def test_access_log_names_consent_referral_and_mapping_reads(client_for, case, leader):
    for what in ("consent_withdraw", "referral_end", "case_mappings"):
        CaseAccessLog.objects.create(
            case=case, user=leader, at=case.opened_at, basis="leader", what=what
        )
    html = client_for(leader).get(log_url(case)).content.decode()
    assert "Trekk samtykke" in html
    assert "Avslutt henvisningen til PPT" in html
    assert "Kartlegging og oppgaver (sakssiden)" in html


@pytest.mark.parametrize(
    "tail",
    [
        "samtaler/ny/",
        "moter/nytt/",
        "kartlegging/ny/",
        "samtykke/ny/",
        "henvisning/ny/",
    ],
)
def test_case_form_page_read_is_logged(client_for, case, contact_teacher, tail):
    response = client_for(contact_teacher).get(f"/saker/{case.uuid}/{tail}")
    assert response.status_code == 200
    assert _reads(contact_teacher) == [("case_form", "owner")]
