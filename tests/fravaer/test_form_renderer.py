"""The fast form renderer (fravaer/forms/renderers.py) makes the same HTML as Django's
widget templates, character for character, for every widget it makes in Python, and
hands the others to the templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from fravaer.forms import renderers
from fravaer.forms.absence import RegisterRowForm
from fravaer.forms.renderers import FastRenderer


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"class": "ds-input", "size": 4}))
    quoted = forms.CharField(required=False)
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    hidden = forms.IntegerField(widget=forms.HiddenInput)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField()
    check = forms.BooleanField(required=False)
    unchecked = forms.BooleanField(required=False)
    select = forms.TypedChoiceField(
        coerce=int,
        choices=[
            ("", _("Alle")),
            ("Skolemiljøteamet", [(1, "Ada <Lovelace>"), (2, mark_safe("<b>Bo</b>"))]),
            (3, 'Kari "K" Nordmann'),
            (4, 12),
            (5, Decimal("1.5")),
        ],
    )
    multi = forms.MultipleChoiceField(choices=[("a", "A & B"), ("b", "B")], required=False)
    radio = forms.ChoiceField(
        choices=[("none", _("Til stede")), ("day", _("Hele dagen"))], widget=forms.RadioSelect
    )
    boxes = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, required=False
    )
    area = forms.CharField(widget=forms.Textarea, required=False)


DATA = {
    "text": "<script>",
    "quoted": 'a "b" & c',
    "number": "12",
    "hidden": "7",
    "day": "2026-12-07",
    "email": "x@y.no",
    "check": "on",
    "select": "2",
    "multi": ["a", "b"],
    "radio": "day",
    "boxes": ["y"],
    "area": "<tekst>",
}


def _both(form_class, **kwargs) -> tuple[list[str], list[str]]:
    out = []
    for renderer in (DjangoTemplates(), FastRenderer()):
        form = form_class(renderer=renderer, **kwargs)
        if form.is_bound:
            form.is_valid()
        html = [str(form[name]) for name in form.fields]
        for name in ("radio", "boxes"):
            html += [choice.tag() for choice in form[name]]
            html += [choice.tag(wrap_label=True) for choice in form[name]]
        out.append(html)
    return out[0], out[1]


def test_the_setting_names_the_fast_renderer():
    assert settings.FORM_RENDERER == "fravaer.forms.renderers.FastRenderer"


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"data": DATA},
        {"initial": {"number": 1234, "day": dt.date(2026, 12, 7), "select": 4, "check": True}},
    ],
    ids=["unbound", "bound", "initial"],
)
def test_every_widget_renders_as_djangos_templates(language, kwargs):
    with override(language):
        django_html, fast_html = _both(Everything, **kwargs)
    assert fast_html == django_html


def test_the_register_row_renders_as_djangos_templates():
    """The register's row: hidden fields, each radio button alone, the reason list."""
    from fravaer.models import AbsenceReason

    reasons = [
        AbsenceReason(code="sick", name="Sykdom", active=True),
        AbsenceReason(code="old", name="Gammel <årsak>", active=False),
    ]
    kwargs = {
        "reasons": reasons,
        "allowed_kinds": frozenset({"day", "lesson", "late"}),
        "lessons_per_day": 6,
        "prefix": "r-0",
        "initial": {"pupil": "5f0c1a4e-1b2c-4d3e-8f90-123456789abc", "reason": "old"},
    }
    out = []
    for renderer in (DjangoTemplates(), FastRenderer()):
        form = RegisterRowForm(renderer=renderer, **kwargs)
        out.append([str(form[n]) for n in form.fields] + [c.tag() for c in form["status"]])
    assert out[1] == out[0]
    assert 'value="old" selected' in "".join(out[1])


def test_other_templates_still_go_to_djangos_templates(monkeypatch):
    """A widget the renderer does not know (a textarea), and a select whose options
    have a template of their own, are rendered by the templates."""
    called = []
    original = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        called.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", spy)

    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    renderer = FastRenderer()
    form = Everything(renderer=renderer)
    str(form["text"])
    assert called == []
    str(form["area"])
    assert called == ["django/forms/widgets/textarea.html"]
    widget = OwnOption(choices=[("a", "A")])
    assert widget.render("x", "a", renderer=renderer) == widget.render(
        "x", "a", renderer=DjangoTemplates()
    )
    assert renderers.WIDGETS + "select.html" in called
