"""The pulse command and the demo history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import report, tokens
from app.cli.main import cli
from app.core.tables import ClockRow, RawDelivery, WorkItemRow
from app.demo import demo_contracts, load_demo

runner = CliRunner()
report.register(cli)
tokens.register(cli)

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_help_lists_commands():
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "migrate" in result.output and "serve" in result.output


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_every_command_has_help(command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_migrate_creates_the_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_bad_setting_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_DATABASE_URL", "mysql://nope")
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 2
    assert "PULSE_DATABASE_URL" in result.output


def test_serve_refuses_a_bad_contracts_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pulse.yaml").write_text("clients:\n  - name: acme\n    targets: {response_time: soon}\n")
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "clients[acme].targets.response_time" in result.output


def test_demo_loads_once_and_yields_clocks(factory):
    contracts = demo_contracts()
    added, present = load_demo(factory, contracts, NOW)
    assert added > 100 and present == 0
    with factory() as s:
        deliveries = s.scalar(select(func.count()).select_from(RawDelivery))
        items = s.scalar(select(func.count()).select_from(WorkItemRow))
        kinds = dict(s.execute(select(ClockRow.kind, func.count()).group_by(ClockRow.kind)).all())
        running = s.scalar(select(func.count()).select_from(ClockRow).where(ClockRow.stopped_at.is_(None)))
    assert deliveries == added
    assert items > 20
    assert kinds["response"] > 20 and kinds["bug_fix"] > 3
    assert running >= 2
    again = load_demo(factory, contracts, NOW)
    assert again == (0, added)
