"""`pulse connect github` against a stand-in GitHub on 127.0.0.1: create, no-op, fix; org hooks; the App."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from app.cli import connect
from connectors.github.hooks import HOOK_EVENTS
from tests.conftest import CONTRACTS_YAML
from tests.connectors.github.fake_github_admin import APP_ID, PERSONAL_TOKEN, FakeGitHubAdmin

URL = "https://pulse.example.com/webhooks/github"
SECRET = "connect-secret"


@pytest.fixture
def fake():
    fake = FakeGitHubAdmin(installations={"acme": 7})
    fake.add_repo("acme/shop")
    fake.add_repo("acme/api")
    fake.add_org("acme")
    with fake.running():
        yield fake


@pytest.fixture
def pulse(tmp_path, monkeypatch, fake):
    contracts = tmp_path / "pulse.yaml"
    contracts.write_text(CONTRACTS_YAML, encoding="utf-8")
    for name in ("PULSE_GITHUB_TOKEN", "PULSE_GITHUB_APP_ID", "PULSE_GITHUB_APP_PRIVATE_KEY",
                 "PULSE_GITHUB_WEBHOOK_URL", "PULSE_GITHUB_APP_PRIVATE_KEY_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_CONTRACTS", str(contracts))
    monkeypatch.setenv("PULSE_DATABASE_URL", f"sqlite:///{tmp_path / 'pulse.db'}")
    monkeypatch.setenv("PULSE_GITHUB_API_URL", fake.base_url)
    monkeypatch.setenv("PULSE_GITHUB_TOKEN", PERSONAL_TOKEN)
    monkeypatch.setenv("PULSE_GITHUB_WEBHOOK_SECRET", SECRET)
    root = typer.Typer()
    connect.register(root)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(root, ["connect", "github", *args], env={"COLUMNS": "200"})

    return run


def test_creates_the_contract_repos_hook_then_changes_nothing(pulse, fake):
    first = pulse("--url", URL)
    assert first.exit_code == 0, first.output
    assert "acme/shop" in first.output and "created" in first.output
    [(hook_id, row)] = fake.hooks["repos/acme/shop"].items()
    assert sorted(row["events"]) == list(HOOK_EVENTS) and row["config"]["content_type"] == "json"
    assert row["config"]["url"] == URL and fake.secrets[hook_id] == SECRET
    assert fake.hooks["repos/acme/api"] == {}  # not in the contracts
    writes = [r for r in fake.requests if r[0] != "GET"]

    second = pulse("--url", URL)
    assert second.exit_code == 0, second.output
    assert "already right, nothing changed" in second.output
    assert "Nothing changed: every webhook was already right." in second.output
    assert [r for r in fake.requests if r[0] != "GET"] == writes


def test_fixes_a_hook_with_wrong_events_and_content_type(pulse, fake):
    ours = fake.add_hook("repos/acme/shop", URL, ["push", "issues"], content_type="form")
    result = pulse("--url", URL, "--repo", "acme/shop", "--repo", "acme/api")
    assert result.exit_code == 0, result.output
    assert "updated" in result.output and "content type is form, not json" in result.output
    assert sorted(fake.hooks["repos/acme/shop"][ours]["events"]) == list(HOOK_EVENTS)
    assert fake.hooks["repos/acme/shop"][ours]["config"]["content_type"] == "json"
    assert len(fake.hooks["repos/acme/api"]) == 1
    assert "Done: 2 webhook(s) created or updated" in result.output


def test_org_hook(pulse, fake):
    result = pulse("--url", URL, "--org", "acme")
    assert result.exit_code == 0, result.output
    assert "organisation acme" in result.output
    assert len(fake.hooks["orgs/acme"]) == 1 and fake.hooks["repos/acme/shop"] == {}


def test_a_repository_it_cannot_reach_is_reported_and_the_others_done(pulse, fake):
    result = pulse("--url", URL, "--repo", "acme/missing", "--repo", "acme/shop")
    assert result.exit_code == 1
    assert "failed" in result.output and "404" in result.output
    assert "1 of 2 webhook(s) could not be set up" in result.output
    assert len(fake.hooks["repos/acme/shop"]) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--url", "http://pulse.example.com/webhooks/github"], "is plain http"),
    (["--url", "pulse.example.com"], "is not a web address"),
    ([], "Give the public address"),
    (["--url", URL, "--repo", "acme/shop", "--org", "acme"], "not both"),
])
def test_refuses_bad_input_in_plain_words(pulse, fake, args, message):
    result = pulse(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert not [r for r in fake.requests if r[0] != "GET"]


def test_localhost_may_be_plain_http(pulse, fake):
    result = pulse("--url", "http://localhost:8000/webhooks/github")
    assert result.exit_code == 0, result.output


def test_without_a_secret_nothing_is_created(pulse, fake, monkeypatch):
    monkeypatch.delenv("PULSE_GITHUB_WEBHOOK_SECRET")
    result = pulse("--url", URL)
    assert result.exit_code == 2 and "PULSE_GITHUB_WEBHOOK_SECRET is not set" in result.output
    assert fake.requests == []


def test_with_a_github_app_it_prints_the_events_to_tick_and_checks_the_app(pulse, fake, monkeypatch):
    monkeypatch.setenv("PULSE_GITHUB_APP_ID", str(APP_ID))
    monkeypatch.setenv("PULSE_GITHUB_APP_PRIVATE_KEY", fake.private_key)
    fake.app_config["url"] = URL
    fake.app_events = ["issues"]
    result = pulse("--url", URL)
    assert result.exit_code == 1
    for event in HOOK_EVENTS:
        assert f"({event})" in result.output
    assert "the GitHub App is used" in result.output  # a personal token is set as well
    assert "events not ticked: issue_comment" in result.output
    fake.app_events = list(HOOK_EVENTS)
    result = pulse("--url", URL)
    assert result.exit_code == 0, result.output
    assert "The App is set up right" in result.output
    assert fake.hooks["repos/acme/shop"] == {}  # the App's own hook does it: no repository hook
    fake.app_config["content_type"] = "form"
    result = pulse("--url", URL)
    assert result.exit_code == 1 and "content type is form, not json" in result.output


def test_with_a_github_app_a_repository_hook_uses_the_installation_token(pulse, fake, monkeypatch):
    monkeypatch.setenv("PULSE_GITHUB_APP_ID", str(APP_ID))
    monkeypatch.setenv("PULSE_GITHUB_APP_PRIVATE_KEY", fake.private_key)
    result = pulse("--url", URL, "--repo", "acme/shop")
    assert result.exit_code == 0, result.output
    [(_, minted)] = fake.minted
    assert {token for _, path, token in fake.requests if path.startswith("/repos/")} == {minted}
