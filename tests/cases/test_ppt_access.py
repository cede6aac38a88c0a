"""PPT's view: the list of referred cases and nothing else, reading a referred case on
the basis `ppt_referral`, and losing it at once when the referral or consent ends."""

from __future__ import annotations

import pytest
from guardian.shortcuts import assign_perm

from cases.actions.consent import end_referral, refer_to_ppt, withdraw_consent
from cases.models import CaseAccessLog
from fravaer.models import Guardian, Municipality, StaffRole
from tests.cases.conftest import make_case
from tests.conftest import TODAY, make_pupil, make_user
from tests.factories import give, make_flag

pytestmark = pytest.mark.django_db

LIST = "/ppt/saker/"


def page(case) -> str:
    return f"/saker/{case.uuid}/"


def referred(case, by):
    give(case, by)
    return refer_to_ppt(case, reason="Pedagogisk analyse", by=by)


def pupil_with_guardian(group, first="Lise"):
    p = make_pupil(group, first=first)
    Guardian.objects.create(municipality=group.school.municipality, name=f"Mor {first}").pupils.add(
        p
    )
    return p


@pytest.fixture
def other_cases(group, other_group, contact_teacher, outsider):
    """An unreferred case at the same school and one at another school."""
    same = make_case(pupil_with_guardian(group, "Siri"), by=contact_teacher)
    other = make_case(pupil_with_guardian(other_group, "Tor"), by=outsider)
    return same, other


def test_ppt_list_shows_exactly_the_referred_case(
    client_for, case, contact_teacher, ppt_advisor, other_cases
):
    referred(case, contact_teacher)
    response = client_for(ppt_advisor).get(LIST)
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [case.pk]
    body = response.content.decode()
    assert "Ola Nordmann" in body
    assert "Nordby skole" in body
    assert "18.11.2026" in body
    for other in other_cases:
        assert other.pupil.full_name not in body
        assert client_for(ppt_advisor).get(page(other)).status_code == 404


def test_ppt_list_excludes_cases_of_another_municipality(client_for, case, contact_teacher):
    referred(case, contact_teacher)
    elsewhere = Municipality.objects.create(name="Annenby")
    advisor = make_user("ppt@annenby.no")
    StaffRole.objects.create(user=advisor, role="ppt_advisor", municipality=elsewhere)
    assert list(client_for(advisor).get(LIST).context["cases"]) == []
    assert client_for(advisor).get(page(case)).status_code == 404


def test_ppt_list_query_count_does_not_grow_with_cases(
    client_for,
    group,
    other_group,
    contact_teacher,
    outsider,
    ppt_advisor,
    django_assert_max_num_queries,
):
    client = client_for(ppt_advisor)
    referred(make_case(pupil_with_guardian(group, "A"), by=contact_teacher), contact_teacher)
    client.get(LIST)  # warm the per-session caches (unread count)
    with django_assert_max_num_queries(4) as one:
        client.get(LIST)
    for n, grp in enumerate([group, other_group, group, other_group]):
        by = contact_teacher if grp == group else outsider
        referred(make_case(pupil_with_guardian(grp, f"B{n}"), by=by), by)
    with django_assert_max_num_queries(len(one.captured_queries)) as many:
        response = client.get(LIST)
    assert len(response.context["cases"]) == 5
    assert len(many.captured_queries) == len(one.captured_queries)


def test_ppt_reads_referred_case_and_log_says_ppt_referral(
    client_for, case, contact_teacher, ppt_advisor
):
    referred(case, contact_teacher)
    response = client_for(ppt_advisor).get(page(case))
    assert response.status_code == 200
    log = CaseAccessLog.objects.get(case=case, user=ppt_advisor)
    assert (log.basis, log.what) == ("ppt_referral", "case_page")


def test_ppt_sees_consent_and_participants_but_no_forms(
    client_for, case, contact_teacher, ppt_advisor
):
    referred(case, contact_teacher)
    body = client_for(ppt_advisor).get(page(case)).content.decode()
    assert "Samtykke og henvisning" in body
    assert "Deltakere fra andre tjenester" in body
    assert "Kartlegging og tiltak" in body
    assert f"/saker/{case.uuid}/samtykke/ny/" not in body
    assert "/trekk/" not in body
    assert "/avslutt/" not in body


def test_ending_referral_makes_next_request_404_and_empties_list(
    client_for, case, contact_teacher, ppt_advisor
):
    referral = referred(case, contact_teacher)
    client = client_for(ppt_advisor)
    assert client.get(page(case)).status_code == 200
    end_referral(referral, by=contact_teacher)
    assert client.get(page(case)).status_code == 404
    assert list(client.get(LIST).context["cases"]) == []


def test_withdrawing_consent_makes_next_request_404_and_empties_list(
    client_for, case, contact_teacher, ppt_advisor
):
    referred(case, contact_teacher)
    client = client_for(ppt_advisor)
    assert client.get(page(case)).status_code == 200
    consent = case.consents.get()
    client_for(contact_teacher).post(
        f"/saker/{case.uuid}/samtykke/{consent.pk}/trekk/", {"withdrawn_on": TODAY.isoformat()}
    )
    client = client_for(ppt_advisor)
    assert client.get(page(case)).status_code == 404
    assert list(client.get(LIST).context["cases"]) == []


def test_withdraw_action_revokes_immediately(client_for, case, contact_teacher, ppt_advisor):
    referred(case, contact_teacher)
    withdraw_consent(case.consents.get(), withdrawn_on=TODAY, by=contact_teacher)
    assert client_for(ppt_advisor).get(page(case)).status_code == 404


def test_advisor_joining_after_referral_sees_case(client_for, case, contact_teacher, municipality):
    referred(case, contact_teacher)
    newcomer = make_user("ny-ppt@testvik.no")
    StaffRole.objects.create(user=newcomer, role="ppt_advisor", municipality=municipality)
    assert client_for(newcomer).get(page(case)).status_code == 200
    assert [c.pk for c in client_for(newcomer).get(LIST).context["cases"]] == [case.pk]


def test_advisor_leaving_ppt_loses_case(client_for, case, contact_teacher, ppt_advisor):
    referred(case, contact_teacher)
    StaffRole.objects.filter(user=ppt_advisor).delete()
    assert client_for(ppt_advisor).get(page(case)).status_code == 404


def test_expired_consent_closes_ppt_access(client_for, case, contact_teacher, ppt_advisor):
    referred(case, contact_teacher)
    case.consents.update(expires_on=TODAY.replace(day=17), given_on=TODAY.replace(day=1))
    assert client_for(ppt_advisor).get(page(case)).status_code == 404


def test_ppt_list_redirects_anonymous_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith("/logg-inn/")


def test_ppt_list_404_for_other_roles(client_for, contact_teacher, leader, team_member):
    for user in (contact_teacher, leader, team_member):
        assert client_for(user).get(LIST).status_code == 404


def test_ppt_list_404_for_school_nurse_even_with_school_role(client_for, nurse):
    assert client_for(nurse).get(LIST).status_code == 404


def test_home_links_ppt_to_the_list(client_for, ppt_advisor):
    body = client_for(ppt_advisor).get("/").content.decode()
    assert f'href="{LIST}"' in body


def test_ppt_without_referral_sees_nothing(client_for, case, ppt_advisor):
    assert client_for(ppt_advisor).get(page(case)).status_code == 404
    assert list(client_for(ppt_advisor).get(LIST).context["cases"]) == []


def test_stray_per_user_grant_without_active_referral_is_404(client_for, case, ppt_advisor):
    assign_perm("cases.view_case", ppt_advisor, case)  # e.g. made by hand in the admin
    assert client_for(ppt_advisor).get(page(case)).status_code == 404
    assert not CaseAccessLog.objects.exists()


def test_ppt_sees_the_cases_flags_but_not_the_rest_of_the_pupils_absence(
    client_for, case, contact_teacher, ppt_advisor
):
    """The referral covers the case: the flags attached to it, not the pupil's other
    active flags, which the school's own people still see."""
    from django.utils import timezone

    from cases.actions.core import attach_flags

    attached = make_flag(case.pupil, "month_days")
    attach_flags(case, [attached], now=timezone.now())
    other = make_flag(case.pupil, "undocumented")
    referred(case, contact_teacher)
    ppt = client_for(ppt_advisor).get(page(case))
    assert ppt.context["attached_flags"] == [attached]
    assert ppt.context["active_flags"] == []
    html = ppt.content.decode()
    assert "Elevens andre aktive varsler" not in html
    assert "Ingen andre aktive varsler" not in html  # it has one: PPT is not told either way
    school = client_for(contact_teacher).get(page(case))
    assert school.context["active_flags"] == [other]
