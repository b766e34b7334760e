"""Rules of the Jira normalizer, on small hand-written payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.jira.normalize import normalize_rest_changelog, normalize_rest_issue, normalize_webhook
from connectors.jira.shapes import actor_from, base_url_from_self, issue_ref_from_self, text_of
from connectors.records import ActivityKind, PayloadError

from . import payloads as p

TS = 1709290800000  # 2024-03-01T11:00:00Z


def _updated(*items, issue=None, user=p.DEV, history_id="20001", **extra):
    payload = {
        "timestamp": TS,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": user,
        "issue": issue or p.issue(),
        "changelog": {"id": history_id, "items": list(items)},
    }
    payload.update(extra)
    return payload


def _acts(batch, kind=None):
    return [a for a in batch.activities if kind is None or a.kind == kind]


def test_unknown_event_is_an_empty_batch():
    assert not normalize_webhook({"webhookEvent": "worklog_created", "worklog": {}})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "webhookEvent"),
        ({"webhookEvent": "jira:issue_updated"}, "issue"),
        ({"webhookEvent": "jira:issue_updated", "issue": {"fields": {}}}, "issue.key"),
        ({"webhookEvent": "jira:issue_created", "issue": {"key": "P-1"}}, "fields"),
        ({"webhookEvent": "comment_created", "issue": {"key": "P-1"}}, "comment"),
        (
            {"webhookEvent": "comment_created", "comment": {"id": "1", "created": "2024-03-01T09:00:00Z"}},
            "comment.self",
        ),
        (
            {
                "webhookEvent": "comment_created",
                "comment": {"id": "1", "self": "x/rest/api/2/issue/P-1/comment/1"},
            },
            "comment.created",
        ),
        (
            {
                "webhookEvent": "comment_deleted",
                "comment": p.comment("1", p.DEV, "x", "2024-03-01T09:00:00Z"),
            },
            "timestamp",
        ),
    ],
)
def test_malformed_payloads_name_the_field(payload, field):
    with pytest.raises(PayloadError, match=field.replace(".", r"\.")):
        normalize_webhook(payload)


def test_changelog_without_timestamp_is_malformed():
    payload = _updated(p.item("priority", "2", "High", "1", "Highest"))
    del payload["timestamp"]
    with pytest.raises(PayloadError, match="timestamp"):
        normalize_webhook(payload)


def test_bad_created_time_is_malformed():
    with pytest.raises(PayloadError, match="fields.created"):
        normalize_rest_issue(p.issue(created="yesterday"))


def test_issue_created_changelog_initial_values_are_not_transitions():
    payload = _updated(
        p.item("Status", None, None, "10001", "To Do", field_id="status"),
        p.item("issuetype", None, None, "10004", "Bug"),
        p.item("priority", None, None, "1", "Highest"),
    )
    payload["webhookEvent"] = "jira:issue_created"
    batch = normalize_webhook(payload)
    assert [a.kind for a in batch.activities] == [ActivityKind.OPENED]
    # The same initial-value items inside an update (or a REST history) are skipped as well.
    update = normalize_webhook(_updated(p.item("Status", None, None, "10001", "To Do", field_id="status")))
    assert _acts(update, ActivityKind.STATUS) == []


def test_opened_is_the_reporters_message_at_creation():
    batch = normalize_webhook(_updated(issue=p.issue(description=p.adf("Checkout is down"))))
    (opened,) = _acts(batch, ActivityKind.OPENED)
    assert opened.actor.id == "acc-client" and opened.body == "Checkout is down"
    assert opened.at == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert opened.updated_at == datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert opened.is_message


def test_every_tracked_field_becomes_its_fact():
    batch = normalize_webhook(
        _updated(
            p.item("status", "10001", "To Do", "3", "In Progress"),
            p.item("assignee", None, None, "acc-dev", "Dan Dev"),
            p.item("priority", "3", "Medium", "1", "Highest"),
            p.item("labels", None, "frontend production", None, "production urgent"),
            p.item("issuetype", "10001", "Story", "10004", "Bug"),
            p.item("resolution", None, None, "10000", "Done"),
            p.item("summary", None, "old", None, "new"),
            {"field": "Labels", "fieldtype": "custom", "fieldId": "customfield_1", "toString": "x"},
            issue=p.issue(st=p.status("In Progress", "3", "indeterminate")),
        )
    )
    got = {a.external_id: (a.kind, dict(a.data)) for a in batch.activities if a.kind != "opened"}
    assert got == {
        "changelog:20001:status": (
            "status",
            {"from": "To Do", "to": "In Progress", "category": "indeterminate"},
        ),
        "changelog:20001:assignee": ("assigned", {"assignee": "acc-dev", "from": None}),
        "changelog:20001:priority": ("priority_changed", {"from": "Medium", "to": "Highest"}),
        "changelog:20001:labels:frontend": ("unlabeled", {"label": "frontend"}),
        "changelog:20001:labels:urgent": ("labeled", {"label": "urgent"}),
        "changelog:20001:issuetype": ("type_changed", {"from": "Story", "to": "Bug"}),
        "changelog:20001:resolution": ("resolution", {"from": None, "to": "Done"}),
    }
    at = datetime.fromtimestamp(TS / 1000, tz=UTC)
    assert {(a.at, a.actor.id) for a in batch.activities if a.kind != "opened"} == {(at, "acc-dev")}


def test_unassign_and_reassign():
    gone = normalize_webhook(_updated(p.item("assignee", "acc-dev", "Dan Dev", None, None)))
    (act,) = _acts(gone, ActivityKind.UNASSIGNED)
    assert dict(act.data) == {"assignee": "acc-dev"}
    moved = normalize_webhook(_updated(p.item("assignee", "acc-dev", "Dan Dev", "acc-2", "Ann")))
    (act,) = _acts(moved, ActivityKind.ASSIGNED)
    assert dict(act.data) == {"assignee": "acc-2", "from": "acc-dev"}


def test_status_category_unknown_when_new_status_is_not_the_issues_current_one():
    batch = normalize_webhook(_updated(p.item("status", "10001", "To Do", "99", "Waiting for client")))
    (act,) = _acts(batch, ActivityKind.STATUS)
    assert act.data["category"] is None


def test_rest_changelog_uses_history_time_author_and_category_map():
    hist = p.history("20001", p.DEV, "2024-03-01T11:00:00.000+0000", p.item("status", "1", "To Do", "3", "In Progress"))
    (act,) = normalize_rest_changelog("PROJ-45", hist, status_categories={"3": "indeterminate"})
    assert act.at == datetime(2024, 3, 1, 11, tzinfo=UTC) and act.actor.id == "acc-dev"
    assert dict(act.data) == {"from": "To Do", "to": "In Progress", "category": "indeterminate"}


def test_issue_deleted_marks_item_deleted():
    batch = normalize_webhook({"timestamp": TS, "webhookEvent": "jira:issue_deleted", "issue": p.issue()})
    (item,) = batch.work_items
    assert item.deleted and item.key == "PROJ-45" and batch.activities == []


def test_data_center_comment_deleted_inside_issue_updated():
    c = p.comment("500", p.DC_DEV, "oops", "2024-03-01T10:00:00.000+0000", base=p.DC_BASE, api="2")
    del c["self"]
    payload = _updated(issue=p.issue(base=p.DC_BASE, api="2"), comment=c, issue_event_type_name="issue_comment_deleted")
    payload["changelog"] = None
    (act,) = _acts(normalize_webhook(payload), ActivityKind.COMMENT)
    assert act.deleted and act.updated_at == datetime.fromtimestamp(TS / 1000, tz=UTC)
    assert act.url == f"{p.DC_BASE}/browse/PROJ-45?focusedCommentId=500"


def test_actor_shapes():
    assert actor_from(p.BOT).is_bot
    assert actor_from(p.DC_CLIENT).id == "JIRAUSER10100"  # the user key, as DC changelogs name users
    assert actor_from({"name": "legacy"}).id == "legacy"
    assert actor_from({"displayName": "Anonymous"}) is None
    assert actor_from(None) is None


def test_url_helpers():
    assert base_url_from_self("https://x.atlassian.net/rest/api/3/issue/1") == "https://x.atlassian.net"
    assert base_url_from_self("https://h/jira/rest/api/2/issue/1") == "https://h/jira"
    assert base_url_from_self("not a url") is None
    assert issue_ref_from_self("https://h/rest/api/2/issue/PROJ-4/comment/9") == "PROJ-4"
    assert issue_ref_from_self(None) is None


def test_adf_flattening_keeps_text_breaks_and_mentions():
    doc = {
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [{"type": "text", "text": "Hi "}, {"type": "mention", "attrs": {"text": "@Dan"}}],
            },
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "a"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "b"},
                ],
            },
        ],
    }
    assert text_of(doc) == "Hi @Dan\na\nb"
    assert text_of("*wiki*") == "*wiki*" and text_of(None) is None
