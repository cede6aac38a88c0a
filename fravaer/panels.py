"""Panels: how an upper app (`cases`, later `plans`) adds to a page of a lower app
without the lower app importing it. This is the only mechanism for it (no template
tags that query or decide access); reactions to changes use `fravaer.events`.

`settings.PAGE_PANELS` names, per page, the panel functions of the upper apps, in the
order they are shown. The page's view calls `panels_for(page, request, **objects)` once
(the objects the page is about, e.g. `pupil=`, `grant=`), and puts the result in its
context as `panels`. Each function is called as `function(request, **objects)` and
returns a `Panel`, a list of them, or None when the user has nothing to see there; it
takes the objects it needs by keyword and the rest as `**page`, so that a page can
pass more later.
A panel function reads through its own app's queries and access module, in a fixed
number of queries whatever the page shows (the page's query-count tests include it).

A `Panel` is a template and its context, and the place on the page where it goes
(`slot`): "main" is the page's place for panels; a page may offer more, documented
below. The page renders a slot with
`{% for panel in panels.main %}{% render_panel panel %}{% endfor %}`
(`fravaer.templatetags.panels`): the panel's template sees the page's context plus
its own, so a panel shown once per item (a flag, a pupil) can read the loop's
variables.

The pages and their slots:

`home` (the start page; `today=`, `roles=` the user's roles, `access.roles_of`):
"main" (after the contact teacher's classes), "school" (after the classes the user
teaches, before the school's flags).
`flagged_pupils` (the start page's cards of pupils with active flags, also rendered
alone after acknowledging a flag; `flagged_pupils=` the cards' entries; the start page
also gives `roles=`, the user's roles today): "pupil_links"
(in each card's links; `pupil`), "flag_actions" (after each flag; `pupil`, `flag`).
`pupil_detail` (the pupil page; `pupil=`, `grant=` the `PupilAccess`): "main" (after
the absence totals), "flag_actions" (inside each active flag; `pupil`, `flag`).
`monthly_overview` (the leaders' monthly overview of a school, `fravaer.overviews`, and
its CSV/XLSX exports; `school=`, `pupil_ids=` the pupils in its rows): "pupil_case" (in
each pupil's row; `row`); a panel there may give `case_levels` (pupil id → the level in
words) in its context, which the exports read (`fravaer.overviews.case_levels`).
`week` (the contact teacher's week, `fravaer.views.week`; `week=` the
`fravaer.week.Week`, `today=`): "main" (after the classes).
`case_detail` (the cases app's case page, for `plans`; `case=`, `grant=` the
`CaseAccess`): "main" (after the mappings; also in the page's htmx body).
`meeting_detail` (the cases app's meeting page; `case=`, `grant=`, `meeting=`):
"minutes" (under a held meeting's minutes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

MAIN = "main"


@dataclass(frozen=True)
class Panel:
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    slot: str = MAIN


class Panels(dict[str, list[Panel]]):
    """A page's panels by slot, each slot in the order of `settings.PAGE_PANELS`; a
    slot without panels is an empty list (`panels.main` in a template)."""

    def __missing__(self, slot: str) -> list[Panel]:
        return []


def panels_for(page: str, request: HttpRequest, **objects: Any) -> Panels:
    """Call the page's panel functions (`settings.PAGE_PANELS[page]`) in order and
    collect what they return by slot."""
    panels = Panels()
    for path in settings.PAGE_PANELS.get(page, ()):
        found = import_string(path)(request, **objects)
        if found is None:
            continue
        for panel in [found] if isinstance(found, Panel) else found:
            panels.setdefault(panel.slot, []).append(panel)
    return panels
