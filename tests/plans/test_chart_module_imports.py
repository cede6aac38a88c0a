"""The chart's and the timetable's read modules import no write module (`*.actions`),
and nothing below `plans` imports them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READS = ["plans/chart.py", "plans/timetable.py", "plans/panels_chart.py"]


def imported_modules(relative: str) -> set[str]:
    tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("relative", READS)
def test_read_modules_import_no_actions(relative):
    imports = imported_modules(relative)
    assert imports, "the parser found no imports at all"
    assert not {m for m in imports if ".actions" in m or m.endswith(".actions")}


@pytest.mark.parametrize("app", ["fravaer", "cases"])
def test_lower_apps_do_not_import_plans(app):
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        imports = imported_modules(str(path.relative_to(ROOT)))
        assert not {m for m in imports if m == "plans" or m.startswith("plans.")}, path
