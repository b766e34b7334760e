"""The contracts file: the documented keys work, and a bad file names the file, the key and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.contracts import ContractsError, load_contracts, parse_contracts, parse_duration
from app.demo import demo_contracts
from metrics.model import Role

ISSUE_EXAMPLE = """
people:
  - id: olena
    name: Olena Koval
    role: developer
    github: olena-dev
    jira: "5b10ac8d82e05b22cc7d4ef5"
clients:
  - name: acme
    github_repos: [acme/shop]
    jira_projects: [SHOP]
    unknown_authors: client
    calendar:
      timezone: Europe/Kyiv
      working_hours: "Mon-Fri 09:00-18:00"
      holidays: UA
    targets:
      response_time: 30m
      production_bug_fix: 3h
      at_risk: 0.75
    production_bug:
      labels: [production]
      jira_issue_types: [Bug]
      jira_priorities: [Highest, High]
    pause_statuses: ["Waiting for customer"]
    bug_fix_calendar: business
"""


def test_the_documented_example_loads():
    contracts = parse_contracts(ISSUE_EXAMPLE)
    acme = contracts.clients["acme"]
    assert acme.policy.response_target_seconds == 1800
    assert acme.policy.bug_fix_target_seconds == 3 * 3600
    assert acme.policy.at_risk == 0.75
    assert acme.policy.bug_labels == frozenset({"production"})
    assert acme.policy.pause_statuses == frozenset({"waiting for customer"})
    assert contracts.client_for("github", "ACME/Shop") is acme
    assert contracts.client_for("jira", "shop") is acme
    assert contracts.client_for("github", "other/repo") is None


def test_the_demo_contracts_load():
    contracts = demo_contracts()
    assert set(contracts.clients) == {"acme", "globex"}
    assert contracts.clients["globex"].policy.bug_fix_calendar != contracts.clients["globex"].policy.response_calendar


def test_the_readme_example_loads():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The contracts file"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    contracts = parse_contracts(example.group(1), "README.md")
    acme, globex = contracts.clients["acme"], contracts.clients["globex"]
    assert acme.policy.since is not None and globex.calendar.is_always_on
    assert [contracts.resolve(c, "github", "dana-dev").role for c in (acme, globex)] == [Role.DEVELOPER, Role.CLIENT]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", 1800), ("3h", 10800), ("1h30m", 5400), ("2d", 172800), ("45s", 45), (90, 90)],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["30 mins", "", "0m", "soon", "h"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(ValueError, match="30m, 3h"):
        parse_duration(text)


def test_roles_for_listed_unknown_and_bot_authors():
    contracts = parse_contracts(ISSUE_EXAMPLE)
    acme = contracts.clients["acme"]
    assert contracts.resolve(acme, "github", "Olena-Dev").role is Role.DEVELOPER
    assert contracts.resolve(acme, "jira", "5b10ac8d82e05b22cc7d4ef5").person == "olena"
    stranger = contracts.resolve(acme, "github", "someone")
    assert stranger.role is Role.CLIENT and stranger.person == "github:someone"
    assert contracts.resolve(acme, "github", "dependabot[bot]", is_bot=True).role is Role.BOT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("response_time: 30m", "response_time: 30 mins"), "clients[acme].targets.response_time: '30 mins' is not a"),
        (("timezone: Europe/Kyiv", "timezone: Europe/Kyyiv"), "clients[acme].calendar"),
        (("unknown_authors: client", "unknown_authors: everyone"), "clients[acme].unknown_authors"),
        (("role: developer", "role: engineer"), "people[olena].role"),
        (("at_risk: 0.75", "at_risk: 1.5"), "clients[acme].targets.at_risk"),
        (("pause_statuses:", "pause_status:"), "clients[acme].pause_status: is not a known key"),
        (("github_repos: [acme/shop]", "github_repos: [shop]"), "'shop' is not a repository"),
        (("holidays: UA", "holidays: XX"), "clients[acme].calendar"),
    ],
)
def test_bad_file_names_file_key_and_problem(change, message):
    text = ISSUE_EXAMPLE.replace(*change)
    with pytest.raises(ContractsError) as info:
        parse_contracts(text, "pulse.yaml")
    assert str(info.value).startswith("pulse.yaml: ")
    assert message in str(info.value)


def test_a_repository_listed_for_two_clients_is_refused():
    text = ISSUE_EXAMPLE + """
  - name: other
    github_repos: [acme/shop]
"""
    with pytest.raises(ContractsError, match="listed twice"):
        parse_contracts(text)


def test_invalid_yaml_and_missing_file(tmp_path):
    with pytest.raises(ContractsError, match="not valid YAML"):
        parse_contracts("people: [", "pulse.yaml")
    with pytest.raises(ContractsError, match="PULSE_CONTRACTS"):
        load_contracts(tmp_path / "missing.yaml")
