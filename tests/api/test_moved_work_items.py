"""GET /v1/work-items for a key an item had before a move answers with the item under its key now."""

from __future__ import annotations

import pytest

from app.contracts import parse_contracts
from tests.api.conftest import ADMIN
from tests.conftest import post_github, post_jira
from tests.store.moved import CONTRACTS_YAML, MOVE_MINUTE, Move, at, github_webhooks, jira_webhooks


@pytest.fixture
def contracts():
    return parse_contracts(CONTRACTS_YAML, "moves pulse.yaml")


CASES = [
    # (move, the old key as a URL path, the new key's URL)
    pytest.param(Move("jira", "SHOP-7", "OPS-3"), "jira/SHOP-7", "/v1/work-items/jira/OPS-3", id="jira"),
    pytest.param(Move("github", "acme/shop#7", "acme/ops#3"), "github/acme/shop%237",
                 "/v1/work-items/github/acme/ops%233", id="github"),
    pytest.param(Move("github", "acme/shop#7", "acme/ops#3"), "github/acme/shop/7",
                 "/v1/work-items/github/acme/ops%233", id="github-without-hash"),
    pytest.param(Move("jira", "SHOP-7", "GLX-3"), "jira/SHOP-7", "/v1/work-items/jira/GLX-3", id="jira-other-client"),
]


def _deliver(client, move: Move) -> None:
    if move.source == "jira":
        for payload in jira_webhooks(move):
            assert post_jira(client, payload).status_code in (200, 202)
    else:
        for event, payload in github_webhooks(move):
            assert post_github(client, event, payload).status_code in (200, 202)


@pytest.mark.parametrize(("move", "old_path", "new_url"), CASES)
def test_the_old_key_answers_with_the_item_under_its_new_key(client, move, old_path, new_url):
    _deliver(client, move)
    old = client.get(f"/v1/work-items/{old_path}", headers=ADMIN)
    new = client.get(new_url, headers=ADMIN)
    assert old.status_code == new.status_code == 200, old.text
    assert old.json() == new.json()
    item = old.json()
    assert (item["key"], item["container"]) == (move.new_key, move.new_container)
    assert item["moved_from"] == [{"key": move.old_key, "container": move.old_container,
                                   "moved_at": at(MOVE_MINUTE).strftime("%Y-%m-%dT%H:%M:%SZ")}]
    assert old.headers["content-location"] == new_url
    assert "content-location" not in new.headers
    # The whole trail and every clock are under the new key, the old key's evidence included.
    assert [a["kind"] for a in item["activities"]] == ["opened"] + ["comment"] * 4 + [
        "resolution" if move.source == "jira" else "closed", *(["status"] if move.source == "jira" else [])]
    assert all(move.old_key not in a["id"] for a in item["activities"])
    assert len(item["clocks"]) == 2
    cited = {e["activity_id"] for c in item["clocks"] for e in c["evidence"]}
    assert cited <= {a["id"] for a in item["activities"]}


def test_an_unknown_key_is_still_a_404_and_the_new_key_lists_its_old_ones(client):
    _deliver(client, Move("jira", "SHOP-7", "OPS-3"))
    assert client.get("/v1/work-items/jira/SHOP-404", headers=ADMIN).status_code == 404
    r = client.get("/v1/work-items/jira/OPS-3", headers=ADMIN)
    assert r.json()["moved_from"][0]["key"] == "SHOP-7"
