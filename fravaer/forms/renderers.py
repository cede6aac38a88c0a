"""The form renderer (`settings.FORM_RENDERER`): Django's own, with its most common
widget templates written out in Python.

A page with a form on every row (the class register's 25 rows of radio buttons and
fields, the case board's 60 owner lists) spent about half its server time rendering
Django's widget templates: each `<option>` and each attribute list is an
`{% include %}`. `FastRenderer` makes the same HTML, character for character, for the
templates in `_FAST` (the `<input>` types, `<select>` with its options, and one radio
or checkbox option), and hands every other template (and a widget with an option
template of its own) to Django's templates as before.
tests/fravaer/test_form_renderer.py renders each widget both ways and compares.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"
SELECT_OPTION = WIDGETS + "select_option.html"

# How a template prints a value with `{{ value }}` (localized, escaped), as Django's
# templates do with their default context.
_CONTEXT = Context(autoescape=True)


def _text(value) -> str:
    return render_value_in_context(value, _CONTEXT)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: str() first, so not localized; escaped unless
    the value is already safe."""
    return (
        conditional_escape(value) if hasattr(value, "__html__") else conditional_escape(str(value))
    )


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {_text(name)}")
        else:
            out.append(f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html (and every type that only includes it)."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _input_option(widget: dict) -> str:
    """django/forms/widgets/input_option.html (radio_option, checkbox_option)."""
    if not widget.get("wrap_label"):
        return _input(widget)
    target = widget["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    # input.html ends with a newline, which the label keeps.
    return f"<label{label_for}>{_input(widget)}\n {_text(widget['label'])}</label>"


def _option(widget: dict) -> str:
    """django/forms/widgets/select_option.html."""
    return (
        f'<option value="{_formatted(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{_text(widget['label'])}</option>"
    )


def _select(widget: dict) -> str | None:
    """django/forms/widgets/select.html; None for options of another template."""
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != SELECT_OPTION:
                return None
            out.append(f"\n  {_option(option)}\n")  # select_option.html's newline
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_INPUT_TYPES = [
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "file",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
]

_FAST = {
    **{f"{WIDGETS}{name}.html": _input for name in _INPUT_TYPES},
    WIDGETS + "input.html": _input,
    WIDGETS + "radio_option.html": _input_option,
    WIDGETS + "checkbox_option.html": _input_option,
    WIDGETS + "input_option.html": _input_option,
    SELECT_OPTION: _option,
    WIDGETS + "select.html": _select,
}


class FastRenderer(DjangoTemplates):
    """Django's template renderer, with `_FAST`'s widget templates made in Python."""

    def render(self, template_name, context, request=None):
        fast = _FAST.get(template_name)
        if fast is not None and "widget" in context:
            html = fast(context["widget"])
            if html is not None:
                # Escaped piece by piece above; `Widget._render` marks it safe, as it
                # does the templates' output.
                return html.strip()
        return super().render(template_name, context, request=request)
