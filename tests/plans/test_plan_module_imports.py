"""Which plans modules import which: the read modules (queries, access, rules, the
panels, the chart, timetable, effect, documents, semester status and rollups) import
no write module, and `cases` and `fravaer` never import `plans`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ_MODULES = (
    "queries.py",
    "access.py",
    "rules.py",
    "panels.py",
    "panels_chart.py",
    "panels_documents.py",
    "panels_evaluations.py",
    "chart.py",
    "timetable.py",
    "effect.py",
    "documents.py",
    "semester.py",
    "rollups.py",
)


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("name", READ_MODULES)
def test_plans_read_modules_import_no_actions(name):
    modules = _modules(ROOT / "plans" / name)
    assert modules, "the parser found no imports at all"
    assert not {m for m in modules if ".actions" in m or m.endswith(".actions")}


@pytest.mark.parametrize("app", ["cases", "fravaer"])
def test_lower_apps_never_import_plans(app):
    found = [
        (str(path.relative_to(ROOT)), m)
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for m in _modules(path)
        if m == "plans" or m.startswith("plans.")
    ]
    assert found == []
