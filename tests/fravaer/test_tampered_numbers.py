"""Ids and page numbers that a request carries are ASCII digits or ignored: "²" passes
`str.isdigit` but not `int`, and must not answer 500."""

import pytest
from django.urls import reverse

SUPERSCRIPT_TWO = "²"


@pytest.mark.parametrize("field", ["varsling", "side"])
def test_marking_read_ignores_a_number_int_refuses(client_for, contact_teacher, field):
    response = client_for(contact_teacher).post(
        reverse("inbox_mark_read"), {field: SUPERSCRIPT_TWO}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?side=1")


def test_opening_a_case_ignores_a_flag_id_int_refuses(client_for, contact_teacher, pupil):
    url = reverse("cases:case_open", args=[pupil.uuid])
    response = client_for(contact_teacher).get(url, {"varsel": SUPERSCRIPT_TWO})
    assert response.status_code == 200
    assert response.context["flag"] is None


def test_the_check_takes_ascii_digits_only():
    from fravaer.forms import is_plain_number

    assert is_plain_number("42")
    assert not is_plain_number(SUPERSCRIPT_TWO)
    assert not is_plain_number("٤٢")  # Arabic-Indic digits: int() takes them, ids are ASCII
    assert not is_plain_number("")
    assert not is_plain_number("-1")
