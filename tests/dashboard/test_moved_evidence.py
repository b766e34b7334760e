"""The evidence page of a moved item: the old key's page is the item's, and it says where the item came from."""

from __future__ import annotations

import pytest

from app.contracts import parse_contracts
from tests.conftest import post_jira
from tests.store.moved import CONTRACTS_YAML, Move, jira_webhooks


@pytest.fixture
def contracts():
    return parse_contracts(CONTRACTS_YAML, "moves pulse.yaml")


def test_the_old_keys_evidence_page_is_the_moved_items(viewer):
    for payload in jira_webhooks(Move("jira", "SHOP-7", "OPS-3")):
        assert post_jira(viewer, payload).status_code in (200, 202)
    old, new = viewer.get("/items/jira/SHOP-7"), viewer.get("/items/jira/OPS-3")
    assert old.status_code == new.status_code == 200
    assert "Moved here from <code>SHOP-7</code> (SHOP," in new.text
    assert 'id="clock-jira-OPS-3-response-0"' in old.text and 'id="activity-comment-700"' in old.text
