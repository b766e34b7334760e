"""Each client's survey asks its own contacts only: a person with role client is asked by the clients named in their
clients: (or listing them in survey.people), never by another client, and hears nothing of it (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import Notification, SurveyRequest
from app.surveys import ask_due, contacts, links_from, remind_due
from tests.surveys.builders import survey_settings

WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.postgres

TWO_CLIENTS = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev}
  - {id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, emails: [alice@acme.test]}
  - {id: bob, name: Bob Lindqvist, role: client, clients: [globex], github: bob-globex, emails: [bob@globex.test]}
  - {id: carol, name: Carol Diaz, role: client, github: carol-x, emails: [carol@x.test]}
clients:
  - name: acme
    github_repos: [acme/shop]
    calendar: 24/7
    survey: {every: week, remind_after: 1 day}
  - name: globex
    github_repos: [globex/portal]
    calendar: 24/7
    survey: {every: month, remind_after: 1 day}
"""


def test_contacts_are_the_clients_own_people_with_an_address():
    contracts = parse_contracts(TWO_CLIENTS)
    assert [p.id for p in contacts(contracts, contracts.clients["acme"])] == ["alice"]
    assert [p.id for p in contacts(contracts, contracts.clients["globex"])] == ["bob"]
    listed = parse_contracts(TWO_CLIENTS.replace("survey: {every: week,", "survey: {every: week, people: [carol],"))
    assert [p.id for p in contacts(listed, listed.clients["acme"])] == ["carol"]


def test_each_client_asks_and_reminds_its_own_contacts_only(factory):
    contracts = parse_contracts(TWO_CLIENTS)
    links = links_from(survey_settings(), contracts)
    assert links is not None
    for _ in range(2):
        with transaction(factory) as s:
            ask_due(s, contracts, links, WEDNESDAY)
    with transaction(factory) as s:
        assert remind_due(s, contracts, links, WEDNESDAY + timedelta(days=1)) == 2
    with factory() as s:
        asked = sorted((r.client, r.person, r.reason) for r in s.scalars(select(SurveyRequest)))
        sent = sorted((m.destination, m.subject) for m in s.scalars(select(Notification)))
    assert asked == [("acme", "alice", "week"), ("globex", "bob", "month")]  # carol names no client: not asked
    assert sent == [
        ("alice@acme.test", "How did we do on week 2026-W09? (acme)"),
        ("alice@acme.test", "Reminder: how did we do? (acme)"),
        ("bob@globex.test", "How did we do on February 2026? (globex)"),
        ("bob@globex.test", "Reminder: how did we do? (globex)"),
    ]
