"""Absence is never counted twice, never overwritten silently, never out of bounds."""

import datetime as dt

import pytest
from django.urls import reverse

from fravaer.models import AbsenceReason, AbsenceRecord
from tests.conftest import make_pupil
from tests.factories import absence
from tests.pages import post_contact, post_data, register_url

DAY = dt.date(2026, 11, 17)


@pytest.fixture
def anna(group):
    return make_pupil(group, first="Anna", last="Berg")


def test_subject_teacher_never_edits_another_teachers_record(
    client_for, contact_teacher, subject_teacher, group, anna
):
    theirs = absence(
        anna,
        DAY,
        contact_teacher,
        kind="lesson",
        lessons=2,
        subject="Musikk",
        documented=True,
        note="Time hos lege",
    )
    client = client_for(subject_teacher)
    page = client.get(register_url(group))
    row, form = page.context["rows"][0]
    assert row.primary is None and row.others == [theirs]
    assert "Time hos lege" not in page.content.decode()
    data = post_data(page, {"Anna": {"status": "lesson", "lessons": 1, "subject": "Matematikk"}})
    assert client.post(register_url(group), data).status_code == 302
    theirs.refresh_from_db()
    assert (theirs.lessons, theirs.subject, theirs.deleted_at) == (2, "Musikk", None)
    assert AbsenceRecord.objects.current().filter(pupil=anna).count() == 2


def test_lessons_on_a_day_already_absent_all_day_are_refused(
    client_for, contact_teacher, subject_teacher, group, anna
):
    absence(anna, DAY, contact_teacher)
    client = client_for(subject_teacher)
    data = post_data(client.get(register_url(group)), {"Anna": {"status": "lesson", "lessons": 2}})
    response = client.post(register_url(group), data)
    assert response.status_code == 200
    assert "allerede fravær hele dagen 17.11.2026" in response.content.decode()
    assert AbsenceRecord.objects.current().count() == 1


def test_whole_day_on_top_of_lesson_absence_is_refused_on_the_pupil_page(
    client_for, contact_teacher, anna
):
    absence(anna, DAY, contact_teacher, kind="lesson", lessons=2)
    response = client_for(contact_teacher).post(
        reverse("pupil_add_record", args=[anna.uuid]), {"date": "2026-11-17", "kind": "day"}
    )
    assert "Endre eller fjern det før du registrerer hele dagen" in response.content.decode()
    assert AbsenceRecord.objects.current().count() == 1


@pytest.mark.parametrize("day", ["2025-11-18", "1990-01-03", "2026-08-03"])
def test_pupil_page_refuses_dates_outside_the_pupils_time_in_class(
    client_for, contact_teacher, group, day
):
    late_arrival = make_pupil(group, first="Ny", start=dt.date(2026, 9, 1))
    response = client_for(contact_teacher).post(
        reverse("pupil_add_record", args=[late_arrival.uuid]), {"date": day, "kind": "day"}
    )
    assert response.status_code == 200
    assert "utenfor elevens tid i klassen" in response.content.decode()
    assert not AbsenceRecord.objects.exists()


def test_record_edit_refuses_a_stale_version(client_for, contact_teacher, anna):
    record = absence(anna, DAY, contact_teacher)
    client = client_for(contact_teacher)
    edit = reverse("record_edit", args=[anna.uuid, record.pk])
    stale_version = client.get(edit).context["version"]
    client.post(
        edit, {"kind": "day", "documented": "on", "reason": "illness", "version": stale_version}
    )
    response = client.post(edit, {"kind": "day", "note": "Mitt forslag", "version": stale_version})
    assert response.status_code == 200
    html = response.content.decode()
    assert "endret av en annen" in html and 'value="Mitt forslag"' in html
    record.refresh_from_db()
    assert record.documented and record.note == ""


def test_retired_reason_keeps_old_records_editable(client_for, contact_teacher, group, anna):
    extra = AbsenceReason.objects.create(
        municipality=group.school.municipality, code="trip", name="Tur"
    )
    absence(anna, DAY, contact_teacher, documented=True, code="trip")
    extra.active = False
    extra.save(update_fields=["active"])
    client = client_for(contact_teacher)
    page = client.get(register_url(group))
    form = page.context["rows"][0][1]
    assert ("trip", "Tur") in form.fields["reason"].choices
    assert client.post(register_url(group), post_data(page, {})).status_code == 302


def test_default_reasons_cannot_be_retired(municipality):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        municipality.absence_reasons.filter(code="other").update(active=False)


def test_read_only_register_shows_absence_not_present(
    client_for, contact_teacher, leader, group, anna
):
    absence(anna, DAY, contact_teacher)
    html = client_for(leader).get(register_url(group)).content.decode()
    assert "Hele dagen" in html
    assert 'type="radio"' not in html


def test_register_step_with_extreme_dates_does_not_crash(client_for, contact_teacher, group):
    client = client_for(contact_teacher)
    step = reverse("register_step", args=[group.pk])
    for query in ("?dato=9999-12-31&retning=neste", "?dato=0001-01-01&retning=forrige"):
        assert client.get(step + query).status_code == 302


def test_contact_outcome_must_be_chosen(client_for, contact_teacher, anna):
    response = post_contact(
        client_for(contact_teacher),
        anna,
        contacted_at="2026-11-18T08:30",
        summary="Ringte",
        outcome=None,
    )
    assert response.status_code == 200
    assert "Utfall" in response.content.decode()
    assert not anna.contact_logs.exists()


def test_pages_with_personal_data_are_not_cached(client_for, contact_teacher, anna):
    response = client_for(contact_teacher).get(reverse("pupil", args=[anna.uuid]))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_not_found_page_is_norwegian_and_in_the_layout(client_for, outsider, anna):
    response = client_for(outsider).get(reverse("pupil", args=[anna.uuid]))
    assert response.status_code == 404
    assert "Fant ikke siden" in response.content.decode()


def test_admin_holds_no_pupil_data():
    from django.contrib import admin

    from fravaer import models

    for model in (
        models.Pupil,
        models.Guardian,
        models.AbsenceRecord,
        models.ContactLog,
        models.Enrollment,
    ):
        assert not admin.site.is_registered(model)


def test_after_a_conflict_the_edit_page_shows_the_others_change_and_saves_again(
    client_for, contact_teacher, group, anna
):
    client = client_for(contact_teacher)
    absence = client.post(
        reverse("pupil_add_record", args=[anna.uuid]),
        {"date": "2026-11-17", "kind": "day", "reason": "unknown"},
    )
    assert absence.status_code == 302
    record = AbsenceRecord.objects.get()
    edit = reverse("record_edit", args=[anna.uuid, record.pk])
    stale_version = client.get(edit).context["version"]
    client.post(
        edit, {"kind": "day", "documented": "on", "reason": "illness", "version": stale_version}
    )
    conflict = client.post(edit, {"kind": "day", "note": "Mitt forslag", "version": stale_version})
    html = conflict.content.decode()
    assert "Slik er registreringen nå" in html and "Dokumentert" in html
    assert conflict.context["version"] != stale_version
    # Saved again from the page as shown: the teacher's version replaces the other's.
    again = client.post(
        edit, {"kind": "day", "note": "Mitt forslag", "version": conflict.context["version"]}
    )
    assert again.status_code == 302
    record.refresh_from_db()
    assert record.note == "Mitt forslag" and not record.documented
