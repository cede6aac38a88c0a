"""Acknowledging a flag answers with the flag whole: after a refused reason (and after
a success) the swapped item keeps its explanation and the records behind it, the
form with the error at the field and what was typed."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fravaer.models import Flag
from tests.factories import absence, make_flag
from tests.pages import ack_url, html_of

HTMX = {"HX-Request": "true"}
EXPLANATION = "4 dager i november 2026; grense: mer enn 3."


def month_flag_with_records(pupil, by) -> Flag:
    absence(pupil, dt.date(2026, 10, 30), by)  # before the flag's period
    for day in (2, 3, 4, 5):
        absence(pupil, dt.date(2026, 11, day), by)
    return make_flag(pupil)


def assert_records_of_november(html: str) -> None:
    assert "Alt fravær 01.11.2026–18.11.2026 (4 registreringer)" in html
    for day in ("Mandag 02.11.2026", "Tirsdag 03.11.2026", "Torsdag 05.11.2026"):
        assert f"{day}: Hele dagen (udokumentert)" in html
    assert "30.10.2026" not in html


def test_an_empty_reason_with_htmx_keeps_the_flags_records(client_for, contact_teacher, pupil):
    flag = month_flag_with_records(pupil, contact_teacher)
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": ""}, headers=HTMX)
    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html and f'id="flag-{flag.pk}"' in html
    assert EXPLANATION in html
    assert_records_of_november(html)
    error = f'<p class="ds-validation-message" data-color="danger" id="ack-reason-{flag.pk}-err">'
    assert f"{error}Skriv en kort begrunnelse.</p>" in html
    assert f'aria-describedby="ack-hint-{flag.pk} ack-reason-{flag.pk}-err"' in html
    assert 'aria-invalid="true" data-focus-on-load' in html  # app.js focuses the field
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE


def test_a_too_long_reason_with_htmx_keeps_the_records_and_what_was_typed(
    client_for, contact_teacher, pupil
):
    flag = month_flag_with_records(pupil, contact_teacher)
    typed = "snakket med mor " * 20  # over 300 characters
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": typed}, headers=HTMX)
    html = html_of(response)
    assert "Begrunnelsen kan være høyst 300 tegn." in html
    assert f'value="{typed}"' in html
    assert_records_of_november(html)


def test_a_refused_reason_keeps_the_record_an_undocumented_flag_names(
    client_for, contact_teacher, pupil
):
    record = absence(pupil, dt.date(2026, 11, 17), contact_teacher)
    flag = make_flag(
        pupil,
        "undocumented",
        period_start=record.date,
        period_end=record.date,
        record=record,
        record_ids=[record.pk],
    )
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": " "}, headers=HTMX)
    html = html_of(response)
    assert "Fraværet bak varselet (1 registrering)" in html
    assert "Tirsdag 17.11.2026: Hele dagen (udokumentert)" in html
    assert "Skriv en kort begrunnelse." in html


def test_a_refused_reason_from_the_start_page_keeps_its_way_back(
    client_for, contact_teacher, pupil
):
    flag = month_flag_with_records(pupil, contact_teacher)
    home = reverse("home")
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": "", "next": home}, headers=HTMX
    )
    html = html_of(response)
    assert f'<input type="hidden" name="next" value="{home}">' in html
    assert_records_of_november(html)


def test_an_acknowledged_flag_with_htmx_keeps_its_records(client_for, contact_teacher, pupil):
    flag = month_flag_with_records(pupil, contact_teacher)
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": "influensa"}, headers=HTMX
    )
    html = html_of(response)
    assert "Kvittert ut av" in html and "«influensa»" in html
    assert_records_of_november(html)


def test_an_already_acknowledged_flag_with_htmx_says_so_and_keeps_its_records(
    client_for, contact_teacher, leader, pupil
):
    flag = month_flag_with_records(pupil, contact_teacher)
    Flag.objects.filter(pk=flag.pk).update(
        status=Flag.Status.ACKNOWLEDGED,
        acknowledged_by=leader,
        acknowledged_at=timezone.now(),
        acknowledgement="snakket med mor",
    )
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": "influensa"}, headers=HTMX
    )
    html = html_of(response)
    assert "Varselet er allerede kvittert ut eller avklart." in html
    assert "«snakket med mor»" in html
    assert_records_of_november(html)


def test_an_empty_reason_without_javascript_shows_the_flag_whole(
    client_for, contact_teacher, pupil
):
    flag = month_flag_with_records(pupil, contact_teacher)
    response = client_for(contact_teacher).post(ack_url(flag), {"reason": ""})
    assert response.status_code == 200
    html = html_of(response)
    assert "<html" in html and "Kvitter ut varsel" in html
    assert EXPLANATION in html and "Skriv en kort begrunnelse." in html
    assert_records_of_november(html)
