"""The flag screens: the header's inbox link, the inbox, the contact teacher's start
page, acknowledging, the pupil page's flags and patterns, the leaders' overview and
the municipality's rule settings."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fravaer import access
from fravaer.actions import scan_absence
from fravaer.models import (
    Enrollment,
    Flag,
    Municipality,
    Notification,
    RuleSetting,
    RuleSettingChange,
    StaffRole,
)
from fravaer.scan import Scope
from tests.conftest import make_pupil, make_user
from tests.factories import absence, acknowledged_flag, make_flag, notify
from tests.pages import ack_url, html_of, query_count, rules_url, settings_post


@pytest.fixture(autouse=True)
def _empty_cache():
    # The unread count is cached per user; primary keys repeat between tests.
    cache.clear()
    yield
    cache.clear()


# --- the header's inbox link ---------------------------------------------------------------


def test_header_shows_the_unread_count(client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    for _i in range(3):
        notify(contact_teacher, make_flag(pupil))
    notify(contact_teacher, flag, read=True)
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    assert "Varsler (3)" in html
    assert reverse("inbox") in html


def test_header_count_costs_no_query_on_a_warm_cache(client_for, contact_teacher, group, pupil):
    notify(contact_teacher, make_flag(pupil))
    client = client_for(contact_teacher)
    client.get(reverse("group", args=[group.pk]))
    with CaptureQueriesContext(connection) as ctx:
        html = html_of(client.get(reverse("group", args=[group.pk])))
    assert "Varsler (1)" in html
    assert not [q for q in ctx.captured_queries if "fravaer_notification" in q["sql"]]


def test_header_link_has_no_count_without_unread(client_for, contact_teacher):
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    assert re.search(r'id="inbox-link"[^>]*>Varsler</a>', html)


def test_marking_read_updates_the_count(client_for, contact_teacher, pupil):
    notify(contact_teacher, make_flag(pupil))
    notify(contact_teacher, make_flag(pupil))
    client = client_for(contact_teacher)
    assert "Varsler (2)" in html_of(client.get(reverse("home")))
    client.post(reverse("inbox_mark_read"), {"alle": "1"})
    html = html_of(client.get(reverse("home")))
    assert "Varsler (" not in html


# --- the inbox -------------------------------------------------------------------------------


def test_inbox_shows_own_notifications_newest_first(client_for, contact_teacher, leader, pupil):
    older = notify(
        contact_teacher,
        make_flag(pupil, "year_days_notice", period_key="2026-2027"),
        created_at=timezone.now() - dt.timedelta(days=2),
    )
    newer = notify(contact_teacher, make_flag(pupil, "month_days"))
    notify(leader, make_flag(pupil, "month_late"))
    response = client_for(contact_teacher).get(reverse("inbox"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [newer, older]
    html = html_of(response)
    assert "Ola Nordmann" in html
    assert "Dager i en måned" in html and "Dager i skoleåret (tidlig varsel)" in html
    assert "4 dager i november 2026; grense: mer enn 3." in html
    assert "Forsentkomminger i en måned" not in html  # the leader's
    assert reverse("pupil", args=[pupil.uuid]) in html


def test_inbox_hides_the_pupil_it_may_no_longer_show(client_for, contact_teacher, pupil):
    notify(contact_teacher, make_flag(pupil))
    Enrollment.objects.filter(pupil=pupil).update(end=dt.date(2026, 11, 1))
    html = html_of(client_for(contact_teacher).get(reverse("inbox")))
    assert "En elev du ikke lenger har tilgang til" in html
    assert "Ola Nordmann" not in html
    assert "4 dager i november" not in html
    assert reverse("pupil", args=[pupil.uuid]) not in html
    assert "Dager i en måned" in html


def test_inbox_marks_one_notification_read(client_for, contact_teacher, pupil):
    first = notify(contact_teacher, make_flag(pupil))
    second = notify(contact_teacher, make_flag(pupil))
    response = client_for(contact_teacher).post(
        reverse("inbox_mark_read"), {"varsling": str(first.pk), "side": "1"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("inbox") + "?side=1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_inbox_cannot_mark_someone_elses_notification(client_for, contact_teacher, leader, pupil):
    theirs = notify(leader, make_flag(pupil))
    client_for(contact_teacher).post(reverse("inbox_mark_read"), {"varsling": str(theirs.pk)})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_inbox_mark_all_read_with_htmx_returns_the_list_and_the_header_link(
    client_for, contact_teacher, pupil
):
    notify(contact_teacher, make_flag(pupil))
    notify(contact_teacher, make_flag(pupil))
    response = client_for(contact_teacher).post(
        reverse("inbox_mark_read"), {"alle": "1"}, headers={"HX-Request": "true"}
    )
    html = html_of(response)
    assert response.status_code == 200
    assert '<div id="inbox-list"' in html and "<html" not in html
    assert 'hx-swap-oob="true"' in html and "Varsler (" not in html
    assert "Alle varsler er merket som lest." in html
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_inbox_paginates_fifty_a_page(client_for, contact_teacher, pupil):
    for _i in range(51):
        notify(contact_teacher, make_flag(pupil))
    client = client_for(contact_teacher)
    assert len(client.get(reverse("inbox")).context["page"]) == 50
    assert len(client.get(reverse("inbox") + "?side=2").context["page"]) == 1


def test_inbox_query_count_does_not_grow_with_notifications(client_for, contact_teacher, group):
    client = client_for(contact_teacher)
    pupils = [make_pupil(group) for _i in range(30)]
    for p in pupils[:3]:
        notify(contact_teacher, make_flag(p))
    few = query_count(client, reverse("inbox"))
    for p in pupils[3:]:
        notify(contact_teacher, make_flag(p))
    assert query_count(client, reverse("inbox")) == few


def test_a_message_lists_its_flags_and_links_to_the_rest(client_for, contact_teacher, group):
    pupils = [make_pupil(group) for _i in range(8)]
    flags = [make_flag(p) for p in pupils]
    message = notify(contact_teacher, *flags)
    client = client_for(contact_teacher)
    response = client.get(reverse("inbox"))
    html = html_of(response)
    assert "8 nye varsler" in html
    shown = [n.preview for n in response.context["page"]][0]
    assert shown == flags[:5]  # the first five, in id order
    assert html.count("4 dager i november 2026; grense: mer enn 3.") == 5
    link = reverse("inbox_message", args=[message.pk])
    assert "Se alle 8 varsler" in html and link in html

    page = client.get(link)
    assert page.status_code == 200
    assert sorted(f.pk for f in page.context["page"]) == sorted(f.pk for f in flags)
    assert html_of(page).count("4 dager i november 2026; grense: mer enn 3.") == 8
    assert "Merk som lest" in html_of(page)


def test_a_message_with_one_flag_shows_it_without_a_link(client_for, contact_teacher, pupil):
    message = notify(contact_teacher, make_flag(pupil))
    html = html_of(client_for(contact_teacher).get(reverse("inbox")))
    assert "1 nytt varsel" in html and "Ola Nordmann" in html
    assert reverse("inbox_message", args=[message.pk]) not in html


def test_a_read_message_does_not_call_its_flags_new(client_for, contact_teacher, group):
    flags = [make_flag(make_pupil(group)) for _i in range(7)]
    message = notify(contact_teacher, *flags, read=True)
    client = client_for(contact_teacher)
    html = html_of(client.get(reverse("inbox")))
    assert "7 varsler" in html and "nye varsler" not in html
    assert "Se alle 7 varsler, etter elevens navn" in html
    page = html_of(client.get(reverse("inbox_message", args=[message.pk])))
    assert "<title>7 varsler" in page and "nye varsler" not in page


def test_someone_elses_message_is_404(client_for, contact_teacher, leader, pupil):
    theirs = notify(leader, make_flag(pupil))
    client = client_for(contact_teacher)
    assert client.get(reverse("inbox_message", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("inbox_message", args=[theirs.pk + 999])).status_code == 404


def test_a_message_page_hides_pupils_the_reader_may_no_longer_see(
    client_for, contact_teacher, pupil
):
    message = notify(contact_teacher, make_flag(pupil))
    Enrollment.objects.filter(pupil=pupil).update(end=dt.date(2026, 11, 1))
    html = html_of(client_for(contact_teacher).get(reverse("inbox_message", args=[message.pk])))
    assert "En elev du ikke lenger har tilgang til" in html
    assert "Ola Nordmann" not in html and "4 dager i november" not in html


def test_a_deleted_flag_drops_out_of_its_message(client_for, contact_teacher, pupil):
    kept, gone = make_flag(pupil, "month_days"), make_flag(pupil, "month_late")
    notify(contact_teacher, kept, gone)
    gone.delete()
    response = client_for(contact_teacher).get(reverse("inbox"))
    assert response.context["page"][0].preview == [kept]


def test_a_message_whose_first_flags_are_deleted_still_links_to_the_rest(
    client_for, contact_teacher, group
):
    flags = [make_flag(make_pupil(group)) for _i in range(6)]
    message = notify(contact_teacher, *flags)
    for flag in flags[:5]:
        flag.delete()
    html = html_of(client_for(contact_teacher).get(reverse("inbox")))
    assert "Varslene i denne meldingen er slettet." not in html
    assert reverse("inbox_message", args=[message.pk]) in html


def test_a_message_page_lists_pupils_it_may_not_name_last_and_unsorted(
    client_for, contact_teacher, group
):
    hidden_z = make_pupil(group, first="Zoe", last="Aaberg")
    seen = make_pupil(group, first="Per", last="Olsen")
    hidden_a = make_pupil(group, first="Anna", last="Aa")
    flags = [make_flag(hidden_z), make_flag(seen), make_flag(hidden_a)]
    message = notify(contact_teacher, *flags)
    Enrollment.objects.filter(pupil__in=[hidden_z, hidden_a]).update(end=dt.date(2026, 11, 1))
    response = client_for(contact_teacher).get(reverse("inbox_message", args=[message.pk]))
    shown = list(response.context["page"])
    assert [f.pk for f in shown] == [flags[1].pk, flags[0].pk, flags[2].pk]
    assert [f.pupil_visible for f in shown] == [True, False, False]


def test_message_flags_ignores_someone_elses_message(contact_teacher, leader, pupil):
    theirs = notify(leader, make_flag(pupil))
    assert not access.message_flags(contact_teacher, [theirs]).exists()
    assert access.message_flags(leader, [theirs]).count() == 1


def test_inbox_query_count_does_not_grow_with_flags_per_message(client_for, contact_teacher, group):
    client = client_for(contact_teacher)
    pupils = [make_pupil(group) for _i in range(30)]
    notify(contact_teacher, make_flag(pupils[0]))
    few = query_count(client, reverse("inbox"))
    for i in range(3):
        notify(contact_teacher, *[make_flag(p) for p in pupils[i * 10 : i * 10 + 10]])
    assert query_count(client, reverse("inbox")) == few


def test_inbox_requires_login(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.post(reverse("inbox_mark_read"), {"alle": "1"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_mark_read_needs_post(client_for, contact_teacher):
    assert client_for(contact_teacher).get(reverse("inbox_mark_read")).status_code == 405


# --- the contact teacher's start page ------------------------------------------------------


def test_start_page_lists_flagged_pupils_most_urgent_first_with_actions(
    client_for, contact_teacher, group, pupil
):
    now = timezone.now()
    other = make_pupil(group, first="Kari", last="Berg")
    old_flag = make_flag(pupil, "month_days", raised_at=now - dt.timedelta(days=3))
    new_flag = make_flag(other, "month_late", raised_at=now)
    response = client_for(contact_teacher).get(reverse("home"))
    entries = response.context["flagged_pupils"]
    # Days in a month come before late arrivals in a month (queries.urgency), however
    # new the late arrivals' flag.
    assert [e.pupil for e in entries] == [pupil, other]
    assert entries[0].flags == [old_flag]
    html = html_of(response)
    assert "Elever med aktive varsler" in html
    assert "4 dager i november 2026; grense: mer enn 3." in html
    assert "4 forsentkomminger i november 2026; grense: mer enn 3." in html
    assert reverse("contact_log", args=[pupil.uuid]) in html
    assert reverse("pupil", args=[pupil.uuid]) in html
    assert reverse("flag_acknowledge", args=[pupil.uuid, old_flag.pk]) in html
    assert reverse("flag_acknowledge", args=[other.uuid, new_flag.pk]) in html
    # Each flag offers to open a case in one click (issue #4).
    assert reverse("cases:case_open", args=[pupil.uuid]) in html


def test_start_page_leaves_out_patterns_settled_flags_and_other_classes(
    client_for, contact_teacher, pupil, other_pupil
):
    make_flag(pupil, "pattern_weekday", details={"weekday": 0, "total": 4})
    make_flag(pupil, "month_days", status="cleared", cleared_at=timezone.now())
    make_flag(other_pupil, "month_days")
    response = client_for(contact_teacher).get(reverse("home"))
    assert response.context["flagged_pupils"] == []
    assert "Ingen av elevene dine har aktive varsler." in html_of(response)


def test_start_page_query_count_is_the_same_for_3_and_30_flagged_pupils(
    client_for, contact_teacher, group
):
    client = client_for(contact_teacher)
    pupils = [make_pupil(group) for _i in range(30)]

    def flag_with_records(p):
        days = [absence(p, dt.date(2026, 11, d), contact_teacher) for d in (2, 3, 4, 5)]
        make_flag(p, "month_days")
        # One named record removed since: still shown, read by a query of its own.
        days[0].deleted_at = timezone.now()
        days[0].save(update_fields=["deleted_at"])
        make_flag(p, "undocumented", record_ids=[days[0].pk, days[1].pk])

    for p in pupils[:3]:
        flag_with_records(p)
    few = query_count(client, reverse("home"))
    for p in pupils[3:]:
        flag_with_records(p)
    assert query_count(client, reverse("home")) == few
    entries = client.get(reverse("home") + "?alle=1").context["flagged_pupils"]
    assert len(entries) == 30
    # Each flag with the records behind it, as on the pupil page, and only its pupil's.
    for entry in entries:
        by_rule = {f.rule: f.evidence for f in entry.flags}
        assert {r.pupil_id for e in by_rule.values() for r in e} == {entry.pupil.pk}
        assert [r.date.day for r in by_rule["month_days"]] == [3, 4, 5]
        assert [r.date.day for r in by_rule["undocumented"]] == [2, 3]


def test_start_page_shows_a_flag_raised_by_a_real_scan(client_for, contact_teacher, pupil, school):
    for day in (2, 3, 4, 5):
        absence(pupil, dt.date(2026, 11, day), contact_teacher, documented=True)
    scan_absence(Scope(school_ids=(school.pk,)), as_of=dt.date(2026, 11, 18))
    client = client_for(contact_teacher)
    html = html_of(client.get(reverse("home")))
    assert "4 dager i november 2026; grense: mer enn 3." in html
    assert "4 hele dager fravær i skoleåret 2026–2027; grense: 4 dager." in html
    assert "Varsler (1)" in html  # one message about both flags
    # The records behind each flag, as after acknowledging one there.
    assert "Alt fravær 01.11.2026–18.11.2026 (4 registreringer)" in html


def test_leaders_and_admins_get_links_from_their_start_page(
    client_for, leader, municipal_admin, contact_teacher, school, municipality
):
    assert reverse("school_flags", args=[school.pk]) in html_of(
        client_for(leader).get(reverse("home"))
    )
    assert reverse("municipality_rules", args=[municipality.pk]) in html_of(
        client_for(municipal_admin).get(reverse("home"))
    )
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    assert "/skole/" not in html and "/kommune/" not in html


# --- acknowledging a flag ----------------------------------------------------------------------


def test_acknowledge_keeps_the_reason_and_who(client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    client = client_for(contact_teacher)
    response = client.post(
        ack_url(flag), {"reason": " influensa, avklart med foresatte ", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledgement == "influensa, avklart med foresatte"
    assert flag.acknowledged_by == contact_teacher and flag.acknowledged_at is not None
    html = html_of(client.get(reverse("pupil", args=[pupil.uuid])))
    assert "Varselet er kvittert ut." in html
    assert "«influensa, avklart med foresatte»" in html


def test_acknowledge_requires_a_reason(client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": "   "})
    assert response.status_code == 200
    assert "Skriv en kort begrunnelse." in html_of(response)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE


def test_acknowledge_error_shows_what_was_typed(client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    typed = "avklart " * 40  # over 300 characters
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": typed})
    html = html_of(response)
    assert "høyst 300 tegn" in html
    assert f'value="{typed}"' in html
    assert 'aria-invalid="true"' in html


def test_second_acknowledge_says_it_is_already_done(client_for, contact_teacher, leader, pupil):
    flag = make_flag(pupil)
    client_for(leader).post(ack_url(flag), {"reason": "snakket med mor"})
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": "influensa"})
    assert response.status_code == 200
    html = html_of(response)
    assert "Varselet er allerede kvittert ut eller avklart." in html
    flag.refresh_from_db()
    assert flag.acknowledged_by == leader and flag.acknowledgement == "snakket med mor"


def test_acknowledge_ignores_a_foreign_next(client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": "ok", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("pupil", args=[pupil.uuid]) + "#varsler"


def test_acknowledge_with_htmx_returns_the_flag(client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": "influensa"}, headers={"HX-Request": "true"}
    )
    html = html_of(response)
    assert response.status_code == 200 and "<html" not in html
    assert f'id="flag-{flag.pk}"' in html
    assert "Kvittert ut av" in html and "Varselet er kvittert ut." in html


def test_acknowledge_with_htmx_and_no_reason_keeps_the_form_open(
    client_for, contact_teacher, pupil
):
    flag = make_flag(pupil)
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": ""}, headers={"HX-Request": "true"}
    )
    html = html_of(response)
    assert "Skriv en kort begrunnelse." in html and '<details class="ds-details" open>' in html


@pytest.mark.parametrize("persona", ["leader", "team_member"])
def test_school_staff_may_acknowledge(request, client_for, pupil, persona):
    flag = make_flag(pupil)
    client_for(request.getfixturevalue(persona)).post(ack_url(flag), {"reason": "fulgt opp"})
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED


@pytest.mark.parametrize(
    "persona", ["outsider", "ppt_advisor", "subject_teacher", "municipal_admin"]
)
def test_acknowledge_is_404_for_others(request, client_for, pupil, persona):
    flag = make_flag(pupil)
    response = client_for(request.getfixturevalue(persona)).post(ack_url(flag), {"reason": "x"})
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE


def test_acknowledge_another_pupils_flag_through_this_pupil_is_404(
    client_for, contact_teacher, leader, pupil, other_pupil
):
    flag = make_flag(other_pupil)
    url = reverse("flag_acknowledge", args=[pupil.uuid, flag.pk])
    assert client_for(contact_teacher).post(url, {"reason": "x"}).status_code == 404


def test_acknowledge_needs_login_and_post(client, client_for, contact_teacher, pupil):
    flag = make_flag(pupil)
    response = client.post(ack_url(flag), {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client_for(contact_teacher).get(ack_url(flag)).status_code == 405


# --- the pupil page ------------------------------------------------------------------------------


def test_pupil_page_shows_active_and_past_flags(client_for, contact_teacher, leader, pupil):
    make_flag(pupil, "month_days")
    acknowledged_flag(pupil, "month_late", by=leader, reason="influensa, avklart med foresatte")
    make_flag(pupil, "undocumented", status="cleared", cleared_at=timezone.now())
    response = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid]))
    flags = response.context["pupil_flags"]
    assert [f.rule for f in flags.active] == ["month_days"]
    assert sorted(f.rule for f in flags.past) == ["month_late", "undocumented"]
    html = html_of(response)
    assert 'id="varsler"' in html and "Tidligere varsler" in html
    assert "4 dager i november 2026; grense: mer enn 3." in html
    assert "Kvittert ut" in html and "«influensa, avklart med foresatte»" in html
    assert str(leader) in html
    assert "Avklart" in html


def test_pupil_page_shows_patterns_with_their_evidence(client_for, contact_teacher, pupil):
    mondays = [dt.date(2026, 11, d) for d in (2, 9, 16)]
    records = [absence(pupil, day, contact_teacher) for day in mondays]
    absence(pupil, dt.date(2026, 11, 11), contact_teacher, kind="late", minutes_late=5)
    make_flag(
        pupil,
        "pattern_weekday",
        period_start=dt.date(2026, 10, 8),
        value=Decimal(3),
        details={"weekday": 0, "total": 4},
        record_ids=[r.pk for r in records],
        episode_open=True,
    )
    response = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid]))
    patterns = response.context["pupil_flags"].patterns
    assert [r.date for r in patterns[0].evidence] == mondays
    assert response.context["pupil_flags"].active == []
    html = html_of(response)
    assert "Mønstre" in html and "Mønster: samme ukedag" in html
    assert "3 av 4 fraværsdager 08.10.2026–18.11.2026 var på en mandag." in html
    for day in mondays:
        assert f"Mandag {day:%d.%m.%Y}: Hele dagen" in html
    assert "Onsdag 11.11.2026" not in html.split('id="monstre"')[1].split("</section>")[0]


def test_pupil_page_suggests_the_school_nurse_for_much_illness(client_for, contact_teacher, pupil):
    make_flag(
        pupil,
        "illness_share",
        period_key="2026-2027",
        period_start=dt.date(2026, 8, 1),
        period_end=dt.date(2027, 7, 31),
        value=Decimal(6),
        threshold=Decimal(5),
    )
    html = html_of(client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])))
    # A flag to the contact teacher, acknowledged like the others: shown once, among
    # the flags, not again among the patterns (which "are not alerts").
    varsler = html.split('id="varsler"')[1].split("</section>")[0]
    monstre = html.split('id="monstre"')[1].split("</section>")[0]
    assert "Vurder å involvere helsesykepleier." in varsler
    assert "Vurder å involvere helsesykepleier." not in monstre
    assert "Forslag:" not in html


def test_pupil_page_lists_the_records_in_a_period_flags_period(client_for, contact_teacher, pupil):
    absence(pupil, dt.date(2026, 10, 30), contact_teacher)
    inside = [absence(pupil, dt.date(2026, 11, d), contact_teacher) for d in (2, 3, 4, 5)]
    make_flag(pupil, "month_days")
    response = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid]))
    flag = response.context["pupil_flags"].active[0]
    assert flag.evidence == inside
    assert "Alt fravær 01.11.2026–18.11.2026 (4 registreringer)" in html_of(response)


def test_pupil_page_shows_the_record_of_an_undocumented_flag(client_for, contact_teacher, pupil):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    make_flag(
        pupil,
        "undocumented",
        period_start=record.date,
        period_end=record.date,
        record=record,
        record_ids=[record.pk],
    )
    response = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid]))
    assert response.context["pupil_flags"].active[0].evidence == [record]
    assert "Fraværet bak varselet (1 registrering)" in html_of(response)


# --- the leaders' overview -----------------------------------------------------------------------


@pytest.fixture
def school_with_flags(group, pupil, school, school_year):
    from tests.conftest import make_group

    group_b = make_group(school, school_year, name="6B", grade=6)
    kari = make_pupil(group_b, first="Kari", last="Berg")
    make_flag(pupil, "month_days")
    make_flag(pupil, "undocumented")
    make_flag(kari, "month_days")
    make_flag(kari, "pattern_weekday", details={"weekday": 0, "total": 4})
    make_flag(kari, "month_late", status="cleared", cleared_at=timezone.now())
    return group, group_b, pupil, kari


@pytest.mark.parametrize("persona", ["leader", "team_member"])
def test_school_flags_by_rule_and_class(request, client_for, school, school_with_flags, persona):
    group, group_b, pupil, kari = school_with_flags
    client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse("school_flags", args=[school.pk]))
    assert response.status_code == 200
    table = response.context["table"]
    assert table["columns"] == [group, group_b]
    counts = {(row["rule"].code, col.name): n for row in table["rows"] for col, n in row["cells"]}
    assert counts == {
        ("undocumented", "5A"): 1,
        ("undocumented", "6B"): 0,
        ("month_days", "5A"): 1,
        ("month_days", "6B"): 1,
    }
    assert table["total"] == 3
    assert len(response.context["page"]) == 3
    html = html_of(response)
    assert "Ola Nordmann" in html and "Kari Berg" in html
    assert "Mønster" not in html.split('id="liste"')[1]


def test_attendance_contact_sees_the_school_flags(client_for, school, school_with_flags):
    user = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    assert client_for(user).get(reverse("school_flags", args=[school.pk])).status_code == 200


def test_school_flags_filter_by_rule_and_class(client_for, leader, school, school_with_flags):
    group, group_b, pupil, kari = school_with_flags
    client = client_for(leader)
    url = reverse("school_flags", args=[school.pk])
    page = client.get(url, {"regel": "month_days"}).context["page"]
    assert {f.pupil for f in page} == {pupil, kari}
    page = client.get(url, {"klasse": group_b.pk}).context["page"]
    assert [f.pupil for f in page] == [kari]
    page = client.get(url, {"regel": "month_days", "klasse": group.pk}).context["page"]
    assert [(f.pupil, f.rule) for f in page] == [(pupil, "month_days")]


def test_school_flags_ignores_an_unknown_filter(client_for, leader, school, school_with_flags):
    response = client_for(leader).get(
        reverse("school_flags", args=[school.pk]), {"regel": "nonsense", "klasse": "x"}
    )
    assert response.status_code == 200 and len(response.context["page"]) == 3


@pytest.mark.parametrize(
    "persona", ["contact_teacher", "subject_teacher", "nurse", "ppt_advisor", "municipal_admin"]
)
def test_school_flags_is_404_for_other_roles(request, client_for, school, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("school_flags", args=[school.pk])).status_code == 404


def test_school_flags_is_404_for_another_schools_leader(client_for, school, other_school):
    user = make_user("rektor@sorby.no")
    StaffRole.objects.create(user=user, role="school_leader", school=other_school)
    assert client_for(user).get(reverse("school_flags", args=[school.pk])).status_code == 404
    assert client_for(user).get(reverse("school_flags", args=[other_school.pk])).status_code == 200


def test_school_flags_requires_login(client, school):
    response = client.get(reverse("school_flags", args=[school.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_school_flags_query_count_is_the_same_for_3_and_30_flagged_pupils(
    client_for, leader, school, group
):
    client = client_for(leader)
    url = reverse("school_flags", args=[school.pk])
    pupils = [make_pupil(group) for _i in range(30)]
    for p in pupils[:3]:
        make_flag(p, "month_days")
    few = query_count(client, url)
    for p in pupils[3:]:
        make_flag(p, "month_days")
        make_flag(p, "undocumented")
    assert query_count(client, url) == few


def test_a_school_no_longer_sees_the_flags_of_a_pupil_who_left_it(
    client_for, leader, school, pupil, other_group
):
    """A flag outlives the pupil's move (the scan of the school they left no longer
    covers them); that school's overview and start page leave them out, as the pupil
    page (404) does. The new school's leaders do not see the old school's flag either:
    it is the old school's record."""
    make_flag(pupil, "month_days")
    stays = make_flag(make_pupil(pupil.enrollments.get().group, first="Kari"), "month_days")
    Enrollment.objects.filter(pupil=pupil).update(end=dt.date(2026, 11, 17))
    Enrollment.objects.create(pupil=pupil, group=other_group, start=dt.date(2026, 11, 18))
    client = client_for(leader)
    assert client.get(reverse("pupil", args=[pupil.uuid])).status_code == 404
    response = client.get(reverse("school_flags", args=[school.pk]))
    html = response.content.decode()
    assert pupil.full_name not in html
    assert stays.pupil.full_name in html
    assert response.context["table"]["total"] == 1
    home = client.get(reverse("home"))
    assert [s.active_flags for s in home.context["flag_schools"]] == [1]


# --- the municipality's rule settings -----------------------------------------------------------


def test_rules_page_names_every_rule_its_default_and_source(
    client_for, municipal_admin, municipality
):
    from fravaer.thresholds import RULE_LIST

    response = client_for(municipal_admin).get(rules_url(municipality))
    assert response.status_code == 200
    html = html_of(response)
    for rule in RULE_LIST:
        assert str(rule.name) in html
    for source in ("Søndre Land", "Harstad", "Kearney (2008)", "Færder"):
        assert source in html
    assert "Ingen endringer ennå" in html


def test_rules_page_saves_changes_and_logs_them(client_for, municipal_admin, municipality):
    client = client_for(municipal_admin)
    response = client.post(
        rules_url(municipality),
        settings_post(month_days_threshold="4", month_late_enabled=None),
    )
    assert response.status_code == 302
    settings = {s.rule: s for s in RuleSetting.objects.filter(municipality=municipality)}
    assert set(settings) == {"month_days", "month_late"}
    assert settings["month_days"].threshold == Decimal(4) and settings["month_days"].enabled
    assert not settings["month_late"].enabled
    changes = list(RuleSettingChange.objects.filter(municipality=municipality))
    assert {c.rule for c in changes} == {"month_days", "month_late"}
    assert all(c.by == municipal_admin for c in changes)
    html = html_of(client.get(rules_url(municipality)))
    assert "Lagret: 2 regler er endret." in html
    assert "på, grense 3" in html and "på, grense 4" in html and "av, grense 3" in html
    assert str(municipal_admin) in html


def test_rules_page_unchanged_save_logs_nothing(client_for, municipal_admin, municipality):
    client = client_for(municipal_admin)
    response = client.post(rules_url(municipality), settings_post(), follow=True)
    assert "Ingen endringer å lagre." in html_of(response)
    assert not RuleSettingChange.objects.exists() and not RuleSetting.objects.exists()


def test_rules_page_accepts_a_decimal_comma(client_for, municipal_admin, municipality):
    client_for(municipal_admin).post(
        rules_url(municipality), settings_post(fifteen_weeks_days_threshold="7,5")
    )
    setting = RuleSetting.objects.get(rule="fifteen_weeks_days")
    assert setting.threshold == Decimal("7.5")


@pytest.mark.parametrize("bad", ["-1", "tre", ""])
def test_rules_page_rejects_a_bad_threshold_and_saves_nothing(
    client_for, municipal_admin, municipality, bad
):
    response = client_for(municipal_admin).post(
        rules_url(municipality),
        settings_post(month_days_threshold="5", month_hours_threshold=bad),
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "Dette må rettes før det kan lagres" in html
    assert "Grense for «Timer i en måned»" in html
    expected = "Skriv en grense." if bad == "" else "Grensen må være et tall fra 0 til 100 timer."
    assert expected in html
    assert f'value="{bad}"' in html or bad == ""
    assert 'name="month_days_threshold" value="5"' in html
    assert not RuleSetting.objects.exists() and not RuleSettingChange.objects.exists()


@pytest.mark.parametrize(
    "persona", ["leader", "contact_teacher", "ppt_advisor", "team_member", "outsider"]
)
def test_rules_page_is_404_for_others(request, client_for, municipality, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(rules_url(municipality)).status_code == 404
    assert client.post(rules_url(municipality), settings_post()).status_code == 404


def test_rules_page_is_404_for_another_municipalitys_admin(client_for, municipality):
    elsewhere = Municipality.objects.create(name="Andreby")
    user = make_user("admin@andreby.no")
    StaffRole.objects.create(user=user, role="municipal_admin", municipality=elsewhere)
    assert client_for(user).get(rules_url(municipality)).status_code == 404


def test_rules_page_requires_login(client, municipality):
    response = client.get(rules_url(municipality))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- URLs carry no personal data ------------------------------------------------------------------


def test_flag_pages_link_pupils_by_uuid_only(client_for, contact_teacher, leader, school, pupil):
    notify(contact_teacher, make_flag(pupil))
    pages = [
        client_for(contact_teacher).get(reverse("home")),
        client_for(contact_teacher).get(reverse("inbox")),
        client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])),
        client_for(leader).get(reverse("school_flags", args=[school.pk])),
    ]
    for response in pages:
        hrefs = re.findall(r'(?:href|action|hx-post)="([^"]*)"', html_of(response))
        pupil_links = [h for h in hrefs if h.startswith("/elever/")]
        assert pupil_links
        for href in pupil_links:
            assert href.startswith(f"/elever/{pupil.uuid}/")
        for href in hrefs:
            assert pupil.pupil_id not in href
            assert "Nordmann" not in href and "Ola" not in href


def test_pupil_page_offers_a_case_inside_the_flag_so_acknowledging_removes_it(
    client_for, contact_teacher, pupil
):
    """The acknowledge form swaps the flag's own element: "Opprett sak" sits inside it,
    so it goes with the flag instead of staying behind to open a case from it."""
    flag = make_flag(pupil)
    client = client_for(contact_teacher)
    html = client.get(reverse("pupil", args=[pupil.uuid])).content.decode()
    assert ("flag", str(flag.pk)) in _inputs_inside(html, f"flag-{flag.pk}")
    swapped = client.post(
        reverse("flag_acknowledge", args=[pupil.uuid, flag.pk]),
        {"reason": "Influensa, avklart med foresatte", "next": "/"},
        headers={"HX-Request": "true", "HX-Target": f"flag-{flag.pk}"},
    ).content.decode()
    assert "Kvittert ut av" in swapped
    assert "Opprett sak" not in swapped


def _inputs_inside(html: str, element_id: str) -> set[tuple[str, str]]:
    """(name, value) of the inputs inside the <div> with `element_id`."""
    from html.parser import HTMLParser

    class Inside(HTMLParser):
        depth = 0
        found: set[tuple[str, str]] = set()

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "div" and (self.depth or attrs.get("id") == element_id):
                self.depth += 1
            elif tag == "input" and self.depth:
                self.found.add((attrs.get("name"), attrs.get("value")))

        def handle_endtag(self, tag):
            if tag == "div" and self.depth:
                self.depth -= 1

    parser = Inside()
    parser.found = set()
    parser.feed(html)
    return parser.found
