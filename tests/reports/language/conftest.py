"""Fixtures for the plain-language, feedback and alignment tests: contracts with word lists and two tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.contracts import Contracts, parse_contracts
from app.core.db import make_sessionmaker
from app.main import create_app
from tests.conftest import TOKEN, make_settings, post_github
from tests.payloads import comment_event, issue, issue_event

READ_TOKEN = "read-only-token-0123456789"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
# A Monday long past, so periods rated in the tests have always begun, whatever the machine's clock says.
T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)  # ISO week 2024-W10

CONTRACTS_YAML = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev, jira: "acc-olena"}
  - {id: marco, name: Marco Rossi, role: developer, github: marco-codes, jira: "acc-marco"}
  - {id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-alice"}
  - {id: ci, name: CI bot, role: bot, github: acme-ci}
clients:
  - name: acme
    github_repos: [acme/shop]
    jira_projects: [SHOP]
    unknown_authors: client
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 30m, production_bug_fix: 3h, at_risk: 0.75}
    bug_fix_calendar: 24/7
    glossary: [checkout, invoice, VAT]
    plain_words: {deploy: "put live"}
    alignment: {good_attainment: 0.9, poor_attainment: 0.7, happy_score: 4, unhappy_score: 3, plain_pass_share: 0.8}
  - name: globex
    github_repos: [globex/portal]
    unknown_authors: developer
"""


@pytest.fixture
def contracts() -> Contracts:
    return parse_contracts(CONTRACTS_YAML, "language test pulse.yaml")


@pytest.fixture
def app(engine, contracts):
    """The app on the test database, accepting an admin token and a read-only one."""
    application = create_app(make_settings(api_tokens=f"{TOKEN},read:{READ_TOKEN}"), contracts=contracts)
    application.state.engine.dispose()
    application.state.engine = engine
    application.state.sessionmaker = make_sessionmaker(engine)
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class Thread:
    """One GitHub issue in acme/shop, posted through the real webhook intake."""

    def __init__(self, client: TestClient, number: int, author: str = "alice-acme", *, at: datetime = T0,
                 body: str = "Please help.", title: str = "Checkout is broken") -> None:
        self.client = client
        self.item = issue(number, author, at, body=body, title=title)
        self.posted: dict[int, dict[str, Any]] = {}
        assert post_github(client, "issues", issue_event("opened", self.item, author)).status_code == 202

    def comment(self, comment_id: int, author: str, at: datetime, body: str) -> dict[str, Any]:
        payload = comment_event(self.item, comment_id, author, at, body)
        assert post_github(self.client, "issue_comment", payload).status_code == 202
        self.posted[comment_id] = payload
        return payload

    def edit(self, comment_id: int, at: datetime, body: str) -> None:
        payload = self.posted[comment_id]
        comment = {**payload["comment"], "body": body, "updated_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        edited = {**payload, "action": "edited", "comment": comment}
        assert post_github(self.client, "issue_comment", edited).status_code == 202

    def delete(self, comment_id: int) -> None:
        deleted = {**self.posted[comment_id], "action": "deleted"}
        assert post_github(self.client, "issue_comment", deleted).status_code == 202
