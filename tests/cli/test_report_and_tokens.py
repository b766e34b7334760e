"""`pulse report`, `pulse token` and `pulse openapi`: the same figures and tokens as the API."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import report, tokens
from app.contracts import parse_contracts
from app.core.tables import Base
from app.main import create_app
from tests.api.conftest import seed_story
from tests.conftest import CONTRACTS_YAML, make_settings

EXPORTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


@pytest.fixture
def pulse(tmp_path, monkeypatch):
    """Run `pulse` commands against a SQLite file holding the seeded story; return (run, api client)."""
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    contracts_path = tmp_path / "pulse.yaml"
    contracts_path.write_text(CONTRACTS_YAML, encoding="utf-8")
    monkeypatch.setenv("PULSE_DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONTRACTS", str(contracts_path))
    monkeypatch.delenv("PULSE_API_TOKENS", raising=False)
    app = create_app(make_settings(database_url=url), contracts=parse_contracts(CONTRACTS_YAML))
    Base.metadata.create_all(app.state.engine)
    root = typer.Typer()
    report.register(root)
    tokens.register(root)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(root, list(args))

    with TestClient(app) as http:
        story = seed_story(http)
        yield run, http, story
    app.state.engine.dispose()


def test_report_prints_a_table_for_people(pulse):
    run, _, _ = pulse
    result = run("report")
    assert result.exit_code == 0, result.output
    assert "Promises kept" in result.output and "Olena Koval" in result.output and "Marco Rossi" in result.output


def test_report_json_is_what_the_api_answers(pulse):
    run, http, story = pulse
    since, until = (story.t0.isoformat(), story.now.isoformat())
    result = run("report", "--format", "json", "--since", since, "--until", until)
    assert result.exit_code == 0, result.output
    api = http.get("/v1/developers", params={"since": since, "until": until},
                   headers={"Authorization": "Bearer test-token-0123456789"}).json()
    printed = json.loads(result.output)
    for person in printed["developers"] + api["developers"]:
        person.pop("open_clocks")  # counted right now, so it may move between the two calls
    assert printed == api


def test_report_csv_for_one_client_and_developer(pulse):
    run, _, _ = pulse
    result = run("report", "--format", "csv", "--client", "acme", "--developer", "olena")
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(result.output)))
    assert row["id"] == "olena" and row["responsiveness_clocks"] == "3" and row["bug_fix_median"] == "2 h"


@pytest.mark.parametrize(("args", "message"), [
    (("--client", "initech"), "No client named 'initech'"),
    (("--developer", "nobody"), "No developer with id 'nobody'"),
    (("--since", "2026-03-02T09:00:00"), "not a time with an offset"),
    (("--since", "2026-03-02T00:00:00Z", "--until", "2026-03-01T00:00:00Z"), "--since must be before --until"),
])
def test_report_refuses_what_it_cannot_answer(pulse, args, message):
    run, _, _ = pulse
    result = run("report", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_token_create_list_revoke(pulse):
    run, http, _ = pulse
    created = run("token", "create", "--name", "billing-sheet", "--scope", "read")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("pls_")
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get("/v1/contracts", headers=headers).status_code == 200
    listed = run("token", "list")
    assert "billing-sheet" in listed.output and token not in listed.output
    assert run("token", "revoke", "billing-sheet").exit_code == 0
    assert http.get("/v1/contracts", headers=headers).status_code == 401
    again = run("token", "revoke", "billing-sheet")
    assert again.exit_code == 2 and "No active token" in again.output


def test_token_create_needs_a_name(pulse):
    run, _, _ = pulse
    result = run("token", "create", "--name", "  ")
    assert result.exit_code == 2 and "give the token a name" in result.output


def test_openapi_prints_the_exported_schema(pulse):
    run, _, _ = pulse
    result = run("openapi")
    assert result.exit_code == 0
    assert result.stdout == EXPORTED.read_text(encoding="utf-8")
