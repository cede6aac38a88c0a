"""The pupil page's "Registrer fravær" form: the count is not called optional and its
hint says when it is needed, each problem has one message, and a field that does not
belong to the chosen kind is neither validated nor saved (the page hides it)."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from fravaer.models import AbsenceRecord
from tests.factories import absence

DAY = "2026-11-17"  # a Tuesday before the suite's frozen today (18.11.2026)
COUNT_HINT = "Må fylles ut ved timefravær. Var eleven borte alle timene, velg «Hele dagen»."


def add(client, pupil, **data):
    return client.post(reverse("pupil_add_record", args=[pupil.uuid]), {"date": DAY, **data})


def field_errors(response, name: str) -> list[str]:
    assert response.status_code == 200, response
    return list(response.context["record_form"].errors.get(name, []))


class KindsOfFields(HTMLParser):
    """For each control in the "Registrer fravær" form: the data-kinds of the element
    it sits in ("" when it shows for every kind)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_form = False
        self.divs: list[str | None] = []
        self.kinds: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "record-form" in (attrs.get("class") or "").split():
            self.in_form = True
        if not self.in_form:
            return
        if tag == "div":
            self.divs.append(attrs.get("data-kinds"))
        elif tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            kinds = next((k for k in reversed(self.divs) if k is not None), "")
            self.kinds.setdefault(attrs["name"], kinds)

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "div" and self.in_form:
            self.divs.pop()


def test_the_count_is_not_called_optional_and_its_hint_says_when_it_is_needed(
    client_for, contact_teacher, pupil
):
    html = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    assert '<label class="ds-label" for="id_lessons">Antall timer</label>' in html
    assert (
        f'<p class="ds-paragraph muted" data-size="sm" id="id_lessons-hint">{COUNT_HINT}</p>'
        in (html)
    )
    assert 'aria-describedby="id_lessons-hint"' in html
    # The truly optional fields still say so.
    for field, label in (("subject", "Fag"), ("minutes_late", "Minutter for sent")):
        assert f'for="id_{field}">{label} <span class="muted">(valgfritt)</span>' in html


def test_each_field_shows_only_with_the_kinds_it_belongs_to(client_for, contact_teacher, pupil):
    parser = KindsOfFields()
    parser.feed(
        client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    )
    assert parser.kinds == {
        "kind": "",
        "date": "",
        "lessons": "lesson",
        "subject": "lesson late",
        "minutes_late": "late",
        "reason": "",
        "note": "",
        "documented": "",
    }


def test_a_lesson_absence_without_a_count_says_so_once(client_for, contact_teacher, pupil):
    response = add(client_for(contact_teacher), pupil, kind="lesson", lessons="", note="Tannlege")
    assert field_errors(response, "lessons") == ["Oppgi antall timer."]
    html = response.content.decode()
    # Once at the field, once in the summary (which links to it).
    assert html.count("Oppgi antall timer.") == 2
    assert 'aria-describedby="id_lessons-hint id_lessons-err"' in html
    assert 'value="Tannlege"' in html
    assert not AbsenceRecord.objects.exists()


@pytest.mark.parametrize("count", ["abc", "0", "13", "1.5"])
def test_a_count_the_field_refuses_has_one_message(client_for, contact_teacher, pupil, count):
    response = add(client_for(contact_teacher), pupil, kind="lesson", lessons=count)
    assert field_errors(response, "lessons") == ["Oppgi et helt tall fra 1 til 12."]
    assert "Oppgi antall timer." not in response.content.decode()
    assert not AbsenceRecord.objects.exists()


@pytest.mark.parametrize("minutes", ["abc", "0", "601"])
def test_minutes_the_field_refuses_have_one_message(client_for, contact_teacher, pupil, minutes):
    response = add(client_for(contact_teacher), pupil, kind="late", minutes_late=minutes)
    assert field_errors(response, "minutes_late") == ["Oppgi et helt tall fra 1 til 600."]
    assert not AbsenceRecord.objects.exists()


def test_more_lessons_than_the_class_has_is_shown_at_the_count(
    client_for, contact_teacher, pupil, group
):
    assert group.lessons_per_day == 5
    response = add(client_for(contact_teacher), pupil, kind="lesson", lessons="6")
    assert field_errors(response, "lessons") == [
        "Klassen har 5 timer per dag; registrer hele dagen i stedet."
    ]
    assert not response.context["record_form"].non_field_errors()
    assert not AbsenceRecord.objects.exists()


def test_a_refused_date_is_shown_at_the_date(client_for, contact_teacher, pupil):
    response = add(client_for(contact_teacher), pupil, kind="day", date="2026-11-14")
    assert field_errors(response, "date") == ["14.11.2026 er ikke en skoledag ved elevens skole."]


def test_a_whole_day_ignores_what_was_typed_in_the_other_kinds_fields(
    client_for, contact_teacher, pupil
):
    response = add(
        client_for(contact_teacher),
        pupil,
        kind="day",
        lessons="abc",
        minutes_late="-3",
        subject="Matematikk",
        note="Feber",
    )
    assert response.status_code == 302
    record = AbsenceRecord.objects.get()
    assert (record.kind, record.lessons, record.minutes_late, record.subject, record.note) == (
        "day",
        None,
        None,
        "",
        "Feber",
    )


def test_a_lesson_absence_ignores_the_minutes(client_for, contact_teacher, pupil):
    response = add(
        client_for(contact_teacher),
        pupil,
        kind="lesson",
        lessons="2",
        subject="Norsk",
        minutes_late="abc",
    )
    assert response.status_code == 302
    record = AbsenceRecord.objects.get()
    assert (record.kind, record.lessons, record.minutes_late, record.subject) == (
        "lesson",
        2,
        None,
        "Norsk",
    )


def test_a_late_arrival_ignores_the_count(client_for, contact_teacher, pupil):
    response = add(client_for(contact_teacher), pupil, kind="late", lessons="99", minutes_late="10")
    assert response.status_code == 302
    record = AbsenceRecord.objects.get()
    assert (record.kind, record.lessons, record.minutes_late) == ("late", None, 10)


def test_without_a_valid_kind_nothing_is_dropped_and_the_kind_is_asked_for(
    client_for, contact_teacher, pupil
):
    response = add(client_for(contact_teacher), pupil, kind="", lessons="3", subject="Norsk")
    assert field_errors(response, "kind") == ["Velg type fravær."]
    html = response.content.decode()
    assert 'name="lessons" value="3"' in html and 'value="Norsk"' in html


def test_the_edit_page_ignores_the_other_kinds_fields_too(client_for, contact_teacher, pupil):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher, kind="late", minutes_late=5)
    response = client_for(contact_teacher).post(
        reverse("record_edit", args=[pupil.uuid, record.pk]),
        {"kind": "day", "minutes_late": "abc", "lessons": "0"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.kind, record.minutes_late, record.lessons) == ("day", None, None)


def test_the_edit_page_shows_the_kinds_fields_and_the_counts_hint_like_the_pupil_page(
    client_for, contact_teacher, pupil
):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher, kind="late", minutes_late=5)
    html = (
        client_for(contact_teacher)
        .get(reverse("record_edit", args=[pupil.uuid, record.pk]))
        .content.decode()
    )
    # The count's aria-describedby points at a hint that is on the page.
    assert 'aria-describedby="id_lessons-hint"' in html
    assert f'id="id_lessons-hint">{COUNT_HINT}</p>' in html
    parser = KindsOfFields()
    parser.feed(html)
    assert parser.kinds["lessons"] == "lesson"
    assert parser.kinds["subject"] == "lesson late"
    assert parser.kinds["minutes_late"] == "late"
    assert parser.kinds["documented"] == ""


# --- a day's lessons add up to no more than the class has (the pupil page and the edit page) --


def test_lesson_records_on_one_day_add_up_to_no_more_than_the_class_has(
    client_for, contact_teacher, pupil, group
):
    assert group.lessons_per_day == 5
    client = client_for(contact_teacher)
    assert add(client, pupil, kind="lesson", lessons="2").status_code == 302
    assert add(client, pupil, kind="lesson", lessons="3").status_code == 302  # 5 of 5
    response = add(client, pupil, kind="lesson", lessons="1")
    assert field_errors(response, "lessons") == [
        "Eleven har allerede 5 timer fravær 17.11.2026, og klassen har 5 timer per dag. "
        "Endre timene som er registrert, eller fjern dem og registrer hele dagen."
    ]
    assert AbsenceRecord.objects.filter(pupil=pupil).count() == 2
    # A late arrival does not count lessons, so it still fits.
    assert add(client, pupil, kind="late", minutes_late="5").status_code == 302


def test_the_edit_page_checks_the_days_lessons_at_the_count(client_for, contact_teacher, pupil):
    day = dt.date(2026, 11, 17)
    absence(pupil, day, contact_teacher, kind="lesson", lessons=4)
    record = absence(pupil, day, contact_teacher, kind="lesson", lessons=1)
    url = reverse("record_edit", args=[pupil.uuid, record.pk])
    response = client_for(contact_teacher).post(url, {"kind": "lesson", "lessons": "2"})
    form = response.context["form"]
    assert form.errors["lessons"] == [
        "Eleven har allerede 4 timer fravær 17.11.2026, og klassen har 5 timer per dag. "
        "Endre timene som er registrert, eller fjern dem og registrer hele dagen."
    ]
    assert not form.non_field_errors()
    record.refresh_from_db()
    assert record.lessons == 1


def test_the_edit_page_shows_the_classs_lessons_rule_at_the_count(
    client_for, contact_teacher, pupil
):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher, kind="lesson", lessons=1)
    url = reverse("record_edit", args=[pupil.uuid, record.pk])
    response = client_for(contact_teacher).post(url, {"kind": "lesson", "lessons": "7"})
    html = response.content.decode()
    assert response.context["form"].errors["lessons"] == [
        "Klassen har 5 timer per dag; registrer hele dagen i stedet."
    ]
    assert 'aria-invalid="true"' in html


def test_a_day_already_absent_is_shown_at_the_date(client_for, contact_teacher, pupil):
    client = client_for(contact_teacher)
    assert add(client, pupil, kind="day").status_code == 302
    response = add(client, pupil, kind="late", minutes_late="5")
    assert field_errors(response, "date") == ["Eleven har allerede fravær hele dagen 17.11.2026."]
    assert not response.context["record_form"].non_field_errors()


def test_the_edit_page_shows_a_whole_day_over_other_records_at_the_kind(
    client_for, contact_teacher, pupil
):
    day = dt.date(2026, 11, 17)
    absence(pupil, day, contact_teacher, kind="late", minutes_late=5)
    record = absence(pupil, day, contact_teacher, kind="lesson", lessons=1)
    url = reverse("record_edit", args=[pupil.uuid, record.pk])
    response = client_for(contact_teacher).post(url, {"kind": "day"})
    assert response.context["form"].errors["kind"] == [
        "Eleven har allerede fravær registrert 17.11.2026. Endre eller fjern det før du "
        "registrerer hele dagen."
    ]
