"""GET /v1/work-items/{source}/{key}: one item, its activities with roles, and its clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.db import transaction
from app.store.recompute import recompute_clocks
from app.store.upserts import store_batch
from connectors.records import Activity, Actor, Batch, WorkItem
from tests.api.conftest import ADMIN


def test_a_github_item_with_hash_encoded(client, story):
    r = client.get("/v1/work-items/github/acme/shop%233", headers=ADMIN)
    assert r.status_code == 200, r.text
    item = r.json()
    assert (item["key"], item["client"], item["container"], item["kind"]) == ("acme/shop#3", "acme", "acme/shop",
                                                                             "issue")
    assert item["labels"] == ["production"] and item["assignees"] == ["olena-dev"]
    assert item["moved_from"] == []  # it never moved
    assert item["author"] == {"identity": "alice-acme", "name": None, "person": "alice", "role": "client"}
    kinds = [a["kind"] for a in item["activities"]]
    assert kinds[0] == "opened" and "comment" in kinds and kinds[-1] == "closed"
    comment = next(a for a in item["activities"] if a["kind"] == "comment")
    assert comment["actor"]["person"] == "olena" and comment["actor"]["role"] == "developer"
    assert comment["excerpt"] == "Looking at it now."
    assert {c["kind"]: c["state"] for c in item["clocks"]} == {"response": "met", "bug_fix": "met"}
    cited = {e["activity_id"] for c in item["clocks"] for e in c["evidence"]}
    assert cited <= {a["id"] for a in item["activities"]}  # every clock's evidence is in the trail


@pytest.mark.parametrize("path", ["acme/shop/3", "acme/shop/issues/3"])
def test_a_github_key_can_be_written_without_the_hash(client, story, path):
    r = client.get(f"/v1/work-items/github/{path}", headers=ADMIN)
    assert r.status_code == 200 and r.json()["key"] == "acme/shop#3"


def test_an_unknown_item_is_a_404_that_explains_the_key(client, story):
    r = client.get("/v1/work-items/github/acme/shop%23404", headers=ADMIN)
    assert r.status_code == 404
    assert r.json()["detail"].startswith("No github work item 'acme/shop#404' has been received.")
    assert "%23" in r.json()["detail"]


def test_an_unknown_source_is_refused(client):
    assert client.get("/v1/work-items/gitlab/x", headers=ADMIN).status_code == 422


def test_a_jira_item_and_its_clock(client, factory, contracts, story):
    t = story.t0
    alice, olena = Actor("jira", "acc-alice", "Alice Meyer"), Actor("jira", "acc-olena", "Olena Koval")
    batch = Batch(
        work_items=[WorkItem("jira", "SHOP-45", "SHOP", "jira_issue", "https://acme.atlassian.net/browse/SHOP-45",
                             "Refund fails", t, t, author=alice, status="Open", issue_type="Task")],
        activities=[Activity("jira", "opened:SHOP-45", "SHOP-45", "opened", t, alice, body="Refunds fail."),
                    Activity("jira", "comment:9001", "SHOP-45", "comment", t + timedelta(minutes=7), olena,
                             body="Checking the payment logs now.")],
    )
    with transaction(factory) as session:
        recompute_clocks(session, contracts, store_batch(session, batch))
    item = client.get("/v1/work-items/jira/SHOP-45", headers=ADMIN).json()
    assert item["author"]["role"] == "client" and item["author"]["name"] == "Alice Meyer"
    [clock] = item["clocks"]
    assert (clock["developer"], clock["elapsed"], clock["state"]) == ("olena", "7 min", "met")
