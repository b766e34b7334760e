"""One odd record never stops a Jira sync: it goes into the page's ``rejected``, and the page and the cursor go on."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from app.intake.checks import checked_batch
from connectors.jira.client import JiraClient
from connectors.jira.quarantine import reread
from connectors.jira.sync import JiraSync, SyncPage
from connectors.records import Batch, PayloadError, Rejected

from . import payloads as p
from .fake_jira import FakeJira

STARTED = datetime(2024, 3, 10, tzinfo=UTC)


def _t(day: int, hour: int = 12) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00.000+0000"


def _check(batch: Batch) -> Batch:
    """The app's record checks, as the runner passes them in (a time before 2000 is not plausible)."""
    return checked_batch(batch, STARTED)


def _client(base: str = p.BASE, deployment: str = "cloud") -> JiraClient:
    return JiraClient(base, email="bot@acme.example", token="t", deployment=deployment, sleep=lambda s: None)


def _without(obj: dict[str, Any], *path: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    target = out
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return out


def _serve_search(respx_mock: respx.MockRouter, url: str, pages: list[list[dict[str, Any]]], *, cloud: bool) -> None:
    """Answer a search with these pages in turn (by nextPageToken on Cloud, by startAt on Data Center)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if cloud:
            n = int(request.url.params.get("nextPageToken") or 0)
            body: dict[str, Any] = {"issues": pages[n], "isLast": n + 1 == len(pages)}
            return httpx.Response(200, json=body | ({"nextPageToken": str(n + 1)} if n + 1 < len(pages) else {}))
        start = int(request.url.params["startAt"])
        rows = [issue for page in pages for issue in page]
        return httpx.Response(200, json={"issues": rows[start:], "startAt": start, "total": len(rows)})

    respx_mock.get(url).mock(side_effect=answer)


def _rejected(pages: list[SyncPage]) -> dict[tuple[str, str], Rejected]:
    return {(r.kind, r.ref): r for page in pages for r in page.batch.rejected}


def _cloud_with_odd_records(respx_mock: respx.MockRouter) -> FakeJira:
    fake = FakeJira(p.BASE)
    good = p.issue("PROJ-1", issue_id="101", updated=_t(3), comments=[], comment_total=4)
    no_created = _without(p.issue("PROJ-3", issue_id="103", updated=_t(4), comments=[], comment_total=1),
                          "fields", "created")  # fmt: skip
    numeric_key = {**p.issue("PROJ-4", issue_id="104", updated=_t(5)), "key": 12}
    last = p.issue("PROJ-5", issue_id="105", updated=_t(6))
    no_fields = _without(p.issue("PROJ-2", issue_id="102"), "fields")
    _serve_search(respx_mock, f"{p.BASE}/rest/api/3/search/jql", [[good, no_fields, no_created], [numeric_key, last]],
                  cloud=True)  # fmt: skip
    for issue in (good, no_created, last):
        fake.put(issue)
    fake.issues["PROJ-2"] = {"id": "102", "key": "PROJ-2"}  # its own record is odd; its changelog is not
    fake.comments["PROJ-1"] = [
        p.comment("10001", p.CLIENT, "checkout is down", _t(2, 9)),
        p.comment("10002", p.DEV, "on it", "1900-01-01T00:00:00.000+0000"),  # readable, not plausible
        p.comment("10003", p.DEV, "looking", "whenever", updated=_t(2, 10)),  # not a time at all
        p.comment("10004", p.DEV, "fixed", _t(2, 11)),
    ]
    fake.comments["PROJ-3"] = [p.comment("10005", p.CLIENT, "and here?", _t(4, 9))]
    fake.histories["PROJ-1"] = [
        p.history("9001", p.DEV, _t(2, 10), p.item("status", "1", "To Do", "3", "In Progress")),
        _without(p.history("9002", p.DEV, _t(2, 10), p.item("priority", "3", "Medium", "1", "Highest")), "id"),
        p.history("9003", p.DEV, _t(2, 11), p.item("status", "3", "In Progress", "4", "Done")),
    ]
    fake.histories["PROJ-2"] = [p.history("9004", p.DEV, _t(2, 12), p.item("labels", None, "", None, "production"))]
    fake.statuses = [p.status("In Progress", "3", "indeterminate"), p.status("Done", "4", "done")]
    fake.install(respx_mock, "comments", "bulk", "status")
    return fake


@respx.mock(assert_all_called=True)
def test_odd_records_are_rejected_with_their_reason_and_everything_else_is_kept(respx_mock):
    _cloud_with_odd_records(respx_mock)
    sync = JiraSync(_client(), "PROJ", {}, started_at=STARTED, page_size=3, chunk_issues=3, check=_check)
    pages = list(sync.iter_pages())

    items = {i.key for page in pages for i in page.batch.work_items}
    acts = {a.external_id for page in pages for a in page.batch.activities}
    assert items == {"PROJ-1", "PROJ-5"}
    assert acts == {
        "opened:PROJ-1", "opened:PROJ-5",
        "comment:10001", "comment:10004", "comment:10005",  # before and after the odd comments, and PROJ-3's
        "changelog:9001:status", "changelog:9003:status", "changelog:9004:labels:production",
    }  # fmt: skip
    rejected = _rejected(pages)
    no_id = next(ref for kind, ref in rejected if kind == "history")
    assert {k: r.reason for k, r in rejected.items()} == {
        ("issue", "102"): "The Jira issue PROJ-2 has no fields object (issue.fields).",
        ("issue", "103"): "The Jira issue PROJ-3 has no fields.created field.",
        ("issue", "104"): "The Jira issue.key must be an issue key like PROJ-12, not 12.",
        ("comment", "10002"): "activity 'comment:10002'.at is 1900-01-01T00:00:00+00:00, which is not a plausible "
        "time for an event.",
        ("comment", "10003"): "comment.created is not a valid date and time: 'whenever'",
        ("history", no_id): "The Jira payload has no history.id field.",
    }
    assert no_id.startswith("sha256:")  # no id of its own: known by a digest of its body
    assert all((r.source, r.scope) == ("jira", "PROJ") for r in rejected.values())
    assert rejected[("issue", "102")].context == {"base_url": p.BASE}
    assert rejected[("comment", "10003")].context == {"issue_key": "PROJ-1", "base_url": p.BASE}
    assert rejected[("history", no_id)].context == {"issue_key": "PROJ-1", "status_categories": {}}
    assert rejected[("history", no_id)].body["items"][0]["toString"] == "Highest"  # kept raw, as Jira sent it
    # The cursor moves on as if every record had been read: the page that completes a chunk's changelogs carries
    # it past the first chunk (PROJ-3's update), then past the second.
    chunk_one, chunk_two = datetime(2024, 3, 4, 12, tzinfo=UTC), datetime(2024, 3, 6, 12, tzinfo=UTC)
    assert [page.cursor for page in pages] == [None, chunk_one, chunk_one, chunk_two]


@respx.mock(assert_all_called=True)
def test_without_checks_an_implausible_time_is_left_to_the_app(respx_mock):
    _cloud_with_odd_records(respx_mock)
    pages = list(JiraSync(_client(), "PROJ", {}, started_at=STARTED, page_size=3, chunk_issues=3).iter_pages())
    acts = {a.external_id: a for page in pages for a in page.batch.activities}
    assert acts["comment:10002"].at == datetime(1900, 1, 1, tzinfo=UTC)
    assert ("comment", "10002") not in _rejected(pages) and ("comment", "10003") in _rejected(pages)


@respx.mock(assert_all_called=True)
def test_a_record_without_a_usable_updated_does_not_move_the_cursor_nor_stop_the_page(respx_mock):
    fake = FakeJira(p.BASE)
    first = p.issue("PROJ-1", issue_id="101", updated=_t(3))
    unreadable = p.issue("PROJ-2", issue_id="102", updated="later")
    missing = _without(p.issue("PROJ-3", issue_id="103"), "fields", "updated")
    _serve_search(respx_mock, f"{p.BASE}/rest/api/3/search/jql", [[first, unreadable, missing]], cloud=True)
    fake.install(respx_mock, "changelog")
    fake.histories = {"PROJ-1": [], "PROJ-2": [], "PROJ-3": []}
    sync = JiraSync(_client(), "PROJ", {}, started_at=STARTED, bulk_changelog=False, check=_check)
    (page,) = sync.iter_pages()
    assert [i.key for i in page.batch.work_items] == ["PROJ-1", "PROJ-3"]
    (odd,) = page.batch.rejected
    assert (odd.ref, odd.reason) == ("102", "PROJ-2 fields.updated is not a valid date and time: 'later'")
    assert page.cursor == datetime(2024, 3, 3, 12, tzinfo=UTC)


@respx.mock(assert_all_called=True)
def test_datacenter_odd_issue_and_history_from_expand_changelog(respx_mock):
    dc = {"base": p.DC_BASE, "api": "2", "reporter": p.DC_CLIENT}
    odd = _without(p.issue("DC-1", issue_id="501", updated=_t(3), **dc), "fields", "created")
    odd["changelog"] = {"startAt": 0, "total": 2, "histories": [
        _without(p.history("8001", p.DC_DEV, _t(2), p.item("priority", "3", "Medium", "1", "High")), "id"),
        p.history("8002", p.DC_DEV, _t(2, 13), p.item("priority", "1", "High", "3", "Medium")),
    ]}  # fmt: skip
    good = p.issue("DC-2", issue_id="502", updated=_t(4), **dc)
    _serve_search(respx_mock, f"{p.DC_BASE}/rest/api/2/search", [[odd, good]], cloud=False)
    (page,) = JiraSync(_client(p.DC_BASE, "datacenter"), "DC", {}, started_at=STARTED, check=_check).iter_pages()
    assert [i.key for i in page.batch.work_items] == ["DC-2"]
    assert {a.external_id for a in page.batch.activities} == {"opened:DC-2", "changelog:8002:priority"}
    assert sorted(r.kind for r in page.batch.rejected) == ["history", "issue"]
    assert page.cursor == datetime(2024, 3, 4, 12, tzinfo=UTC)


@respx.mock(assert_all_called=True)
def test_a_rejected_record_reads_again_once_it_is_readable(respx_mock):
    _cloud_with_odd_records(respx_mock)
    sync = JiraSync(_client(), "PROJ", {}, started_at=STARTED, page_size=3, chunk_issues=3, check=_check)
    rejected = _rejected(list(sync.iter_pages()))

    issue = rejected[("issue", "103")]
    with pytest.raises(PayloadError, match=r"PROJ-3 has no fields\.created"):
        reread(issue)  # the same body, the same parser: still unreadable
    fixed = Rejected(**{**_fields(issue), "body": {**issue.body, "fields": {**issue.body["fields"], "created": _t(1)}}})
    batch = reread(fixed)
    (item,) = batch.work_items
    assert (item.key, item.url, item.created_at) == ("PROJ-3", f"{p.BASE}/browse/PROJ-3", datetime(2024, 3, 1, 12,
                                                                                                    tzinfo=UTC))
    assert [a.external_id for a in batch.activities] == ["opened:PROJ-3"] and not batch.rejected

    implausible = rejected[("comment", "10002")]
    assert reread(implausible).activities[0].at == datetime(1900, 1, 1, tzinfo=UTC)  # reads; the checks refuse it
    with pytest.raises(PayloadError, match="not a plausible time"):
        reread(implausible, _check)

    comment = rejected[("comment", "10003")]
    (act,) = reread(Rejected(**{**_fields(comment), "body": {**comment.body, "created": _t(2, 10)}})).activities
    assert (act.external_id, act.item_key, act.url) == (
        "comment:10003", "PROJ-1", f"{p.BASE}/browse/PROJ-1?focusedCommentId=10003")

    history = next(r for (kind, _), r in rejected.items() if kind == "history")
    history = Rejected(**{**_fields(history), "context": {"issue_key": "PROJ-1", "status_categories": {"4": "done"}}})
    with pytest.raises(PayloadError, match=r"history\.id"):
        reread(history)
    body = {**history.body, "id": "9002", "items": [p.item("status", "3", "In Progress", "4", "Done")]}
    (act,) = reread(Rejected(**{**_fields(history), "body": body})).activities
    assert (act.external_id, act.item_key, dict(act.data)) == (
        "changelog:9002:status", "PROJ-1", {"from": "In Progress", "to": "Done", "category": "done"})


def test_reread_refuses_what_it_cannot_read_again():
    base = Rejected("jira", "PROJ", "comment", "1", p.comment("1", p.DEV, "x", _t(2)), {}, "why")
    with pytest.raises(PayloadError, match="context names no issue_key"):
        reread(base)
    with pytest.raises(PayloadError, match="kind 'worklog' cannot be read"):
        reread(Rejected(**{**_fields(base), "kind": "worklog"}))
    with pytest.raises(PayloadError, match="github record is not a Jira record"):
        reread(Rejected(**{**_fields(base), "source": "github"}))


def _fields(rejected: Rejected) -> dict[str, Any]:
    return {name: getattr(rejected, name) for name in Rejected.__slots__}
