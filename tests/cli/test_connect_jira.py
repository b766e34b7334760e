"""`pulse connect jira` against a stand-in Jira (respx): create, no-op, update, refused (403: print the settings),
on Cloud and Data Center, signed with the secret or with the token in the URL."""

from __future__ import annotations

import pytest
import respx
import typer
from typer.testing import CliRunner

from app.cli import connect
from connectors.jira.webhook import SUPPORTED_EVENTS
from tests.conftest import CONTRACTS_YAML
from tests.connectors.jira.fake_jira_admin import SITE, JiraAdminSite

URL = "https://pulse.example.com/webhooks/jira"
SECRET = "jira-connect-secret"
JQL = 'project in ("SHOP")'


@pytest.fixture
def site():
    return JiraAdminSite(projects={"SHOP": {"BROWSE_PROJECTS"}})


@pytest.fixture
def pulse(tmp_path, monkeypatch, site):
    contracts = tmp_path / "pulse.yaml"
    contracts.write_text(CONTRACTS_YAML, encoding="utf-8")
    for name in ("PULSE_JIRA_WEBHOOK_URL", "PULSE_JIRA_WEBHOOK_TOKEN", "PULSE_JIRA_EMAIL", "PULSE_JIRA_DEPLOYMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_CONTRACTS", str(contracts))
    monkeypatch.setenv("PULSE_DATABASE_URL", f"sqlite:///{tmp_path / 'pulse.db'}")
    monkeypatch.setenv("PULSE_JIRA_URL", SITE)
    monkeypatch.setenv("PULSE_JIRA_EMAIL", "ops@example.com")
    monkeypatch.setenv("PULSE_JIRA_TOKEN", "jira-api-token")
    monkeypatch.setenv("PULSE_JIRA_WEBHOOK_SECRET", SECRET)
    root = typer.Typer()
    connect.register(root)
    runner = CliRunner()

    def run(*args: str):
        with respx.mock(assert_all_called=False) as router:
            site.install(router)
            return runner.invoke(root, ["connect", "jira", *args], env={"COLUMNS": "200"})

    return run


def _writes(site: JiraAdminSite) -> list[tuple[str, str, object]]:
    return [call for call in site.calls if call[0] != "GET"]


def test_creates_the_webhook_then_changes_nothing(pulse, site):
    first = pulse("--url", URL)
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    [(method, path, body)] = _writes(site)
    assert (method, path) == ("POST", "/rest/webhooks/1.0/webhook")
    assert body["url"] == URL and body["secret"] == SECRET and set(body["events"]) == SUPPORTED_EVENTS
    assert body["filters"] == {"issue-related-events-section": JQL} and body["enabled"] is True
    assert SECRET not in first.output

    again = pulse("--url", URL)
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output.lower()
    assert len(_writes(site)) == 1  # the second run wrote nothing
    assert len(site.webhooks) == 1


def test_updates_a_webhook_whose_events_or_filter_differ_and_leaves_others_alone(pulse, site):
    site.add_webhook(name="Someone else's", url="https://other.example.com/hook", events=["jira:issue_created"])
    site.add_webhook(name="Old pulse", url=URL, events=["jira:issue_created"],
                     filters={"issue-related-events-section": "project = SHOP AND type = Bug"})
    result = pulse("--url", URL)
    assert result.exit_code == 0, result.output
    assert "updated" in result.output and "comment_created" in result.output
    [(method, path, body)] = _writes(site)
    assert (method, path) == ("PUT", "/rest/webhooks/1.0/webhook/2")
    assert set(body["events"]) == SUPPORTED_EVENTS and body["filters"]["issue-related-events-section"] == JQL
    assert site.webhooks[0]["events"] == ["jira:issue_created"]  # not ours: untouched
    assert "nothing changed" in pulse("--url", URL).output.lower()


def test_force_sets_the_secret_again(pulse, site):
    assert pulse("--url", URL).exit_code == 0
    result = pulse("--url", URL, "--force")
    assert result.exit_code == 0 and "updated" in result.output
    assert _writes(site)[-1][0] == "PUT" and _writes(site)[-1][2]["secret"] == SECRET


def test_an_account_that_may_not_register_gets_the_settings_to_enter_by_hand(pulse, site):
    site.admin = False
    result = pulse("--url", URL)
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    for shown in (URL, JQL, "jira:issue_updated", "comment_deleted", "the value of PULSE_JIRA_WEBHOOK_SECRET",
                  "System > WebHooks"):
        assert shown in out, shown
    assert SECRET not in out
    assert not _writes(site)
    assert SECRET in pulse("--url", URL, "--show-secret").output


def test_data_center_with_a_personal_access_token(pulse, site, monkeypatch):
    site.cloud = False
    monkeypatch.setenv("PULSE_JIRA_DEPLOYMENT", "datacenter")
    monkeypatch.delenv("PULSE_JIRA_EMAIL")
    monkeypatch.setenv("PULSE_JIRA_WEBHOOK_URL", URL)
    with respx.mock(assert_all_called=False) as router:
        site.install(router)
        result = CliRunner().invoke(_root(), ["connect", "jira"], env={"COLUMNS": "200"})
        sent = router.calls.last.request
    assert result.exit_code == 0, result.output
    assert sent.headers["Authorization"] == "Bearer jira-api-token"
    assert _writes(site)[0][1] == "/rest/webhooks/1.0/webhook" and site.webhooks[0]["url"] == URL


def test_a_webhook_that_cannot_be_signed_carries_the_token_in_its_url(pulse, site, monkeypatch):
    monkeypatch.delenv("PULSE_JIRA_WEBHOOK_SECRET")
    monkeypatch.setenv("PULSE_JIRA_WEBHOOK_TOKEN", "url-token-0123456789")
    result = pulse("--url", URL)
    assert result.exit_code == 0, result.output
    assert site.webhooks[0]["url"] == URL + "?token=url-token-0123456789"
    assert "url-token-0123456789" not in result.output and "token=****" in result.output
    assert "nothing changed" in pulse("--url", URL).output.lower()


@pytest.mark.parametrize(("unset", "args", "said"), [
    ("PULSE_JIRA_WEBHOOK_SECRET", ("--url", URL), "PULSE_JIRA_WEBHOOK_SECRET is not set"),
    (None, (), "--url"),
    (None, ("--url", "http://pulse.example.com/webhooks/jira"), "plain http"),
    (None, ("--url", URL + "?token=abc"), "without ?token="),
])
def test_what_is_missing_is_said_in_one_sentence(pulse, site, monkeypatch, unset, args, said):
    if unset:
        monkeypatch.delenv(unset)
    result = pulse(*args)
    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
    assert not site.calls


def test_without_the_jira_url_it_prints_the_settings(pulse, site, monkeypatch):
    monkeypatch.delenv("PULSE_JIRA_URL")
    result = pulse("--url", URL)
    assert result.exit_code == 1
    assert "PULSE_JIRA_URL is not set" in result.output and JQL in result.output


def _root() -> typer.Typer:
    root = typer.Typer()
    connect.register(root)
    return root
