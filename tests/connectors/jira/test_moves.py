"""A Jira issue moved to another project: its changelog's Key item is a move, by webhook (Cloud and Data Center)
and by the sync's changelog reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import respx

from connectors.jira.changelog import TRACKED_FIELDS
from connectors.jira.client import JiraClient
from connectors.jira.normalize import normalize_rest_history, normalize_webhook
from connectors.jira.sync import JiraSync
from connectors.records import ItemMove

from . import payloads as p
from .fake_jira import FakeJira
from .fixtures import load_json

CLOUD_KEY = {"field": "Key", "fieldtype": "jira", "fieldId": "issuekey", "from": None, "fromString": "OLD-8",
             "to": None, "toString": "TES-41"}
DC_KEY = {"field": "Key", "fieldtype": "jira", "from": None, "fromString": "OLD-8", "to": None, "toString": "TES-4"}
PROJECT = {"field": "project", "fieldtype": "jira", "fieldId": "project", "from": "10100", "fromString": "Old",
           "to": "10000", "toString": "Test"}


@pytest.mark.parametrize(("fixture", "key_item", "event_type", "new_key"), [
    pytest.param("webhooks/jira_issue_updated/webhook-issue-updated-started-working.json", CLOUD_KEY,
                 "issue_generic", "TES-41", id="cloud"),
    pytest.param("webhooks/jira_issue_updated/webhook-server-issue-updated-in-progress.json", DC_KEY,
                 "issue_moved", "TES-4", id="datacenter-issue-moved"),
])
def test_a_webhook_whose_changelog_changes_the_key_is_a_move(fixture, key_item, event_type, new_key):
    # derived from the real capture: the same update, as the issue's move from project OLD would send it
    payload = load_json(fixture)
    payload["issue_event_type_name"] = event_type
    payload["changelog"]["items"] += [PROJECT, key_item]
    batch = normalize_webhook(payload)
    moved_at = datetime.fromtimestamp(payload["timestamp"] / 1000, tz=UTC)
    assert batch.moves == [ItemMove("jira", "OLD-8", new_key, moved_at, "OLD")]
    assert [i.key for i in batch.work_items] == [new_key]  # the issue arrives under its new key
    assert {a.item_key for a in batch.activities} == {new_key}
    assert any(a.kind == "status" for a in batch.activities)  # the rest of the changelog is read as before


@pytest.mark.parametrize(("items", "moves"), [
    pytest.param([PROJECT, CLOUD_KEY], [("OLD-8", "TES-41")], id="key-and-project"),
    pytest.param([dict(CLOUD_KEY, fieldId=None)], [("OLD-8", "TES-41")], id="key-named-only"),
    pytest.param([PROJECT], [], id="project-only"),
    pytest.param([dict(CLOUD_KEY, toString="OLD-8")], [], id="same-key"),
    pytest.param([dict(CLOUD_KEY, fromString=None)], [], id="no-old-key"),
    pytest.param([p.item("status", "1", "To Do", "3", "In Progress")], [], id="no-key-item"),
])
def test_a_rest_history_is_a_move_only_when_its_key_item_changes_the_key(items, moves):
    history = p.history("555", p.DEV, "2024-03-01T10:00:00.000+0000", *items)
    batch = normalize_rest_history("TES-41", history)
    assert [(m.old_key, m.new_key, m.old_container) for m in batch.moves] == [(o, n, "OLD") for o, n in moves]
    assert all(m.at == datetime(2024, 3, 1, 10, tzinfo=UTC) for m in batch.moves)


def test_the_bulk_changelog_asks_for_the_key_item_too():
    assert "issuekey" in TRACKED_FIELDS and len(TRACKED_FIELDS) <= 10  # bulkfetch takes at most 10 field ids


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud-bulk", "datacenter-inline"])
def test_the_sync_reads_the_move_from_the_issues_changelog(cloud):
    fake = FakeJira(p.BASE if cloud else p.DC_BASE, cloud=cloud)
    issue = p.issue("TES-41", base=fake.base, api=fake.api, updated="2024-03-01T11:00:00.000+0000")
    moved = p.history("555", p.DEV, "2024-03-01T10:00:00.000+0000", PROJECT, CLOUD_KEY if cloud else DC_KEY | {
        "toString": "TES-41"})
    fake.put(issue, histories=[moved])
    client = JiraClient(fake.base, email="e" if cloud else None, token="t",
                        deployment="cloud" if cloud else "datacenter", sleep=lambda s: None)
    with respx.mock(assert_all_called=True) as mock:
        routes = fake.install(mock, "search", *(["bulk"] if cloud else []))
        pages = list(JiraSync(client, "TES", {}, started_at=datetime(2024, 3, 2, tzinfo=UTC)).iter_pages())
    moves = [m for page in pages for m in page.batch.moves]
    assert moves == [ItemMove("jira", "OLD-8", "TES-41", datetime(2024, 3, 1, 10, tzinfo=UTC), "OLD")]
    if cloud:
        assert "issuekey" in json.loads(routes["bulk"].calls[0].request.content)["fieldIds"]
