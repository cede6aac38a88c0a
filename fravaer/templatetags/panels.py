"""`{% render_panel panel %}`: a `fravaer.panels.Panel`'s template with the page's
context and the panel's own. It renders only; what a panel shows is decided by its
panel function."""

from __future__ import annotations

from django import template

from fravaer.panels import Panel

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel: Panel) -> str:
    with context.push(**panel.context):
        return context.template.engine.get_template(panel.template).render(context)
