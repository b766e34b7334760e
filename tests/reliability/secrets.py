"""The secret values the suite's servers run with, and a check that none of them leaks into a text."""

from __future__ import annotations

from tests.conftest import GITHUB_SECRET, JIRA_SECRET, TOKEN

JIRA_URL_TOKEN = "jira-url-token-5d0c1f7e9a2b4c6d8e0f1a3b5c7d9e1f"
WRONG_TOKEN = "wrong-token-that-looks-almost-real-42"
SECRETS = {"GitHub webhook secret": GITHUB_SECRET, "Jira webhook secret": JIRA_SECRET, "API token": TOKEN,
           "Jira URL token": JIRA_URL_TOKEN}


def leaked(text: str, secrets: dict[str, str] | None = None) -> list[str]:
    """Return the names of the secrets that appear in ``text``."""
    return [name for name, value in (secrets or SECRETS).items() if value in text]


def assert_no_secrets(text: str, secrets: dict[str, str] | None = None) -> None:
    found = leaked(text, secrets)
    assert not found, f"secret values appear in the log: {found}"
