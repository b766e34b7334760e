"""Paging through a JQL search: empty Cloud pages that carry a token are followed; a repeated token ends it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest
import respx

from connectors.jira.client import JiraClient, JiraError
from connectors.jira.reconcile import project_keys
from connectors.jira.search import search_pages
from connectors.jira.sync import JiraSync

from . import payloads as p
from .fake_jira import FakeJira

STARTED = datetime(2024, 3, 10, tzinfo=UTC)
SEARCH = f"{p.BASE}/rest/api/3/search/jql"


def _client(base: str = p.BASE, deployment: str = "cloud") -> JiraClient:
    return JiraClient(base, email="bot@acme.example", token="t", deployment=deployment, sleep=lambda s: None)


def _keys(pages) -> list[str]:
    return [issue["key"] for page in pages for issue in page]


@respx.mock(assert_all_called=True)
def test_a_sync_reads_on_past_a_page_the_account_may_not_see(respx_mock):
    fake = FakeJira(p.BASE)
    for i in range(1, 6):
        fake.put(p.issue(f"PROJ-{i}", issue_id=str(100 + i), updated=f"2024-03-0{i}T12:00:00.000+0000"))
    fake.hidden = {"PROJ-3", "PROJ-4"}  # the second page of two comes back empty, with a nextPageToken
    routes = fake.install(respx_mock, "search", "bulk")
    pages = list(JiraSync(_client(), "PROJ", {}, started_at=STARTED, page_size=2, chunk_issues=2).iter_pages())
    assert routes["search"].call_count == 3
    assert [i.key for page in pages for i in page.batch.work_items] == ["PROJ-1", "PROJ-2", "PROJ-5"]
    assert pages[-1].cursor == datetime(2024, 3, 5, 12, tzinfo=UTC)


@respx.mock(assert_all_called=True)
def test_a_token_answered_twice_ends_the_listing_with_a_warning(respx_mock, caplog):
    route = respx_mock.get(SEARCH).mock(
        side_effect=[
            httpx.Response(200, json={"issues": [{"key": "P-1"}], "nextPageToken": "t1", "isLast": False}),
            httpx.Response(200, json={"issues": [], "nextPageToken": "t2", "isLast": False}),
            httpx.Response(200, json={"issues": [{"key": "P-2"}], "nextPageToken": "t1", "isLast": False}),
        ]
    )
    with caplog.at_level(logging.WARNING, logger="connectors.jira.search"):
        keys = _keys(search_pages(_client(), "project = P", ("key",), page_size=2))
    assert keys == ["P-1", "P-2"] and route.call_count == 3
    assert [c.request.url.params.get("nextPageToken") for c in route.calls] == [None, "t1", "t2"]
    assert caplog.messages == ["Jira search answered the page token 't1' a second time; the listing ends there."]


@respx.mock(assert_all_called=True)
def test_is_last_or_no_token_ends_the_listing(respx_mock):
    route = respx_mock.get(SEARCH).mock(
        side_effect=[
            httpx.Response(200, json={"issues": [], "nextPageToken": "t1"}),  # no isLast: the token says more
            httpx.Response(200, json={"issues": [{"key": "P-1"}], "nextPageToken": "t2", "isLast": True}),
        ]
    )
    assert _keys(search_pages(_client(), "project = P", ("key",), page_size=2)) == ["P-1"]
    assert route.call_count == 2
    respx_mock.get(SEARCH).mock(return_value=httpx.Response(200, json={"issues": [{"key": "P-3"}], "isLast": False}))
    assert _keys(search_pages(_client(), "project = P", ("key",), page_size=2)) == ["P-3"]


@respx.mock(assert_all_called=True)
def test_the_key_listing_for_deleted_issues_reads_past_empty_pages_too(respx_mock):
    respx_mock.get(SEARCH).mock(
        side_effect=[
            httpx.Response(200, json={"issues": [], "nextPageToken": "t1", "isLast": False}),
            httpx.Response(200, json={"issues": [{"key": "P-7"}, {"key": 8}], "isLast": True}),
        ]
    )
    assert list(project_keys(_client(), "P")) == ["P-7"]  # a key that is not one is no key


@respx.mock(assert_all_called=True)
def test_a_datacenter_page_without_a_total_is_the_last(respx_mock):
    route = respx_mock.get(f"{p.DC_BASE}/rest/api/2/search").mock(
        return_value=httpx.Response(200, json={"issues": [{"key": "DC-1"}], "startAt": 0, "total": "many"})
    )
    client = _client(p.DC_BASE, "datacenter")
    assert _keys(search_pages(client, "project = DC", ("key",), page_size=1)) == ["DC-1"]
    assert route.call_count == 1


@respx.mock(assert_all_called=True)
def test_a_search_answer_that_is_not_an_object_is_a_jira_error(respx_mock):
    respx_mock.get(SEARCH).mock(return_value=httpx.Response(200, json=[{"key": "P-1"}]))
    with pytest.raises(JiraError, match="JSON that is not an object: list") as info:
        list(search_pages(_client(), "project = P", ("key",), page_size=2))
    assert info.value.permanent is False
