"""A pupil who turns 15 while the case is open: the guardians' consent stays in force for
what it covers; the case page asks the owner for the pupil's own consent; the owner is
reminded once; a new consent, renewal or referral needs the pupil's consent too."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import (
    add_participant,
    cases_needing_pupil_consent,
    refer_to_ppt,
    remind_pupil_consent,
    withdraw_consent,
)
from cases.errors import CaseRuleError
from cases.models import Case, Consent, Level, Referral, Service
from cases.queries import case_prompts
from cases.tasks import remind_pupil_consent_daily
from fravaer.models import Notification, TeachingAssignment
from tests import factories
from tests.conftest import TODAY

BIRTHDAY = dt.date(2026, 11, 25)  # the pupil turns 15 a week after TODAY
AFTER = dt.date(2026, 11, 30)


def on(day: dt.date):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.get_default_timezone()),
        tick=False,
    )


@pytest.fixture
def turning_15(pupil):
    pupil.birth_date = dt.date(BIRTHDAY.year - 15, BIRTHDAY.month, BIRTHDAY.day)
    pupil.save(update_fields=["birth_date"])
    return pupil


def give(case, **extra) -> Consent:
    """The guardians' consent (and the pupil's, with `pupil_consented=True`), today."""
    return factories.give(case, case.owner, given_on=timezone.localdate(), **extra)


def at_2a(case) -> Case:
    Case.objects.filter(pk=case.pk).update(level=Level.NIVA_2A)
    case.refresh_from_db()
    return case


@pytest.fixture
def guardians_consent(case, turning_15):
    """At 14, the guardians consent to PPT alone."""
    return give(at_2a(case))


def page(client, case) -> str:
    return client.get(reverse("cases:case", args=[case.uuid])).content.decode()


# --- the guardians' consent stays in force ------------------------------------------------


def test_the_guardians_consent_still_counts_after_the_15th_birthday(case, guardians_consent):
    with on(AFTER):
        assert guardians_consent.is_active(timezone.localdate())
        participant = add_participant(case, service=Service.PPT, name="Per PPT", by=case.owner)
    assert participant.removed_at is None


def test_a_referral_made_before_the_birthday_stays_active(case, guardians_consent):
    referral = refer_to_ppt(case, reason="Pedagogisk analyse", by=case.owner)
    with on(AFTER):
        prompts = case_prompts(Case.objects.get(pk=case.pk), timezone.localdate())
    referral.refresh_from_db()
    assert referral.ended_at is None
    assert [c.pk for c in prompts.consents_needing_pupil] == [guardians_consent.pk]


# --- the case page asks -----------------------------------------------------------------


def test_the_case_page_asks_the_owner_for_the_pupils_consent_from_the_birthday(
    client_for, case, contact_teacher, guardians_consent
):
    with on(BIRTHDAY):
        html = page(client_for(contact_teacher), case)
    assert "Eleven fylte 15 år 25.11.2026 og må nå også samtykke selv." in html
    assert f"{reverse('cases:consent_new', args=[case.uuid])}?fra={guardians_consent.pk}" in html


def test_the_case_page_does_not_ask_before_the_birthday(
    client_for, case, contact_teacher, guardians_consent
):
    with on(BIRTHDAY - dt.timedelta(days=1)):
        html = page(client_for(contact_teacher), case)
    assert "må nå også samtykke selv" not in html


def test_the_case_page_stops_asking_once_the_pupil_has_consented(
    client_for, case, contact_teacher, guardians_consent
):
    with on(AFTER):
        give(case, pupil_consented=True)
        html = page(client_for(contact_teacher), case)
    assert "må nå også samtykke selv" not in html


def test_the_case_page_does_not_ask_for_a_withdrawn_consent(
    client_for, case, contact_teacher, guardians_consent
):
    with on(AFTER):
        withdraw_consent(guardians_consent, withdrawn_on=AFTER, by=contact_teacher)
        html = page(client_for(contact_teacher), case)
    assert "må nå også samtykke selv" not in html


def test_the_renewal_form_starts_from_the_consent_it_renews(
    client_for, case, contact_teacher, guardians_consent
):
    url = reverse("cases:consent_new", args=[case.uuid]) + f"?fra={guardians_consent.pk}"
    with on(AFTER):
        response = client_for(contact_teacher).get(url)
    form = response.context["form"]
    assert form["service"].value() == Service.PPT
    assert form["purpose"].value() == "Kartlegging og tiltak"
    assert list(form["guardians"].value()) == list(
        case.pupil.guardians.values_list("pk", flat=True)
    )
    assert not form["pupil_consented"].value()
    assert "Eleven er 15 år eller eldre og må også samtykke selv." in response.content.decode()


def test_the_renewal_form_ignores_another_cases_consent(
    client_for, case, contact_teacher, guardians_consent, other_pupil, outsider
):
    from tests.cases.conftest import make_case

    other = make_case(other_pupil, by=outsider)
    other_consent = Consent.objects.create(
        case=other,
        service=Service.BUP,
        purpose="Hemmelig formål",
        given_on=TODAY,
        recorded_by=outsider,
        recorded_at=timezone.now(),
    )
    url = reverse("cases:consent_new", args=[case.uuid]) + f"?fra={other_consent.pk}"
    response = client_for(contact_teacher).get(url)
    assert "Hemmelig formål" not in response.content.decode()


# --- a new consent, renewal or referral after the birthday -------------------------------


def test_a_new_consent_after_the_birthday_is_refused_without_the_pupil_and_keeps_the_form(
    client_for, case, contact_teacher, guardians_consent
):
    guardian = case.pupil.guardians.get()
    with on(AFTER):
        response = client_for(contact_teacher).post(
            reverse("cases:consent_new", args=[case.uuid]),
            {
                "service": Service.PPT,
                "purpose": "Fornyet: kartlegging og tiltak",
                "guardians": [guardian.pk],
                "given_on": AFTER.isoformat(),
            },
        )
    form = response.context["form"]
    assert form.errors["pupil_consented"] == [
        "Eleven var 15 år da samtykket ble gitt. Fra 15 år må eleven også samtykke selv: "
        "bekreft at eleven har samtykket."
    ]
    assert form["purpose"].value() == "Fornyet: kartlegging og tiltak"
    assert Consent.objects.filter(case=case).count() == 1


def test_a_referral_after_the_birthday_needs_the_pupils_consent(case, guardians_consent):
    with on(AFTER), pytest.raises(CaseRuleError) as exc:
        refer_to_ppt(case, reason="Pedagogisk analyse", by=case.owner)
    assert exc.value.code == "referral_needs_pupil_consent"
    assert not Referral.objects.exists()


def test_a_referral_after_the_birthday_rests_on_the_consent_the_pupil_gave(case, guardians_consent):
    with on(AFTER):
        renewed = give(case, pupil_consented=True)
        referral = refer_to_ppt(case, reason="Pedagogisk analyse", by=case.owner)
    assert referral.consent == renewed


def test_the_referral_page_refuses_without_the_pupils_consent_and_keeps_the_reason(
    client_for, case, contact_teacher, guardians_consent
):
    url = reverse("cases:referral_new", args=[case.uuid])
    with on(AFTER):
        client = client_for(contact_teacher)
        shown = client.get(url).content.decode()
        response = client.post(url, {"reason": "Trenger pedagogisk analyse."})
    assert "krever også elevens eget samtykke" in shown
    html = response.content.decode()
    assert "krever også elevens eget samtykke" in html
    assert response.context["form"]["reason"].value() == "Trenger pedagogisk analyse."
    assert not Referral.objects.exists()


# --- the owner is reminded once ---------------------------------------------------------


def _reminders(user):
    return list(Notification.objects.filter(user=user, key__startswith="case:"))


def test_the_owner_is_reminded_once(case, contact_teacher, guardians_consent):
    assert remind_pupil_consent(AFTER) == 1
    assert remind_pupil_consent(AFTER) == 0
    assert remind_pupil_consent(AFTER + dt.timedelta(days=1)) == 0
    [reminder] = _reminders(contact_teacher)
    assert reminder.text.startswith("Eleven i en sak du har ansvar for, har fylt 15 år")
    assert reminder.link == reverse("cases:case", args=[case.uuid])
    case.refresh_from_db()
    assert case.pupil_consent_reminded_at is not None


def test_an_owner_who_left_the_school_is_not_reminded_until_a_new_owner_is(
    case, contact_teacher, guardians_consent, team_member
):
    # The owner's class assignment ended before the birthday: they may no longer see
    # the case, so they are not told about it; the board asks for a new owner.
    TeachingAssignment.objects.filter(user=contact_teacher).update(
        valid_to=BIRTHDAY - dt.timedelta(days=1)
    )
    assert remind_pupil_consent(AFTER) == 0
    assert _reminders(contact_teacher) == []
    Case.objects.filter(pk=case.pk).update(owner=team_member)
    assert remind_pupil_consent(AFTER) == 1
    assert len(_reminders(team_member)) == 1


def test_the_daily_task_reminds_once(case, contact_teacher, guardians_consent):
    assert remind_pupil_consent_daily.apply(args=[AFTER.isoformat()]).get() == {"reminded": 1}
    assert remind_pupil_consent_daily.apply(args=[AFTER.isoformat()]).get() == {"reminded": 0}
    assert len(_reminders(contact_teacher)) == 1


def test_no_reminder_before_the_birthday(case, contact_teacher, guardians_consent):
    assert remind_pupil_consent(BIRTHDAY - dt.timedelta(days=1)) == 0
    assert _reminders(contact_teacher) == []


def test_no_reminder_for_a_closed_case(case, contact_teacher, guardians_consent):
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now(), close_reason="moved"
    )
    assert remind_pupil_consent(AFTER) == 0


@pytest.mark.parametrize(
    "setup",
    ["guardians_only", "pupil_too", "withdrawn", "other_service_with_pupil", "none"],
)
def test_the_reminders_sql_agrees_with_the_case_page(case, turning_15, setup):
    at_2a(case)
    if setup != "none":
        consent = give(case)
    with on(AFTER):
        if setup == "pupil_too":
            give(case, pupil_consented=True)
        elif setup == "withdrawn":
            withdraw_consent(consent, withdrawn_on=AFTER, by=case.owner)
        elif setup == "other_service_with_pupil":
            give(case, service=Service.BUP, pupil_consented=True)
        today = timezone.localdate()
        page_asks = bool(case_prompts(Case.objects.get(pk=case.pk), today).consents_needing_pupil)
        scan_finds = cases_needing_pupil_consent(today).filter(pk=case.pk).exists()
    assert page_asks == scan_finds == (setup in ("guardians_only", "other_service_with_pupil"))
