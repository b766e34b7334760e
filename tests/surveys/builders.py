"""Contracts with surveys switched on, and the settings that sign their links, shared by the survey tests."""

from __future__ import annotations

from typing import Any

from app.contracts import Contracts, parse_contracts
from app.settings import Settings
from tests.conftest import CONTRACTS_YAML, make_settings

SECRET = "survey-secret-for-tests-0123456789"
PUBLIC = "http://pulse.test"


def survey_contracts(survey: str = "{after_bug_fix: true, every: week}", *, hours: str = "24/7") -> Contracts:
    """The suite's contracts, with alice and bob asked at acme (bob by Slack only: he has no e-mail)."""
    text = CONTRACTS_YAML.replace('working_hours: "24/7"', f'working_hours: "{hours}"').replace(
        '{id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-alice"}',
        '{id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, jira: "acc-alice", '
        'emails: [alice@acme.test]}\n  - {id: bob, name: Bob Stone, role: client, clients: [acme], github: bob-acme}',
    ) + f"    survey: {survey}\n"
    return parse_contracts(text, "test pulse.yaml")


def survey_settings(**overrides: Any) -> Settings:
    return make_settings(survey_secret=SECRET, public_url=PUBLIC, **overrides)
