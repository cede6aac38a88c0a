"""What every form shares: Designsystemet classes, named required messages, hints and
errors tied to their fields (StyledForm, HintedForm), and checks on raw request values."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def _name_the_required_field(field: forms.Field) -> None:
    """Django's "Feltet er påkrevet." says neither which field nor what to do; a field
    without a message of its own gets one that names it ("Velg «Type møte».")."""
    if (
        field.label is None
        or field.error_messages.get("required")
        is not (forms.Field.default_error_messages["required"])
    ):
        return
    if isinstance(field.widget, forms.CheckboxInput):
        message = _("Kryss av for «%(label)s».")
    elif isinstance(field.widget, forms.Select | forms.RadioSelect):
        message = _("Velg «%(label)s».")
    else:
        message = _("Fyll ut «%(label)s».")
    field.error_messages["required"] = message % {"label": field.label}


class StyledForm(forms.Form):
    """Designsystemet classes on every widget; invalid fields get aria-invalid and
    point at their message with aria-describedby. Fields named in
    `conditionally_required` are optional to Django but required by another field's
    value (their help text says when): the label does not call them optional.

    `rule_fields` names the field each of the action's rules (the refusal's `code`) is
    about, so that `add_rule_error` shows a refusal at its field (aria-invalid, the
    message under it, a link from the error summary); other refusals go above the form.
    A tuple names fields in order of preference: the first the form has (the edit page
    has no date field, so a rule about the day goes to the kind there)."""

    conditionally_required: tuple[str, ...] = ()
    rule_fields: dict[str, str | tuple[str, ...]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput | forms.RadioSelect):
                field.widget.attrs.setdefault("class", "ds-input")
            _name_the_required_field(field)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                if not is_choice_group(self.fields[name].widget):
                    attrs["aria-describedby"] = f"{self[name].id_for_label}-err"

    def add_rule_error(self, exc) -> None:
        names = self.rule_fields.get(getattr(exc, "code", None) or "", ())
        if isinstance(names, str):
            names = (names,)
        field = next((name for name in names if name in self.fields), None)
        self.add_error(field, exc.message)


class HintedForm(StyledForm):
    """Help texts tied to their field (`<id>-hint`), beside the error message,
    also for an error added after validation (an action's refusal shown at its field).
    Radio and checkbox groups leave that to their fieldset. Subclasses that add fields
    call `tie_hints()` at the end of `__init__`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tie_hints()

    def tie_hints(self) -> None:
        errors = self._errors or {}
        for name, field in self.fields.items():
            if is_choice_group(field.widget):
                # Its fieldset points at the hint and error (the `_field.html`s).
                field.widget.attrs.pop("aria-describedby", None)
                if name in errors:
                    field.widget.attrs["aria-invalid"] = "true"
                continue
            # `self[name]` only where needed: a bound field, once made, keeps the help
            # text the field had then, and subclasses set some after this first call.
            ids = [f"{self[name].id_for_label}-hint"] if field.help_text else []
            if name in errors:
                ids.append(f"{self[name].id_for_label}-err")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def full_clean(self) -> None:
        super().full_clean()
        self.tie_hints()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        self.tie_hints()


def is_plain_number(value: str) -> bool:
    """True for a string of ASCII digits, the only ids and page numbers a request may
    carry: `str.isdigit` is also true for "²", which `int` refuses."""
    return value.isascii() and value.isdigit()


def is_choice_group(widget: forms.Widget) -> bool:
    """Radio buttons or checkboxes in a fieldset: the fieldset, not each input, points
    at the group's hint and error (`<auto_id>-err`); the inputs have no id of their own
    for that."""
    return isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
