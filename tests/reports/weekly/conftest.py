"""A small history for the weekly report: a client in Kyiv working hours, two weeks of answers and a bug."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.contracts import Contracts, parse_contracts
from app.reports.feedback import read_feedback, save_feedback
from app.reports.plain_language import score_pending
from tests.conftest import make_settings, post_github
from tests.payloads import issue, issue_event
from tests.reports.language.conftest import Thread
from tests.reports.language.test_scoring import JARGON, PLAIN

# 2024-W10 runs from Mon 4 March to Sun 10 March 2024; Kyiv is UTC+2 then, working 09:00-18:00 (07:00-16:00 UTC).
MONDAY = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv
NOW = datetime(2024, 3, 12, 9, 0, tzinfo=UTC)  # the Tuesday after: the last full week is 2024-W10
PUBLIC = "https://pulse.example.com"

CONTRACTS_YAML = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev, emails: [olena@team.test]}
  - {id: marco, name: Marco Rossi, role: developer, github: marco-codes}
  - {id: alice, name: Alice Meyer, role: client, github: alice-acme, emails: [alice@acme.test]}
clients:
  - name: acme
    github_repos: [acme/shop]
    unknown_authors: client
    calendar: {timezone: Europe/Kyiv, working_hours: "Mon-Fri 09:00-18:00"}
    targets: {response_time: 30m, production_bug_fix: 3h}
    bug_fix_calendar: 24/7
    plain_words: {deploy: "put live"}
    report:
      enabled: true
      to: [am@team.test, olena]
      day: tuesday
      channel: [email, slack_webhook]
      slack_webhook: https://hooks.slack.test/services/T1
"""


@pytest.fixture
def contracts() -> Contracts:
    return parse_contracts(CONTRACTS_YAML, "weekly test pulse.yaml")


@pytest.fixture
def app_settings():
    return make_settings(public_url=PUBLIC)


@dataclass(frozen=True)
class History:
    client: TestClient


def answer(http: TestClient, number: int, asked: datetime, waited: timedelta, body: str = PLAIN) -> Thread:
    """A client question on a new issue, and Olena's answer after `waited`."""
    thread = Thread(http, number, at=asked, title=f"Question {number}")
    thread.comment(number * 100, "olena-dev", asked + waited, body)
    return thread


def production_bug(http: TestClient, number: int, opened: datetime, fixed_after: timedelta) -> None:
    # Filed by the developer who took the client's call, so it holds no client message waiting for an answer.
    item = issue(number, "olena-dev", opened, title="Orders fail", labels=("production",), assignees=("olena-dev",))
    assert post_github(http, "issues", issue_event("opened", item, "olena-dev")).status_code == 202
    closed = issue(number, "olena-dev", opened, title="Orders fail", labels=("production",),
                   assignees=("olena-dev",), state="closed", closed=opened + fixed_after, state_reason="completed")
    assert post_github(http, "issues", issue_event("closed", closed, "olena-dev")).status_code == 202


def rate(factory, contracts: Contracts, **fields) -> None:
    with factory() as session, session.begin():
        save_feedback(session, read_feedback({"client": "acme", **fields}, contracts, NOW), NOW)


def score(factory, contracts: Contracts) -> None:
    with factory() as session, session.begin():
        score_pending(session, contracts)


@pytest.fixture
def history(client, factory, contracts) -> History:
    """2024-W09: one answer on time. 2024-W10: one on time, one late, one late to a Saturday message, a bug
    fixed an hour and a half past its target, a message full of jargon, and the team rated 2/5 for clarity."""
    answer(client, 1, MONDAY - timedelta(days=7), timedelta(minutes=5))
    answer(client, 2, MONDAY, timedelta(minutes=10))
    answer(client, 3, MONDAY + timedelta(hours=1), timedelta(minutes=50), body=JARGON + " I will deploy it today.")
    answer(client, 4, datetime(2024, 3, 9, 10, 0, tzinfo=UTC), timedelta(days=2, hours=-2))  # Sat -> Mon 10:00 Kyiv
    production_bug(client, 5, MONDAY + timedelta(days=1), timedelta(hours=4, minutes=30))
    score(factory, contracts)
    rate(factory, contracts, period="2024-W10", clarity=2, responsiveness=3,
         comment="We often ask twice what a change means.")
    rate(factory, contracts, period="2024-W09", clarity=5, comment="Last week was fine.")
    return History(client)
