"""The architecture is a test: the import contracts in pyproject.toml hold, and they fail when broken; the heavy
libraries are imported only by the code that uses them, so `pulse` and the service start fast."""

from __future__ import annotations

import json
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


# Imported on first use only: each takes up to seconds to import, and most processes never use it
# (bench/startup.py measures what that saves).
LAZY = ("github", "cryptography", "py3langid", "numpy", "wordfreq", "textstat")
# What a command loads when it runs: `pulse --help` and `pulse <group> --help` need none of it (pydantic is not
# listed: typer itself imports it to read a group's arguments).
NOT_FOR_HELP = (*LAZY, "sqlalchemy", "pydantic_settings", "fastapi", "uvicorn", "httpx", "alembic", "jinja2", "yaml",
                "holidays")

# Run in a fresh interpreter: write the top-level packages imported by then (and, for the `pulse` command, the
# commands its help should list) to $LOADED when the process ends, however it ends.
_REPORT_AT_EXIT = """
import atexit, json, os, sys

def _report():
    found = {"modules": sorted({name.split(".")[0] for name in sys.modules})}
    if "app.cli.main" in sys.modules:
        import typer.main
        group = typer.main.get_command(sys.modules["app.cli.main"].cli)
        for name in json.loads(os.environ.get("GROUP", "[]")):
            group = group.commands[name]
        found["commands"] = {name: command.short_help or command.help or ""
                             for name, command in getattr(group, "commands", {}).items() if not command.hidden}
    with open(os.environ["LOADED"], "w", encoding="utf-8") as out:
        json.dump(found, out)

atexit.register(_report)
"""


def run_fresh(tmp_path: Path, code: str, group: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run ``code`` in a new Python process; return its result and what it had imported when it ended."""
    loaded = tmp_path / "loaded.json"
    env = {**os.environ, "LOADED": str(loaded), "GROUP": json.dumps(group), "COLUMNS": "250",
           "TERMINAL_WIDTH": "250", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _REPORT_AT_EXIT + code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert loaded.exists(), result.stderr
    return result, json.loads(loaded.read_text(encoding="utf-8"))


@pytest.mark.parametrize("group", [(), ("token",), ("connect",), ("report",), ("feedback",)], ids=" ".join)
def test_pulse_help_lists_every_command_without_loading_what_the_commands_need(tmp_path, group):
    """The entry point as `pulse [group] --help` calls it: every command and its help, none of their libraries."""
    code = f"import sys\nsys.argv = ['pulse', *{list(group)!r}, '--help']\nfrom app.cli.main import main\nmain()\n"
    result, found = run_fresh(tmp_path, code, group)
    assert result.returncode == 0, result.stderr
    assert sorted(set(NOT_FOR_HELP) & set(found["modules"])) == []
    assert found["commands"]
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for name, text in found["commands"].items():
        listed = f"{name} " + " ".join(text.split("\n\n")[0].split())
        assert any(listed in line for line in lines), f"{name} is not listed with its help:\n{result.stdout}"


def test_the_service_worker_and_sync_start_without_the_libraries_they_load_on_first_use(tmp_path):
    code = "import app.main, app.cli.main, app.sync.worker, app.sync.redelivery, app.sync.doctor_github\n"
    result, found = run_fresh(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert sorted(set(LAZY) & set(found["modules"])) == []


def test_what_is_loaded_on_first_use_is_loaded_and_works(tmp_path):
    from tests.connectors.github.fake_github_admin import FakeGitHubAdmin

    (tmp_path / "app.pem").write_text(FakeGitHubAdmin().private_key, encoding="utf-8")
    code = """
import sys
from pathlib import Path
from connectors.github.app_auth import app_integration, check_private_key
from connectors.github.hooks import admin_github
from metrics.plain_language import detect_language, score_message
assert not {"github", "cryptography", "py3langid", "numpy", "wordfreq", "textstat"} & set(sys.modules)
assert detect_language("Will do, thanks") == "en"
assert detect_language("Дякую, зараз подивлюся") == "uk"
score = score_message("The endpoint is idempotent now, so the retries are safe.")
assert score.supported and score.readability_grade > 0, score
assert "idempotent" in [term.term for term in score.flagged], score
pem = Path("app.pem").read_text()
check_private_key(pem)
assert type(admin_github("ghp_token")).__name__ == "Github"
assert type(app_integration(42, pem)).__name__ == "GithubIntegration"
"""
    result, found = run_fresh(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert set(LAZY) <= set(found["modules"])
