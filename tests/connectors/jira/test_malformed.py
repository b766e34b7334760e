"""Malformed Jira payloads are refused with a PayloadError naming the field; odd shapes never raise anything else."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.jira.normalize import (
    normalize_rest_comment,
    normalize_rest_history,
    normalize_rest_issue,
    normalize_webhook,
)
from connectors.records import ISSUE_ID_KEY_PREFIX, Batch, PayloadError, issue_id_of

from . import payloads as p
from .fixtures import load_json

TS = 1709290800000  # 2024-03-01T11:00:00Z
_ODD = [None, "", "soon", 0, -1, 10**20, 1.5, True, [], [1, "x"], {}, {"a": 1}]


def _without(obj: dict[str, Any], *path: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    target = out
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return out


@pytest.mark.parametrize(
    ("issue", "message"),
    [
        (_without(p.issue("PROJ-2"), "fields"), r"PROJ-2 has no fields object \(issue\.fields\)"),
        ({**p.issue("PROJ-2"), "fields": ["summary"]}, r"PROJ-2 has no fields object"),
        (_without(p.issue("PROJ-2"), "fields", "created"), r"PROJ-2 has no fields\.created field"),
        ({**p.issue(), "key": 12}, r"issue\.key must be an issue key like PROJ-12, not 12\."),
        ({**p.issue(), "key": "twelve"}, r"issue\.key must be an issue key like PROJ-12, not 'twelve'\."),
        ({**p.issue(), "key": {"id": 1}}, r"issue\.key must be an issue key like PROJ-12, not an object\."),
        (_without(p.issue(), "key"), r"no issue\.key field"),
        ({**p.issue("PROJ-2"), "id": {"n": 1}}, r"PROJ-2 has an issue\.id that is not a number"),
    ],
)
def test_a_malformed_issue_is_refused_naming_the_field(issue, message):
    with pytest.raises(PayloadError, match=message):
        normalize_rest_issue(issue)


def test_an_issue_id_may_be_a_number_or_numeric_text():
    assert normalize_rest_issue({**p.issue(), "id": 10045}).activities[0].data == {"issue_id": "10045"}
    assert normalize_rest_issue({**p.issue(), "id": "10045"}).activities[0].data == {"issue_id": "10045"}
    assert normalize_rest_issue(_without(p.issue(), "id")).activities[0].data == {}


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (_without(p.history("9001", p.DEV, "2024-03-02T01:00:00Z"), "id"), r"no history\.id field"),
        ({**p.history("9001", p.DEV, "2024-03-02T01:00:00Z"), "id": {"a": 1}}, r"history\.id must be text or"),
        (_without(p.history("9001", p.DEV, "2024-03-02T01:00:00Z"), "created"), r"history\.created is missing"),
        ({**p.history("9001", p.DEV, "2024-03-02T01:00:00Z"), "items": 5}, r"history\.items field must be a list"),
    ],
)
def test_a_malformed_history_is_refused_naming_the_field(history, message):
    with pytest.raises(PayloadError, match=message):
        normalize_rest_history("PROJ-1", history)


def test_a_malformed_comment_is_refused_naming_the_field():
    comment = p.comment("10001", p.DEV, "hello", "2024-03-02T10:00:00Z")
    with pytest.raises(PayloadError, match=r"comment\.created is not a valid date and time: 'next week'"):
        normalize_rest_comment("PROJ-1", {**comment, "created": "next week"})
    with pytest.raises(PayloadError, match=r"comment\.id must be text or a number, not an object"):
        normalize_rest_comment("PROJ-1", {**comment, "id": {"a": 1}})


def _webhook(event: str, **extra: Any) -> dict[str, Any]:
    return {"timestamp": TS, "webhookEvent": event, "issue": p.issue("PROJ-7"), **extra}


@pytest.mark.parametrize("event", ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"])
def test_a_webhook_timestamp_that_is_not_a_time_is_refused_by_every_event(event):
    assert normalize_webhook(_webhook(event))  # the same delivery with a real timestamp is read
    with pytest.raises(PayloadError, match=r"timestamp must be epoch milliseconds, not 'soon'\."):
        normalize_webhook(_webhook(event, timestamp="soon"))


def test_a_comment_webhook_timestamp_that_is_not_a_time_is_refused():
    payload = load_json("webhooks/comment_created/webhook-cloud-comment-created.json")
    assert normalize_webhook(payload).activities
    with pytest.raises(PayloadError, match="timestamp"):
        normalize_webhook({**payload, "timestamp": {"at": "soon"}})


def test_a_numeric_issue_key_in_a_webhook_is_refused():
    with pytest.raises(PayloadError, match=r"issue\.key must be an issue key like PROJ-12, not 12\."):
        normalize_webhook(_webhook("jira:issue_created", issue={**p.issue(), "key": 12}))
    cloud_comment = load_json("webhooks/comment_created/webhook-cloud-comment-created.json")
    cloud_comment["issue"]["key"] = 12
    with pytest.raises(PayloadError, match=r"issue\.key"):
        normalize_webhook(cloud_comment)


def test_a_comment_self_url_that_names_no_issue_is_refused():
    payload = load_json("webhooks/comment_created/webhook-server-comment-created.json")
    payload["comment"]["self"] = "https://jira.acme.example/rest/api/2/issue/what/comment/10082"
    with pytest.raises(PayloadError, match=r"comment\.self URL names neither an issue key nor an issue id"):
        normalize_webhook(payload)


def test_a_data_center_comment_without_issue_keeps_the_id_its_issue_is_found_by():
    """The placeholder key carries the numeric id; the issue's OPENED activity carries the same id."""
    comment_event = load_json("webhooks/comment_created/webhook-server-comment-created.json")
    (comment,) = normalize_webhook(comment_event).activities
    assert comment.item_key == ISSUE_ID_KEY_PREFIX + "10013" and comment.external_id == "comment:10082"
    created = _webhook("jira:issue_created", issue=p.issue("PRJX-14", issue_id="10013", base=p.DC_BASE, api="2"))
    opened = next(a for a in normalize_webhook(created).activities if a.kind == "opened")
    assert issue_id_of(comment.item_key) == opened.data["issue_id"] == "10013"


def _variants(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the record with each top-level field, and each field of ``fields``, absent or set to an odd value."""
    out = []
    for name in record:
        out.append(_without(record, name))
        out += [{**record, name: odd} for odd in _ODD]
    for name in record.get("fields", {}):
        out.append(_without(record, "fields", name))
        out += [{**record, "fields": {**record["fields"], name: odd}} for odd in _ODD]
    return out


def _readers() -> list[tuple[dict[str, Any], Any]]:
    issue = p.issue("PROJ-1", assignee=p.DEV, resolution="Done", resolved="2024-03-02T10:00:00Z", description=p.adf(""))
    comment = {**p.comment("10001", p.DEV, p.adf("hello"), "2024-03-02T10:00:00Z"), "visibility": {"type": "role"}}
    history = p.history(
        "9001", p.DEV, "2024-03-02T01:00:00Z",
        p.item("status", "1", "To Do", "3", "In Progress"), p.item("labels", None, "a", None, "a b"),
        p.item("assignee", None, None, "acc-dev", "Dan"),
        p.item("Key", None, "OLD-1", None, "PROJ-1", field_id="issuekey"),
    )  # fmt: skip
    return (
        [(v, lambda r: normalize_rest_issue(r)) for v in _variants(issue)]
        + [(v, lambda r: Batch(activities=[normalize_rest_comment("PROJ-1", r)])) for v in _variants(comment)]
        + [(v, lambda r: normalize_rest_history("PROJ-1", r)) for v in _variants(history)]
        + [(v, normalize_webhook) for v in _variants(_webhook("jira:issue_updated", changelog=history))]
    )


def test_odd_shapes_are_read_or_refused_with_a_payload_error_never_another_error():
    refused = 0
    for record, read in _readers():
        try:
            read(record)
        except PayloadError:
            refused += 1
    assert refused > 0
