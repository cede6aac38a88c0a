from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def at_place(messages, place: str = "") -> list:
    """The messages to show at one place on the page. A save that returns the user to a
    section (`#samtaler`) names it in the message's `extra_tags`, and the section shows
    the message, where the user lands, with focus on it; the top of the page shows the
    messages without a place."""
    return [m for m in messages if (m.extra_tags or "") == (place or "")]
