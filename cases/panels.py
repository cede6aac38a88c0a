"""What the cases app adds to fravaer's pages (`fravaer.panels`; registered in
`settings.PAGE_PANELS`). Each function reads through `cases.queries` and
`cases.access` in a fixed number of queries, and returns nothing for a user who has
nothing to see."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest

from cases import queries
from cases.access import BOARD_ROLES, board_schools, visible_cases
from fravaer.panels import Panel


def my_cases(request: HttpRequest, *, today: dt.date, roles: set[str], **page) -> Panel | None:
    """Start page: the cases the user follows up (`queries.followed_cases`). One query."""
    cases = queries.followed_cases(request.user, today, roles=roles)
    if not cases:
        return None
    return Panel("cases/includes/_home_my_cases.html", {"cases": cases, "today": today})


def case_boards(request: HttpRequest, *, today: dt.date, roles: set[str], **page) -> Panel | None:
    """Start page: the team's and leaders' boards with open and overdue counts. Two
    queries, and none for anyone else than school staff (`roles`: the home view's
    `fravaer.access.roles_of`)."""
    if not roles & set(BOARD_ROLES):
        return None
    schools = list(board_schools(request.user).order_by("name"))
    if not schools:
        return None
    counts = queries.open_and_overdue_counts(schools, today)
    boards = [
        {"school": s, "open": counts.get(s.pk, (0, 0))[0], "overdue": counts.get(s.pk, (0, 0))[1]}
        for s in schools
    ]
    return Panel("cases/board/_home_boards.html", {"boards": boards}, slot="school")


def flagged_pupils_cases(
    request: HttpRequest, *, flagged_pupils, roles: set[str] | None = None, **page
) -> list[Panel]:
    """Start page, on each card of a pupil with active flags: "Gå til saken" for the
    pupil's open case the user sees, and otherwise "Opprett sak" on each flag. One
    query (`queries.open_cases_by_pupil`; `roles`, when the page has them, keep it
    small)."""
    if not flagged_pupils:
        return []
    open_cases = queries.open_cases_by_pupil(
        request.user, {e.pupil.pk for e in flagged_pupils}, roles=roles
    )
    context = {"open_cases": open_cases}
    return [
        Panel("cases/includes/_pupil_case_link.html", context, slot="pupil_links"),
        Panel("cases/includes/_flag_open_case_card.html", context, slot="flag_actions"),
    ]


def pupil_case(request: HttpRequest, *, pupil, grant, **page) -> list[Panel]:
    """Pupil page: the pupil's open case, a recently closed one to reopen, or "Opprett
    sak" (`queries.pupil_case`, at most three queries); and "Opprett sak" on each
    active flag when the user may open a case and none is open."""
    state = queries.pupil_case(
        request.user,
        pupil,
        school_id=grant.group.school_id,
        is_contact_teacher=grant.is_contact_teacher,
    )
    panels = [Panel("cases/includes/_pupil_case.html", {"state": state})]
    if state.can_open and state.open_case is None:
        panels.append(Panel("cases/includes/_flag_open_case.html", slot="flag_actions"))
    return panels


def overview_cases(request: HttpRequest, *, school, pupil_ids, **page) -> Panel | None:
    """The leaders' monthly overview (`fravaer.overviews`): each pupil's open case at
    the school that the user sees, with its level, linked; `case_levels` gives the
    level in words to the overview's exports. One query."""
    if not pupil_ids:
        return None
    cases = queries.open_cases_at_school(visible_cases(request.user), school.pk, pupil_ids)
    return Panel(
        "cases/includes/_overview_case.html",
        {
            "open_cases": cases,
            "case_levels": {pid: str(c.get_level_display()) for pid, c in cases.items()},
        },
        slot="pupil_case",
    )


def week_deadlines(request: HttpRequest, *, week, today: dt.date, **page) -> Panel | None:
    """The contact teacher's week (`fravaer.week`): the deadlines of the user's cases
    this week and next, and any passed still pending. One query."""
    deadlines = queries.followed_deadlines(
        request.user, week.monday, week.sunday + dt.timedelta(days=7)
    )
    return Panel(
        "cases/includes/_week_deadlines.html",
        {"deadlines": deadlines, "today": today, "next_monday": week.shifted(1).monday},
    )
