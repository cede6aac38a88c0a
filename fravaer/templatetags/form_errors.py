from __future__ import annotations

from django import forms, template

register = template.Library()


def _invalid(value) -> bool:
    # `type()`, not `isinstance`: a lazy object in the context (the user, the CSRF
    # token) is not evaluated for this.
    kind = type(value)
    if issubclass(kind, forms.BaseForm):
        # `_errors` is filled once the view validated the form; a form the view never
        # validated is not validated here (no queries from the page's title).
        return value.is_bound and bool(value._errors)
    if issubclass(kind, forms.BaseFormSet):
        return value.is_bound and value._errors is not None and value.total_error_count() > 0
    return False


@register.simple_tag(takes_context=True)
def page_has_errors(context) -> bool:
    """True when the page comes back with a form's errors, for the "Feil: " before its
    title in base.html (screen readers read the title first; WCAG 3.3.1). One place for
    every page: a bound form in the context that has errors, or `has_errors` for pages
    whose forms sit in a list (the class register's rows)."""
    values = context.flatten().values()
    return bool(context.get("has_errors")) or any(_invalid(value) for value in values)
