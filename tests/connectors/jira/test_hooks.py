"""Jira admin webhooks as Delivery Pulse reads and compares them: JQL projects, URLs, differences in words."""

from __future__ import annotations

import httpx
import pytest
import respx

from connectors.jira.client import JiraClient
from connectors.jira.hooks import (
    JiraWebhook,
    differences,
    find_ours,
    list_webhooks,
    masked,
    project_jql,
    register,
    wanted_webhook,
)
from connectors.jira.webhook import SUPPORTED_EVENTS
from tests.connectors.jira.fake_jira_admin import SITE, JiraAdminSite

URL = "https://pulse.example.com/webhooks/jira"


@pytest.mark.parametrize(("jql", "keys"), [
    ('project in ("SHOP", "OPS")', {"SHOP", "OPS"}),
    ("project in (shop, ops) AND type = Bug", {"SHOP", "OPS"}),
    ("project = SHOP", {"SHOP"}),
    ("project='OPS' OR project = \"SHOP\"", {"OPS", "SHOP"}),
    ("", set()),
])
def test_the_projects_a_jql_filter_names(jql, keys):
    assert JiraWebhook("x", URL, frozenset(), jql).projects == keys


def test_the_wanted_webhook_reads_exactly_the_supported_events_of_sorted_unique_projects():
    want = wanted_webhook(URL, ["ops", "SHOP", "OPS"])
    assert want.events == SUPPORTED_EVENTS
    assert want.jql == project_jql(["OPS", "SHOP"]) == 'project in ("OPS", "SHOP")'
    body = want.as_body("s3cret")
    assert body["filters"] == {"issue-related-events-section": want.jql} and body["secret"] == "s3cret"
    assert "secret" not in want.as_body(None)


def test_differences_say_what_is_wrong_in_words_and_hide_the_token():
    want = wanted_webhook(URL + "?token=t0ken", ["SHOP"])
    assert differences(want, want) == []
    have = JiraWebhook("Pulse", URL + "?token=old", frozenset({"jira:issue_created", "worklog_updated"}),
                       "project = OTHER", enabled=False, id="3")
    said = differences(have, want)
    assert any("token=****" in d for d in said) and not any("t0ken" in d or "old" in d for d in said)
    assert any("comment_created" in d for d in said)
    assert any("worklog_updated" in d and "does not read" in d for d in said)
    assert "its JQL filter leaves out SHOP" in said and "it is disabled" in said


def test_a_broader_filter_with_every_project_still_differs_from_the_exact_one():
    want = wanted_webhook(URL, ["SHOP"])
    have = JiraWebhook("Pulse", URL, SUPPORTED_EVENTS, "project = SHOP AND type = Bug", id="1")
    assert differences(have, want) == [f"its JQL filter is project = SHOP AND type = Bug, expected {want.jql}"]


def test_ours_is_found_by_its_url_the_exact_one_first():
    hooks = [JiraWebhook("a", "https://other.example.com/hook", frozenset(), "", id="1"),
             JiraWebhook("b", URL + "/?token=x", frozenset(), "", id="2"),
             JiraWebhook("c", URL, frozenset(), "", id="3")]
    assert find_ours(hooks, URL).id == "3"
    assert find_ours(hooks[:2], URL).id == "2"
    assert find_ours(hooks[:1], URL) is None
    assert masked(URL) == URL and masked(URL + "?token=abc") == URL + "?token=****"


def test_register_lists_and_writes_through_the_client_and_notes_jiras_clock():
    site = JiraAdminSite(projects={"SHOP": set()})
    with respx.mock() as router, JiraClient(SITE, email="ops@example.com", token="t") as client:
        site.install(router)
        made = register(client, wanted_webhook(URL, ["SHOP"]), "s3cret")
        assert made.action == "created" and made.webhook.id == "1"
        assert register(client, wanted_webhook(URL, ["SHOP"]), "s3cret").action == "unchanged"
        changed = register(client, wanted_webhook(URL, ["SHOP", "OPS"]), "s3cret")
        assert changed.action == "updated" and "its JQL filter leaves out OPS" in changed.changes
        assert [h.projects for h in list_webhooks(client)] == [{"SHOP", "OPS"}]
        assert client.server_date is not None and client.server_date.tzinfo is not None
        site.admin = False
        refused = register(client, wanted_webhook(URL, ["SHOP"]), "s3cret")
        assert refused.action == "manual" and "permission to manage webhooks" in refused.reason


def test_a_204_answer_reads_as_nothing():
    with respx.mock() as router, JiraClient(SITE, token="t", deployment="datacenter") as client:
        router.put(f"{SITE}/rest/webhooks/1.0/webhook/1").mock(return_value=httpx.Response(204))
        assert client.send_json("PUT", "/rest/webhooks/1.0/webhook/1", {}) is None
