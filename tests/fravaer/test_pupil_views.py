import datetime as dt
import re

import pytest
from django.urls import reverse

from fravaer.models import AbsenceRecord, ContactLog
from tests.factories import absence, acknowledged_flag
from tests.pages import post_contact


def test_pupil_page_shows_totals_records_and_calendar(client_for, contact_teacher, pupil):
    absence(pupil, dt.date(2026, 11, 16), contact_teacher)
    absence(
        pupil,
        dt.date(2026, 11, 17),
        contact_teacher,
        kind="lesson",
        lessons=2,
        subject="Matematikk",
        documented=True,
    )
    absence(pupil, dt.date(2026, 11, 17), contact_teacher, kind="late", minutes_late=10)
    response = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid]))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.days, totals.hours, totals.late) == (1, 2, 1)
    assert (totals.days_documented, totals.hours_documented) == (0, 2)
    # 01.08–18.11.2026 has 78 weekdays; grade 5 has 5 lessons a day.
    assert totals.school_days == 78
    assert totals.absent_lessons == 7
    assert totals.percent == round(100 * 7 / (78 * 5), 1)
    html = response.content.decode()
    assert "2 timer Matematikk" in html
    assert "For sent, 10 min" in html
    november = next(m for m in response.context["months"] if m.first.month == 11)
    cells = {c.date: c for week in november.weeks for c in week if c}
    assert "abs-day" in cells[dt.date(2026, 11, 16)].css
    assert "undocumented" in cells[dt.date(2026, 11, 16)].css
    assert "closed" in cells[dt.date(2026, 11, 15)].css
    assert "Kalenderen som tekst" in html


def test_removed_records_do_not_count(client_for, contact_teacher, pupil):
    record = absence(pupil, dt.date(2026, 11, 16), contact_teacher)
    client = client_for(contact_teacher)
    response = client.post(reverse("record_remove", args=[pupil.uuid, record.pk]))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.deleted_by == contact_teacher and record.deleted_at is not None
    response = client.get(reverse("pupil", args=[pupil.uuid]))
    assert response.context["totals"].days == 0


def test_pupil_page_adds_a_record(client_for, contact_teacher, pupil):
    response = client_for(contact_teacher).post(
        reverse("pupil_add_record", args=[pupil.uuid]),
        {"date": "2026-11-17", "kind": "late", "minutes_late": "15", "reason": ""},
    )
    assert response.status_code == 302
    record = AbsenceRecord.objects.get()
    assert (record.kind, record.minutes_late, record.reason.code) == ("late", 15, "unknown")


def test_pupil_page_refuses_a_second_day_record(client_for, contact_teacher, pupil):
    absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    response = client_for(contact_teacher).post(
        reverse("pupil_add_record", args=[pupil.uuid]), {"date": "17.11.2026", "kind": "day"}
    )
    assert response.status_code == 200
    assert "allerede fravær hele dagen 17.11.2026" in response.content.decode()
    assert AbsenceRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-11-19", "Datoen kan ikke være fram i tid."),
        ("2026-11-14", "er ikke en skoledag ved elevens skole"),
        ("ikke-en-dato", "Oppgi en gyldig dato."),
    ],
)
def test_pupil_page_rejects_bad_dates_and_keeps_input(
    client_for, contact_teacher, pupil, day, message
):
    response = client_for(contact_teacher).post(
        reverse("pupil_add_record", args=[pupil.uuid]),
        {"date": day, "kind": "day", "note": "Tannlege"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="Tannlege"' in html
    assert not AbsenceRecord.objects.exists()


def test_record_edit_keeps_history(client_for, contact_teacher, pupil):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    client = client_for(contact_teacher)
    url = reverse("record_edit", args=[pupil.uuid, record.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "day", "documented": "on", "reason": "illness", "note": "Mor ringte"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.documented and record.reason.code == "illness"
    assert record.updated_by == contact_teacher
    change = record.changes.get(action="updated")
    assert change.before["documented"] is False


def test_record_edit_rejects_bad_input_and_keeps_it(client_for, contact_teacher, pupil):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    response = client_for(contact_teacher).post(
        reverse("record_edit", args=[pupil.uuid, record.pk]),
        {"kind": "lesson", "lessons": "", "note": "Halv dag"},
    )
    assert response.status_code == 200
    assert "Oppgi antall timer." in response.content.decode()
    assert 'value="Halv dag"' in response.content.decode()
    record.refresh_from_db()
    assert record.kind == "day"


def test_contact_log_is_saved_and_listed(client_for, contact_teacher, pupil):
    guardian = pupil.guardians.get()
    client = client_for(contact_teacher)
    url = reverse("contact_log", args=[pupil.uuid])
    response = post_contact(client, pupil, guardian=guardian.pk, summary="Syk, kommer i morgen.")
    assert response.status_code == 302
    log = ContactLog.objects.get()
    assert log.logged_by == contact_teacher and log.guardian == guardian
    assert "Syk, kommer i morgen." in client.get(url).content.decode()


def test_contact_log_rejects_future_time_and_keeps_text(client_for, contact_teacher, pupil):
    response = post_contact(
        client_for(contact_teacher),
        pupil,
        contacted_at="2026-11-20T09:30",
        summary="Skrevet på forhånd",
    )
    assert response.status_code == 200
    assert "kan ikke være fram i tid" in response.content.decode()
    assert "Skrevet på forhånd" in response.content.decode()
    assert not ContactLog.objects.exists()


def test_contact_log_refuses_a_time_more_than_a_year_back(client_for, contact_teacher, pupil):
    from fravaer.actions import AbsenceRuleError, log_contact

    response = post_contact(
        client_for(contact_teacher), pupil, contacted_at="1900-01-01T10:00", summary="Feil år"
    )
    html = response.content.decode()
    assert "Kontakten må ha vært i løpet av det siste året." in html and "Feil år" in html
    assert not ContactLog.objects.exists()
    with pytest.raises(AbsenceRuleError) as error:
        log_contact(
            pupil,
            contacted_at=dt.datetime(1900, 1, 1, 9, tzinfo=dt.UTC),
            channel="phone",
            counterpart="guardian",
            summary="x",
            outcome="clarified",
            by=contact_teacher,
        )
    assert error.value.code == "contact_too_old"


def test_contact_log_htmx_returns_fragment(client_for, contact_teacher, pupil):
    response = client_for(contact_teacher).get(
        reverse("contact_log", args=[pupil.uuid]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'id="contact-log"' in html and "<html" not in html


def test_contact_log_refuses_another_pupils_guardian(
    client_for, contact_teacher, pupil, other_pupil
):
    from fravaer.models import Guardian

    stranger = Guardian.objects.create(municipality=other_pupil.municipality, name="X")
    stranger.pupils.add(other_pupil)
    response = post_contact(client_for(contact_teacher), pupil, guardian=stranger.pk)
    assert response.status_code == 200
    assert not ContactLog.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "team_member", "nurse"])
def test_school_staff_read_pupil_page_but_cannot_write(
    request, client_for, contact_teacher, pupil, persona
):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse("pupil", args=[pupil.uuid]))
    assert response.status_code == 200
    assert 'action="' + reverse("pupil_add_record", args=[pupil.uuid]) not in (
        response.content.decode()
    )
    assert (
        client.post(
            reverse("pupil_add_record", args=[pupil.uuid]), {"date": "2026-11-16", "kind": "day"}
        ).status_code
        == 404
    )
    assert client.get(reverse("record_edit", args=[pupil.uuid, record.pk])).status_code == 404
    assert client.post(reverse("record_remove", args=[pupil.uuid, record.pk])).status_code == 404
    assert client.post(reverse("contact_log", args=[pupil.uuid]), {}).status_code == 404
    assert client.get(reverse("contact_log", args=[pupil.uuid])).status_code == 200


PUPIL_URLS = [
    ("pupil", "get"),
    ("pupil_add_record", "post"),
    ("contact_log", "get"),
    ("contact_log", "post"),
]


@pytest.mark.parametrize(
    "persona", ["outsider", "ppt_advisor", "municipal_admin", "subject_teacher"]
)
@pytest.mark.parametrize(("name", "method"), PUPIL_URLS)
def test_pupil_urls_are_404_for_others(request, client_for, pupil, persona, name, method):
    client = client_for(request.getfixturevalue(persona))
    response = getattr(client, method)(reverse(name, args=[pupil.uuid]))
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "ppt_advisor", "subject_teacher"])
def test_record_urls_are_404_for_others(request, client_for, contact_teacher, pupil, persona):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("record_edit", args=[pupil.uuid, record.pk])).status_code == 404
    assert client.post(reverse("record_remove", args=[pupil.uuid, record.pk])).status_code == 404
    assert AbsenceRecord.objects.current().count() == 1


def test_record_of_another_pupil_is_404(client_for, contact_teacher, pupil, other_pupil, outsider):
    foreign = absence(other_pupil, dt.date(2026, 11, 17), outsider)
    client = client_for(contact_teacher)
    assert client.get(reverse("record_edit", args=[pupil.uuid, foreign.pk])).status_code == 404


def test_pupil_urls_require_login(client, pupil):
    response = client.get(reverse("pupil", args=[pupil.uuid]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_pupil_moved_to_another_class_leaves_old_contact_teacher(
    client_for, contact_teacher, pupil, other_group
):
    from fravaer.models import Enrollment

    Enrollment.objects.filter(pupil=pupil).update(end=dt.date(2026, 11, 1))
    Enrollment.objects.create(pupil=pupil, group=other_group, start=dt.date(2026, 11, 2))
    assert client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).status_code == 404


def test_group_page_lists_pupils_with_totals(
    client_for, contact_teacher, pupil, group, django_assert_max_num_queries
):
    absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    client = client_for(contact_teacher)
    client.get(reverse("group", args=[group.pk]))
    with django_assert_max_num_queries(4):
        response = client.get(reverse("group", args=[group.pk]))
    rows = response.context["rows"]
    assert rows[0][0] == pupil and rows[0][1].days == 1


@pytest.mark.parametrize("persona", ["outsider", "ppt_advisor", "subject_teacher"])
def test_group_page_is_404_for_others(request, client_for, group, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("group", args=[group.pk])).status_code == 404


def test_removing_a_record_removed_already_says_so(client_for, contact_teacher, leader, pupil):
    """Two tabs, or two people: the second "Fjern" is told, not shown a 404 page. Only
    to those who may edit: for anyone else it stays 404."""
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    url = reverse("record_remove", args=[pupil.uuid, record.pk])
    client = client_for(contact_teacher)
    assert client.post(url).status_code == 302
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "Registreringen er allerede fjernet." in response.content.decode()
    assert client_for(leader).post(url).status_code == 404


def test_every_table_on_the_pupil_page_has_a_caption(client_for, contact_teacher, pupil):
    """Earlier flags, the records and the contact log are tables a screen reader names
    by their caption (visually hidden where the heading above says the same)."""
    absence(pupil, dt.date(2026, 11, 16), contact_teacher)
    acknowledged_flag(pupil, by=contact_teacher, reason="Kjent sak.")
    client = client_for(contact_teacher)
    assert post_contact(client, pupil).status_code == 302
    html = client.get(reverse("pupil", args=[pupil.uuid])).content.decode()
    tables = re.findall(r"<table[^>]*>\s*(<caption[^>]*>[^<]*</caption>)?", html)
    captions = [c for c in tables if c]
    assert len(tables) > 3  # the three lists and the calendar's months
    assert len(captions) == len(tables)
    for name in ("Tidligere varsler", "Registrert fravær", "Logget kontakt"):
        assert any(f">{name}</caption>" in c for c in captions), name
