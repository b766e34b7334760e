"""The architecture is a test: the import contracts in pyproject.toml hold, and they fail when broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
    return subprocess.run(  # noqa: S603
        [str(LINT), "--no-cache", "--no-logo", str(tree / "pyproject.toml")],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy_of_the_code(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in ("app", "connectors", "metrics"):
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


# Each break is an import inside a function, the kind that hides a dependency from a reader.
BREAKS = {
    "metrics imports the app": ("metrics/stats.py", "from app.core import db", "metrics is pure"),
    "a connector imports the app": ("connectors/records.py", "from app.store import upserts",
                                    "connectors never import the app"),
    "a page imports an API router": ("app/dashboard/views.py", "from app.api import clocks",
                                     "app packages are layered"),
    "the store imports the reports": ("app/store/upserts.py", "from app.reports import clocks",
                                      "app packages are layered"),
    "two metrics modules import each other": ("metrics/model.py", "from metrics import clocks", "no import cycle"),
}


@pytest.mark.parametrize("what", sorted(BREAKS))
def test_a_broken_contract_is_caught(tmp_path, what):
    path, statement, contract = BREAKS[what]
    tree = _copy_of_the_code(tmp_path)
    source = tree / path
    source.write_text(source.read_text() + f"\n\ndef _hidden_dependency() -> None:\n    {statement}  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), result.stdout
