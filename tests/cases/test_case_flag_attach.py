"""The threshold engine attaches flags raised for a pupil with an open case to it
(the `flags_raised` event: `settings.EVENT_HANDLERS` → `cases.actions.attach_new_flags`)."""

import datetime as dt

from django.conf import settings

from cases.models import CaseEvent, CaseFlag
from fravaer.actions import scan_absence
from fravaer.models import Flag
from fravaer.scan import Scope
from tests.factories import absence

TODAY = dt.date(2026, 11, 18)


def four_days(pupil, by):
    for day in [dt.date(2026, 11, d) for d in (2, 3, 4, 5)]:
        absence(pupil, day, by, documented=True)


def test_hook_is_configured():
    assert "cases.actions.attach_new_flags" in settings.EVENT_HANDLERS["flags_raised"]


def test_scan_attaches_new_flags_to_the_open_case(school, pupil, contact_teacher, case):
    four_days(pupil, contact_teacher)
    scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY)
    raised = set(Flag.objects.filter(pupil=pupil).values_list("pk", flat=True))
    assert raised
    assert set(CaseFlag.objects.filter(case=case).values_list("flag_id", flat=True)) == raised
    events = case.events.filter(kind=CaseEvent.Kind.FLAG_ATTACHED)
    assert {e.data["flag"] for e in events} == raised


def test_scan_attaches_nothing_without_open_case(school, pupil, contact_teacher):
    four_days(pupil, contact_teacher)
    scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY)
    assert Flag.objects.filter(pupil=pupil).exists()
    assert not CaseFlag.objects.exists()


def test_the_case_page_shows_each_attached_flags_status(
    client_for, school, pupil, contact_teacher, case
):
    from fravaer.actions import acknowledge_flag

    four_days(pupil, contact_teacher)
    scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY)
    flag = Flag.objects.get(pupil=pupil, rule="month_days")
    acknowledge_flag(flag, by=contact_teacher, reason="Influensa, avklart med foresatte")
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    attached = html[html.index("Knyttet til saken") : html.index("Elevens andre aktive")]
    assert "Kvittert ut" in attached and "Influensa, avklart med foresatte" in attached
    assert "Aktiv" in attached  # the other attached flag, not acknowledged
