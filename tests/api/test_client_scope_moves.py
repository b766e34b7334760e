"""A work item that moved from one client's project to another's: each client token sees only its own part of it,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from app.contracts import parse_contracts
from app.core.tokens import configured_tokens
from tests.api.conftest import ADMIN
from tests.conftest import TOKEN, post_jira
from tests.store.moved import CONTRACTS_YAML, MOVE_MINUTE, Move, at, jira_webhooks

ACME = {"Authorization": "Bearer acme-portal-0123456789"}
GLOBEX = {"Authorization": "Bearer globex-portal-0123456789"}
MOVE = Move("jira", "SHOP-7", "GLX-3")  # acme's question moves to globex's project 20 minutes later


@pytest.fixture
def contracts():
    return parse_contracts(CONTRACTS_YAML, "moves pulse.yaml")


@pytest.fixture
def app(app, contracts):
    app.state.api_tokens = configured_tokens([TOKEN, "client:acme:acme-portal-0123456789",
                                              "client:globex:globex-portal-0123456789"], contracts.clients)
    return app


@pytest.fixture
def moved(client):
    for payload in jira_webhooks(MOVE):
        assert post_jira(client, payload).status_code in (200, 202)


def test_the_new_client_sees_nothing_from_before_the_move(client, moved):
    staff = client.get("/v1/work-items/jira/GLX-3", headers=ADMIN).json()
    assert [m["key"] for m in staff["moved_from"]] == ["SHOP-7"]
    assert any(a["at"] < at(MOVE_MINUTE).strftime("%Y-%m-%dT%H:%M:%SZ") for a in staff["activities"])
    assert {c["client"] for c in staff["clocks"]} == {"acme", "globex"}
    theirs = client.get("/v1/work-items/jira/GLX-3", headers=GLOBEX)
    assert theirs.status_code == 200
    item = theirs.json()
    # (The test Jira site is acme.atlassian.net, so links name it; nothing else of acme's may show.)
    assert item["moved_from"] == [] and "SHOP" not in theirs.text and '"acme"' not in theirs.text
    moved_at = at(MOVE_MINUTE).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert item["activities"] and all(a["at"] >= moved_at for a in item["activities"])
    assert item["clocks"] and {c["client"] for c in item["clocks"]} == {"globex"}


def test_the_old_client_keeps_its_clock_but_not_the_item_it_no_longer_holds(client, moved):
    clocks = client.get("/v1/clocks", headers=ACME).json()["clocks"]
    assert [c["client"] for c in clocks] == ["acme"]  # the question asked before the move stays acme's
    for path in ("/v1/work-items/jira/GLX-3", "/v1/work-items/jira/SHOP-7"):
        assert client.get(path, headers=ACME).status_code == 404, path
