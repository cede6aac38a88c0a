"""Which case modules import which. The level rules in `cases.transitions` are pure: no
action, query, access rule or ORM write, so the actions, the forms and the case page
share them and they are tested without a database. What the case actions share (the
refusals, the event row, the version check, inbox messages, grants, the access log)
imports none of the actions built on it, so each of them can use it without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cases

CASES = Path(cases.__file__).parent
ACTIONS_BUILT_ON_SHARED = {
    "cases.actions",
    "cases.actions.core",
    "cases.actions.meetings",
    "cases.actions.consent",
    "cases.actions.deadlines",
    "cases.actions.departures",
}
SHARED = [
    "errors.py",
    "actions/timeline.py",
    "actions/versioning.py",
    "actions/notifications.py",
    "actions/grants.py",
    "actions/access_log.py",
]


def imported_modules(relative: str) -> set[str]:
    """Every module the file imports, at the top or inside a function."""
    tree = ast.parse((CASES / relative).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from cases.actions import core` imports the submodule.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_level_rules_import_no_action_query_access_or_orm_write():
    imports = imported_modules("transitions.py")
    forbidden = ("cases.actions", "cases.queries", "cases.access", "cases.views", "django.db")
    assert imports, "the parser found no imports at all"
    assert not {m for m in imports if m.startswith(forbidden)}


@pytest.mark.parametrize("relative", SHARED)
def test_what_case_actions_share_imports_no_action_built_on_it(relative):
    assert not imported_modules(relative) & ACTIONS_BUILT_ON_SHARED


def test_the_actions_and_the_pages_share_one_level_table():
    from cases import transitions
    from cases.actions import core
    from cases.forms import case as forms
    from cases.views import case as views

    # The action refuses and the page offers by the same definition.
    assert core.TRANSITIONS is forms.TRANSITIONS is transitions.TRANSITIONS
    assert core.CLOSE_REASONS is transitions.CLOSE_REASONS
    assert forms.close_reasons is transitions.close_reasons
    assert views.allowed_moves is transitions.allowed_moves
