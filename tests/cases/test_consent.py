"""Consent (samtykke): recording it per service and purpose, the pupil's own consent
from 15, withdrawal, and the consent pages' access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.actions.consent import age_on, record_consent, withdraw_consent
from cases.actions.core import change_level
from cases.errors import CaseRuleError
from cases.models import CaseEvent, Consent, Service
from fravaer.models import Guardian
from tests.conftest import TODAY
from tests.factories import give, refused
from tests.pages import consent_form_data, consent_url

pytestmark = pytest.mark.django_db


def set_birth(pupil, born: dt.date) -> None:
    pupil.birth_date = born
    pupil.save(update_fields=["birth_date"])


# --- the action -------------------------------------------------------------------------


def test_record_consent_stores_guardians_and_writes_event(case, contact_teacher):
    consent = give(case, contact_teacher, scope="Fravær og årsaker")
    assert list(consent.guardians.values_list("name", flat=True)) == ["Kari Nordmann"]
    assert consent.is_active(TODAY)
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONSENT_GIVEN)
    assert event.data == {"consent": consent.pk, "service": "ppt"}
    assert event.by == contact_teacher


def test_record_consent_requires_a_guardian(case, contact_teacher):
    refused(
        "consent_needs_guardian",
        record_consent,
        case,
        service=Service.PPT,
        purpose="x",
        guardians=[],
        given_on=TODAY,
        by=contact_teacher,
    )
    assert not Consent.objects.exists()


def test_record_consent_refuses_another_pupils_guardian(case, contact_teacher, municipality):
    stranger = Guardian.objects.create(municipality=municipality, name="Fremmed")
    refused(
        "consent_guardian_not_pupils",
        record_consent,
        case,
        service=Service.PPT,
        purpose="x",
        guardians=[stranger],
        given_on=TODAY,
        by=contact_teacher,
    )


def test_record_consent_refuses_a_future_date(case, contact_teacher):
    refused("consent_date_future", give, case, contact_teacher, given_on=TODAY + dt.timedelta(1))


def test_record_consent_refuses_expiry_before_given(case, contact_teacher):
    refused(
        "consent_expiry_before_given",
        give,
        case,
        contact_teacher,
        expires_on=TODAY - dt.timedelta(days=1),
    )


def test_record_consent_requires_purpose(case, contact_teacher):
    refused(
        "consent_purpose",
        record_consent,
        case,
        service=Service.PPT,
        purpose="  ",
        guardians=case.pupil.guardians.all(),
        given_on=TODAY,
        by=contact_teacher,
    )


def test_record_consent_refused_on_closed_case(case, contact_teacher):
    case.status, case.closed_at, case.close_reason = "closed", TODAY, "moved"
    refused("case_closed", give, case, contact_teacher)


def test_age_on_counts_birthday_not_yet_reached():
    class P:
        birth_date = dt.date(2011, 11, 19)

    assert age_on(P, TODAY) == 14
    assert age_on(P, TODAY + dt.timedelta(days=1)) == 15


def test_pupil_of_15_must_consent_too(case, contact_teacher, pupil):
    set_birth(pupil, dt.date(2011, 11, 18))  # 15 today
    error = refused("consent_needs_pupil", give, case, contact_teacher)
    assert "15" in error.message


def test_pupil_of_15_with_own_consent_is_recorded(case, contact_teacher, pupil):
    set_birth(pupil, dt.date(2010, 3, 1))
    consent = give(case, contact_teacher, pupil_consented=True)
    assert consent.pupil_consented


def test_pupil_consent_counts_age_on_the_day_given(case, contact_teacher, pupil):
    set_birth(pupil, dt.date(2011, 11, 18))  # 15 today, 14 a week ago
    consent = give(case, contact_teacher, given_on=TODAY - dt.timedelta(days=7))
    assert not consent.pupil_consented


def test_pupil_under_15_consent_is_not_recorded(case, contact_teacher):
    refused("consent_pupil_under_15", give, case, contact_teacher, pupil_consented=True)


def test_withdraw_consent_records_date_and_event(case, contact_teacher):
    consent = give(case, contact_teacher, given_on=TODAY - dt.timedelta(days=10))
    withdraw_consent(consent, withdrawn_on=TODAY, by=contact_teacher)
    consent.refresh_from_db()
    assert consent.withdrawn_on == TODAY
    assert not consent.is_active(TODAY)
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CONSENT_WITHDRAWN).count() == 1


def test_withdraw_consent_twice_is_refused(case, contact_teacher):
    consent = give(case, contact_teacher)
    withdraw_consent(consent, withdrawn_on=TODAY, by=contact_teacher)
    stale = Consent.objects.get(pk=consent.pk)
    stale.withdrawn_on = None  # as loaded by a second person before the first saved
    refused("consent_withdrawn", withdraw_consent, stale, withdrawn_on=TODAY, by=contact_teacher)


def test_withdraw_consent_refuses_date_before_given(case, contact_teacher):
    consent = give(case, contact_teacher)
    refused(
        "withdrawal_before_given",
        withdraw_consent,
        consent,
        withdrawn_on=TODAY - dt.timedelta(days=1),
        by=contact_teacher,
    )


def test_withdraw_consent_refuses_future_date(case, contact_teacher):
    consent = give(case, contact_teacher)
    refused(
        "withdrawal_date_future",
        withdraw_consent,
        consent,
        withdrawn_on=TODAY + dt.timedelta(days=1),
        by=contact_teacher,
    )


def test_level_2a_needs_consent_and_passes_with_it(case, contact_teacher, leader):
    case.level = "1"
    case.save(update_fields=["level"])
    kwargs = dict(to="2A", by=leader, reason="Trenger tverrfaglig", coordinator=leader)
    kwargs["leaders_informed"] = True
    refused("level2a_needs_consent", change_level, case, version=case.version, **kwargs)
    give(case, contact_teacher)
    change_level(case, version=case.version, **kwargs)
    assert case.level == "2A"


# --- the pages --------------------------------------------------------------------------


def test_consent_page_records_consent_and_redirects(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(consent_url(case), consent_form_data(case))
    assert response.status_code == 302
    assert response.url == f"/saker/{case.uuid}/#samtykke"
    assert Consent.objects.get(case=case).purpose == "Pedagogisk analyse"


def test_consent_page_keeps_typed_input_on_error(client_for, case, contact_teacher, pupil):
    set_birth(pupil, dt.date(2010, 1, 1))
    response = client_for(contact_teacher).post(
        consent_url(case), consent_form_data(case, purpose="Min tekst")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Min tekst"' in page
    assert "må også samtykke selv" in page
    assert 'id="id_pupil_consented-err"' in page
    assert not Consent.objects.exists()


def test_consent_page_hides_pupil_consent_under_15(client_for, case, contact_teacher):
    page = client_for(contact_teacher).get(consent_url(case)).content.decode()
    assert "pupil_consented" not in page
    assert "Kari Nordmann" in page


def test_consent_section_on_case_page_shows_status(client_for, case, contact_teacher):
    old = give(case, contact_teacher, given_on=TODAY - dt.timedelta(days=60))
    old.expires_on = TODAY - dt.timedelta(days=1)
    old.save(update_fields=["expires_on"])
    give(case, contact_teacher, service=Service.BUP)
    page = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert "Utløpt" in page
    assert "Gyldig" in page
    assert consent_url(case) in page


def test_withdraw_page_withdraws(client_for, case, contact_teacher):
    consent = give(case, contact_teacher)
    response = client_for(contact_teacher).post(
        consent_url(case, f"samtykke/{consent.pk}/trekk/"), {"withdrawn_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == TODAY


def test_withdraw_page_shows_error_for_future_date(client_for, case, contact_teacher):
    consent = give(case, contact_teacher)
    response = client_for(contact_teacher).post(
        consent_url(case, f"samtykke/{consent.pk}/trekk/"),
        {"withdrawn_on": (TODAY + dt.timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 200
    assert "fram i tid" in response.content.decode()


def test_consent_pages_redirect_anonymous_to_login(client, case):
    response = client.get(consent_url(case))
    assert response.status_code == 302
    assert response.url.startswith("/logg-inn/")


def test_consent_pages_404_for_outsider(client_for, case, outsider):
    assert client_for(outsider).get(consent_url(case)).status_code == 404
    assert client_for(outsider).post(consent_url(case), consent_form_data(case)).status_code == 404


def test_consent_pages_404_for_subject_teacher(client_for, case, subject_teacher):
    assert (
        client_for(subject_teacher).post(consent_url(case), consent_form_data(case)).status_code
        == 404
    )


def test_ppt_with_referral_cannot_record_or_withdraw_consent(
    client_for, case, contact_teacher, ppt_advisor
):
    from cases.actions.consent import refer_to_ppt

    consent = give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    client = client_for(ppt_advisor)
    assert client.get(f"/saker/{case.uuid}/").status_code == 200
    assert client.post(consent_url(case), consent_form_data(case)).status_code == 404
    assert (
        client.post(
            consent_url(case, f"samtykke/{consent.pk}/trekk/"), {"withdrawn_on": TODAY}
        ).status_code
        == 404
    )
    assert Consent.objects.count() == 1
    assert Consent.objects.get().withdrawn_on is None


def test_withdraw_page_404_for_consent_of_another_case(
    client_for, case, contact_teacher, other_pupil, outsider
):
    from tests.cases.conftest import make_case

    Guardian.objects.create(municipality=other_pupil.municipality, name="Per").pupils.add(
        other_pupil
    )
    other = make_case(other_pupil, by=outsider)
    foreign = give(other, outsider)
    response = client_for(contact_teacher).post(
        consent_url(case, f"samtykke/{foreign.pk}/trekk/"), {"withdrawn_on": TODAY.isoformat()}
    )
    assert response.status_code == 404


def test_case_page_queries_do_not_grow_with_consents(
    client_for, case, contact_teacher, django_assert_max_num_queries
):
    client = client_for(contact_teacher)
    give(case, contact_teacher)
    client.get(f"/saker/{case.uuid}/")  # warm the per-session caches
    with django_assert_max_num_queries(60) as one:
        client.get(f"/saker/{case.uuid}/")
    for service in (Service.BUP, Service.GP, Service.CHILD_WELFARE):
        give(case, contact_teacher, service=service)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(f"/saker/{case.uuid}/")


def test_the_action_refuses_impossible_consent_dates(case, contact_teacher):
    """The form says it first; the action holds the same rules for every caller."""
    set_birth(case.pupil, dt.date(2012, 5, 1))
    refused = [
        ({"given_on": dt.date(2012, 4, 30)}, "consent_date_before_birth"),
        (
            {
                "given_on": timezone.localdate() - dt.timedelta(days=10),
                "expires_on": timezone.localdate() - dt.timedelta(days=1),
            },
            "consent_expired",
        ),
        ({"expires_on": dt.date(2199, 1, 1)}, "consent_expiry_too_far"),
    ]
    for extra, code in refused:
        with pytest.raises(CaseRuleError) as error:
            give(case, contact_teacher, **extra)
        assert error.value.code == code
    today = timezone.localdate()
    assert give(case, contact_teacher, expires_on=today).expires_on == today
