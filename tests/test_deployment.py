"""docker-compose.yml and the Dockerfile run commands the `pulse` CLI really has (no Docker engine runs here)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from app.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_migrates_once_then_starts_two_api_processes_and_a_worker():
    services = _compose()
    assert services["migrate"]["command"] == ["pulse", "migrate"]
    api, worker = services["api"]["command"], services["worker"]["command"]
    assert api[:2] == ["pulse", "serve"] and int(api[api.index("--workers") + 1]) >= 2
    assert worker == ["pulse", "worker"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert services[name]["environment"]["PULSE_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_every_command_compose_runs_exists_with_its_options():
    runner = CliRunner()
    for service in _compose().values():
        command = service.get("command")
        if not command:
            continue
        assert command[0] == "pulse"
        result = runner.invoke(cli, [command[1], "--help"])
        assert result.exit_code == 0, result.output
        for option in (word for word in command[2:] if word.startswith("--")):
            assert option in result.output, f"pulse {command[1]} has no {option}"
