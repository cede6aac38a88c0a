"""The shared error summary and field markup: every message links to something on
the page, also for a radio group, and the heading fits where the form stands."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string

from fravaer.forms import StyledForm


class ChoiceForm(StyledForm):
    channel = forms.ChoiceField(
        label="Kanal", choices=[("phone", "Telefon"), ("meeting", "Møte")], widget=forms.RadioSelect
    )
    note = forms.CharField(label="Notat")


def render(**context) -> str:
    form = ChoiceForm(data={})
    assert not form.is_valid()
    summary = render_to_string("fravaer/includes/_form_errors.html", {"form": form, **context})
    fields = "".join(
        render_to_string("fravaer/includes/_field.html", {"field": form[name]})
        for name in ("channel", "note")
    )
    return summary + fields


def test_every_summary_link_points_at_an_element_on_the_page():
    html = render()
    targets = re.findall(r'href="#([^"]*)"', html)
    assert targets == ["id_channel", "id_note"]
    for target in targets:
        assert f'id="{target}"' in html
    # Every description a field points at is there; the radio group's is its fieldset's.
    described = [i for ids in re.findall(r'aria-describedby="([^"]*)"', html) for i in ids.split()]
    assert described == ["id_channel-err", "id_note-err"]
    for target in described:
        assert f'id="{target}"' in html


def test_the_summary_heading_is_h3_in_a_section_and_h2_under_the_page_heading():
    assert "<h3" in render() and "<h2" not in render()
    assert "<h2" in render(heading_level="2") and "<h3" not in render(heading_level="2")
