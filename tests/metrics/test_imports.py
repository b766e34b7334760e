"""metrics/ is pure: it imports neither the app nor the connectors (imports flow app -> metrics)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

METRICS = Path(__file__).resolve().parents[2] / "metrics"
FORBIDDEN = ("app", "connectors")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(METRICS.rglob("*.py")), ids=lambda p: str(p.relative_to(METRICS)))
def test_metrics_imports_nothing_of_app_or_connectors(path):
    bad = {name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.name} imports {sorted(bad)}"
