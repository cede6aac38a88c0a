"""A required field without a message of its own names itself and says what to do,
instead of Django's "Feltet er påkrevet." (which of them?)."""

from __future__ import annotations

from django import forms

from fravaer.forms import StyledForm


class Example(StyledForm):
    place = forms.CharField(label="Sted")
    kind = forms.ChoiceField(label="Type møte", choices=[("a", "A")])
    agreed = forms.BooleanField(label="Foresatte er enige")
    own = forms.CharField(label="Notat", error_messages={"required": "Notatet er tomt."})
    optional = forms.CharField(label="Merknad", required=False)


def test_required_fields_say_which_and_what_to_do():
    form = Example(data={})
    assert form.errors == {
        "place": ["Fyll ut «Sted»."],
        "kind": ["Velg «Type møte»."],
        "agreed": ["Kryss av for «Foresatte er enige»."],
        "own": ["Notatet er tomt."],  # a field's own message is kept
    }


def test_the_task_form_names_its_missing_fields(client_for, contact_teacher, pupil):
    from django.urls import reverse

    from tests.cases.conftest import make_case

    case = make_case(pupil, by=contact_teacher)
    html = (
        client_for(contact_teacher)
        .post(reverse("cases:task_new", args=[case.uuid]), {})
        .content.decode()
    )
    assert "Feltet er påkrevet" not in html
    for message in ("Fyll ut «Oppgave».", "Velg «Ansvarlig».", "Fyll ut «Frist»."):
        assert message in html
