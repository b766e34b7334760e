"""`pulse report weekly`: Markdown or HTML of one client's or developer's week, to the screen or a file."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import report
from app.contracts import parse_contracts
from app.core.db import make_sessionmaker
from app.core.tables import Base
from app.main import create_app
from tests.conftest import make_settings
from tests.reports.weekly.conftest import CONTRACTS_YAML, MONDAY, PUBLIC, answer, rate, score


@pytest.fixture
def pulse(tmp_path, monkeypatch):
    """Run `pulse report` against a SQLite file holding two answers in 2024-W10, one of them late."""
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    (tmp_path / "pulse.yaml").write_text(CONTRACTS_YAML, encoding="utf-8")
    monkeypatch.setenv("PULSE_DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONTRACTS", str(tmp_path / "pulse.yaml"))
    monkeypatch.setenv("PULSE_PUBLIC_URL", PUBLIC)
    contracts = parse_contracts(CONTRACTS_YAML)
    app = create_app(make_settings(database_url=url), contracts=contracts)
    Base.metadata.create_all(app.state.engine)
    factory = make_sessionmaker(app.state.engine)
    with TestClient(app) as http:
        answer(http, 1, MONDAY, datetime(2024, 3, 4, 8, 10, tzinfo=UTC) - MONDAY)
        answer(http, 2, MONDAY, datetime(2024, 3, 4, 9, 0, tzinfo=UTC) - MONDAY)
    score(factory, contracts)
    rate(factory, contracts, period="2024-W10", clarity=4, comment="Clear & quick.")
    app.state.engine.dispose()
    root = typer.Typer()
    report.register(root)
    runner = CliRunner()
    yield lambda *args: runner.invoke(root, list(args)), tmp_path


def test_a_clients_week_prints_as_markdown(pulse):
    run, _ = pulse
    result = run("report", "weekly", "--client", "acme", "--week", "2024-W10")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Weekly one-on-one: acme, 2024-W10\n")
    assert "| Answers on time | 50 % (1 of 2) | – |" in result.stdout
    assert "[evidence](<https://pulse.example.com/items/github/acme/shop/2#clock-github-acme-shop-2-response-0>)" in (
        result.stdout)
    assert "Clear & quick." in result.stdout


def test_a_developers_week_is_written_as_html_to_a_file(pulse):
    run, folder = pulse
    target = folder / "olena.html"
    result = run("report", "weekly", "--developer", "olena", "--week", "2024-W10", "--format", "html",
                 "--output", str(target))
    assert result.exit_code == 0, result.output
    assert f"Wrote the html report for Olena Koval, 2024-W10, to {target}." in " ".join(result.output.split())
    page = target.read_text(encoding="utf-8")
    parser = HTMLParser()
    parser.feed(page)
    parser.close()
    assert page.startswith("<!DOCTYPE html>") and "<title>Weekly one-on-one: Olena Koval, 2024-W10</title>" in page


def test_the_default_week_is_the_last_full_one(pulse):
    run, _ = pulse
    result = run("report", "weekly", "--client", "acme")
    assert result.exit_code == 0, result.output
    assert "| Answers on time | – | – |" in result.stdout  # 2024's answers are long past


@pytest.mark.parametrize(("args", "message"), [
    (("report", "weekly"), "Say whose week to report: --client NAME or --developer ID."),
    (("report", "weekly", "--client", "initech"), "No client named 'initech'; the contracts list acme."),
    (("report", "weekly", "--developer", "nobody"), "No person with id 'nobody'"),
    (("report", "weekly", "--client", "acme", "--week", "W10"), "'W10' is not a week; write an ISO week like "
                                                                "2026-W47."),
    (("report", "weekly", "--client", "acme", "--week", "2999-W01"), "The week 2999-W01 has not begun yet"),
    (("report", "weekly", "--client", "acme", "--format", "pdf"), "'pdf' is not one of"),
])
def test_what_cannot_be_reported_is_refused_in_plain_words(pulse, args, message):
    run, _ = pulse
    result = run(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_a_file_that_cannot_be_written_is_refused_and_nothing_is_lost(pulse):
    run, folder = pulse
    result = run("report", "weekly", "--client", "acme", "--week", "2024-W10", "--output",
                 str(folder / "missing" / "acme.md"))
    assert result.exit_code == 2
    assert "Choose a folder that exists" in " ".join(result.output.split())


def test_the_plain_report_still_answers_beside_weekly(pulse):
    run, _ = pulse
    result = run("report", "--format", "csv", "--client", "acme")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("id,name,open_clocks,")
