"""House rules on imports that a reviewer should not have to check by hand: the core
app's read module imports no write module, and the apps above `fravaer` use its public
names only (its private helpers may change without notice)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name` in the file, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.module or "", alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]


def test_fravaer_queries_imports_no_actions():
    modules = {module for module, _ in _imports(ROOT / "fravaer" / "queries.py")}
    assert not {m for m in modules if m.startswith("fravaer.actions")}


def test_cases_and_plans_import_no_private_name_from_fravaer():
    private = [
        (str(path.relative_to(ROOT)), module, name)
        for app in ("cases", "plans")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for module, name in _imports(path)
        if module.startswith("fravaer") and name.startswith("_")
    ]
    assert private == []


# The cases app's read modules: what they import must not write.
CASES_READ_MODULES = (
    "queries.py",
    "panels.py",
    "deadlines.py",
    "transitions.py",
    "access.py",
    "team_meeting.py",
)


def test_cases_read_modules_import_no_actions():
    writes = [
        (name, module)
        for name in CASES_READ_MODULES
        for module, _ in _imports(ROOT / "cases" / name)
        if module.startswith(("cases.actions", "fravaer.actions"))
    ]
    assert writes == []
