"""The intake modules import one way: each one only the modules before it in the chain."""

from __future__ import annotations

import ast
from pathlib import Path

import app.intake

CHAIN = ["deliveries", "errors", "checks", "normalize", "raw_store", "group_commit", "processor", "replay"]


def _intake_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app.intake."):
            names.add(node.module.removeprefix("app.intake."))
        elif isinstance(node, ast.Import):
            names |= {a.name.removeprefix("app.intake.") for a in node.names if a.name.startswith("app.intake.")}
    return names


def test_every_intake_module_is_in_the_chain():
    folder = Path(app.intake.__file__).parent
    assert sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__") == sorted(CHAIN)


def test_each_intake_module_imports_only_the_ones_before_it():
    folder = Path(app.intake.__file__).parent
    for index, name in enumerate(CHAIN):
        later = _intake_imports(folder / f"{name}.py") - set(CHAIN[:index])
        assert not later, f"app/intake/{name}.py imports {sorted(later)}, which come after it in the chain"
