"""The referral to PPT: needs PPT consent, grants the municipality's PPT access to
that case, and ending it (or withdrawing the consent) revokes the access at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.access import referred_cases, visible_cases
from cases.actions.consent import end_referral, refer_to_ppt, withdraw_consent
from cases.actions.core import close_case
from cases.models import CaseEvent, CaseGroupObjectPermission, Referral, Service
from fravaer.models import Notification
from tests.conftest import TODAY
from tests.factories import give, refused

pytestmark = pytest.mark.django_db


def events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind))


def test_referral_needs_ppt_consent(case, contact_teacher):
    refused("referral_needs_consent", refer_to_ppt, case, reason="Analyse", by=contact_teacher)
    assert not Referral.objects.exists()


def test_referral_needs_ppt_consent_not_another_service(case, contact_teacher):
    give(case, contact_teacher, service=Service.BUP)
    refused("referral_needs_consent", refer_to_ppt, case, reason="Analyse", by=contact_teacher)


def test_referral_refused_on_withdrawn_consent(case, contact_teacher):
    consent = give(case, contact_teacher)
    withdraw_consent(consent, withdrawn_on=TODAY, by=contact_teacher)
    refused("referral_needs_consent", refer_to_ppt, case, reason="Analyse", by=contact_teacher)


def test_referral_refused_on_expired_consent(case, contact_teacher):
    give(
        case,
        contact_teacher,
        given_on=TODAY - dt.timedelta(days=30),
        expires_on=TODAY - dt.timedelta(days=1),
        # Recorded two days ago, while it was still in force; it has expired since.
        now=timezone.now() - dt.timedelta(days=2),
    )
    refused("referral_needs_consent", refer_to_ppt, case, reason="Analyse", by=contact_teacher)


def test_referral_needs_a_reason(case, contact_teacher):
    give(case, contact_teacher)
    refused("referral_reason", refer_to_ppt, case, reason="  ", by=contact_teacher)


def test_second_active_referral_is_refused(case, contact_teacher):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    refused("referral_already_active", refer_to_ppt, case, reason="Igjen", by=contact_teacher)
    assert Referral.objects.count() == 1


def test_referral_writes_events_grants_and_notifies(case, contact_teacher, ppt_advisor):
    consent = give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    assert referral.consent == consent
    made = events(case, CaseEvent.Kind.REFERRAL_MADE)
    assert [e.text for e in made] == ["Pedagogisk analyse"]
    (granted,) = events(case, CaseEvent.Kind.ACCESS_GRANTED)
    assert granted.data["basis"] == "ppt_referral"
    assert granted.data["users"] == [ppt_advisor.pk]
    grant = CaseGroupObjectPermission.objects.get(content_object=case)
    assert grant.permission.codename == "view_case"
    assert Notification.objects.filter(user=ppt_advisor, pupil=case.pupil).count() == 1


def test_end_referral_revokes_and_writes_events(case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    end_referral(referral, by=contact_teacher, reason="Ferdig")
    assert Referral.objects.get().ended_at is not None
    assert not CaseGroupObjectPermission.objects.exists()
    assert [e.text for e in events(case, CaseEvent.Kind.REFERRAL_ENDED)] == ["Ferdig"]
    (revoked,) = events(case, CaseEvent.Kind.ACCESS_REVOKED)
    assert revoked.data["basis"] == "ppt_referral"
    assert not visible_cases(ppt_advisor).filter(pk=case.pk).exists()


def test_end_referral_twice_is_refused(case, contact_teacher):
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    stale = Referral.objects.get(pk=referral.pk)
    end_referral(referral, by=contact_teacher)
    refused("referral_ended", end_referral, stale, by=contact_teacher)


def test_withdrawing_ppt_consent_ends_referral_and_access(case, contact_teacher, ppt_advisor):
    consent = give(case, contact_teacher)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    withdraw_consent(consent, withdrawn_on=TODAY, by=contact_teacher)
    assert Referral.objects.get().ended_at is not None
    assert len(events(case, CaseEvent.Kind.REFERRAL_ENDED)) == 1
    assert len(events(case, CaseEvent.Kind.ACCESS_REVOKED)) == 1
    assert not referred_cases(ppt_advisor).exists()


def test_withdrawing_another_consent_keeps_referral(case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    bup = give(case, contact_teacher, service=Service.BUP)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    withdraw_consent(bup, withdrawn_on=TODAY, by=contact_teacher)
    assert Referral.objects.get().ended_at is None
    assert referred_cases(ppt_advisor).count() == 1


def test_closing_the_case_ends_referral_and_access(case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    close_case(case, reason="moved", by=contact_teacher, version=case.version)
    assert not visible_cases(ppt_advisor).filter(pk=case.pk).exists()


def test_referral_refused_on_closed_case(case, contact_teacher):
    give(case, contact_teacher)
    close_case(case, reason="moved", by=contact_teacher, version=case.version)
    refused("case_closed", refer_to_ppt, case, reason="Analyse", by=contact_teacher)


# --- the pages --------------------------------------------------------------------------


def test_referral_page_refers(client_for, case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/henvisning/ny/", {"reason": "Pedagogisk analyse"}
    )
    assert response.status_code == 302
    assert Referral.objects.get(case=case).reason == "Pedagogisk analyse"


def test_referral_page_without_consent_shows_message_and_keeps_reason(
    client_for, case, contact_teacher
):
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/henvisning/ny/", {"reason": "Min grunn"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("krever samtykke fra foresatte for PPT") == 1  # said once
    assert "Min grunn" in page
    assert not Referral.objects.exists()


def test_referral_page_without_consent_offers_consent_not_a_form(client_for, case, contact_teacher):
    page = client_for(contact_teacher).get(f"/saker/{case.uuid}/henvisning/ny/").content.decode()
    assert "krever samtykke fra foresatte for PPT" in page
    assert f'href="/saker/{case.uuid}/samtykke/ny/"' in page
    assert 'name="reason"' not in page


def test_end_referral_page_ends(client_for, case, contact_teacher):
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/henvisning/{referral.pk}/avslutt/", {"reason": "Ferdig"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.end_reason == "Ferdig"


def test_referral_pages_redirect_anonymous(client, case):
    response = client.post(f"/saker/{case.uuid}/henvisning/ny/", {"reason": "x"})
    assert response.status_code == 302
    assert response.url.startswith("/logg-inn/")


def test_referral_pages_404_for_outsider_and_subject_teacher(
    client_for, case, contact_teacher, outsider, subject_teacher
):
    give(case, contact_teacher)
    for user in (outsider, subject_teacher):
        response = client_for(user).post(f"/saker/{case.uuid}/henvisning/ny/", {"reason": "x"})
        assert response.status_code == 404
    assert not Referral.objects.exists()


def test_ppt_cannot_end_its_own_referral(client_for, case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    response = client_for(ppt_advisor).post(
        f"/saker/{case.uuid}/henvisning/{referral.pk}/avslutt/", {"reason": ""}
    )
    assert response.status_code == 404
    assert Referral.objects.get().ended_at is None


def test_ppt_cannot_refer(client_for, case, contact_teacher, ppt_advisor):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    client = client_for(ppt_advisor)
    assert client.get(f"/saker/{case.uuid}/").status_code == 200
    assert client.get(f"/saker/{case.uuid}/henvisning/ny/").status_code == 404


# --- the timeline names PPT as people do ---------------------------------------------------


def test_closing_writes_access_revoked_with_ppts_name(case, contact_teacher, municipality):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    close_case(case, reason="moved", by=contact_teacher, version=case.version)
    granted = events(case, CaseEvent.Kind.ACCESS_GRANTED)[0]
    revoked = events(case, CaseEvent.Kind.ACCESS_REVOKED)[0]
    assert granted.text == revoked.text == "PPT i Testvik"
    assert revoked.data["groups"] == [f"ppt-kommune-{municipality.pk}"]


def test_timeline_shows_ppts_name_for_access_events_written_with_the_group_id(
    client_for, case, contact_teacher, municipality
):
    from cases.actions.timeline import add_event

    group = f"ppt-kommune-{municipality.pk}"
    add_event(
        case,
        CaseEvent.Kind.ACCESS_GRANTED,
        by=contact_teacher,
        now=timezone.now(),
        text=group,
        group=group,
    )
    add_event(
        case,
        CaseEvent.Kind.ACCESS_REVOKED,
        by=contact_teacher,
        now=timezone.now(),
        text=group,
        groups=[group],
        users=[],
        basis="ppt_referral",
    )
    response = client_for(contact_teacher).get(f"/saker/{case.uuid}/")
    shown = {
        e.kind: e.display_text
        for e in response.context["timeline"]
        if e.kind in (CaseEvent.Kind.ACCESS_GRANTED, CaseEvent.Kind.ACCESS_REVOKED)
    }
    assert shown == {
        CaseEvent.Kind.ACCESS_GRANTED: "PPT i Testvik",
        CaseEvent.Kind.ACCESS_REVOKED: "PPT i Testvik",
    }
    assert group not in response.content.decode()


def test_close_form_says_the_referral_ends_and_ppt_loses_access(
    client_for, case, contact_teacher, ppt_advisor
):
    from django.urls import reverse

    page = reverse("cases:case", args=[case.uuid])
    warning = "Henvisningen til PPT avsluttes, og PPT mister tilgangen til saken."
    assert warning not in client_for(contact_teacher).get(page).content.decode()
    give(case, contact_teacher)
    referral = refer_to_ppt(case, reason="Analyse", by=contact_teacher)
    html = client_for(contact_teacher).get(page).content.decode()
    close_form = html[html.index('id="avslutt"') :]
    assert warning in close_form[: close_form.index("</form>")]
    end_referral(referral, by=contact_teacher)
    assert warning not in client_for(contact_teacher).get(page).content.decode()
