"""Who deleted a Jira comment, and when: only what the payload really says, the same on every delivery."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from connectors.jira.normalize import normalize_webhook
from connectors.records import ActivityKind, parse_time

from . import payloads as p
from .fixtures import load_json

TS = int(datetime(2024, 3, 1, 11, 0, 0, 250000, tzinfo=UTC).timestamp() * 1000)
DELETED_AT = datetime(2024, 3, 1, 11, 0, 0, 250000, tzinfo=UTC)


def _comment(**extra) -> dict:
    return {**p.comment("500", p.DC_DEV, "oops", "2024-03-01T10:00:00.000+0000", base=p.DC_BASE, api="2"), **extra}


def _comment_deleted(**extra) -> dict:
    issue = {"id": "10045", "key": "PROJ-45", "self": f"{p.BASE}/rest/api/2/issue/10045", "fields": {"summary": "x"}}
    comment = p.comment("500", p.DEV, "oops", "2024-03-01T10:00:00.000+0000")
    return {"timestamp": TS, "webhookEvent": "comment_deleted", "comment": {**comment, **extra}, "issue": issue}


def _dc_issue_comment_deleted(comment: dict) -> dict:
    return {
        "timestamp": TS,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_comment_deleted",
        "user": p.DC_CLIENT,  # the deleter: not the comment's author (DC_DEV)
        "issue": p.issue(base=p.DC_BASE, api="2"),
        "comment": comment,
    }


def _comment_activity(payload: dict):
    (act,) = [a for a in normalize_webhook(payload).activities if a.kind == ActivityKind.COMMENT]
    return act


def test_cloud_comment_deleted_names_no_deleter_and_keeps_the_event_time_twice():
    act = _comment_activity(_comment_deleted())
    assert act.deleted and act.updated_at == DELETED_AT
    # comment_deleted has no top-level user; the comment's author and updateAuthor wrote it, not deleted it.
    assert act.data == {"deleted_at": "2024-03-01T11:00:00.250000+00:00"}
    assert parse_time(act.data["deleted_at"]) == act.updated_at


def test_data_center_issue_comment_deleted_names_the_event_user_as_deleter():
    act = _comment_activity(_dc_issue_comment_deleted(_comment()))
    assert act.deleted and act.actor.id == "JIRAUSER10200"
    assert act.data == {"deleted_at": "2024-03-01T11:00:00.250000+00:00", "deleted_by": "JIRAUSER10100"}


def test_deleted_internal_note_stays_marked_internal():
    act = _comment_activity(_comment_deleted(jsdPublic=False))
    assert act.data == {"internal": True, "deleted_at": "2024-03-01T11:00:00.250000+00:00"}


def test_the_same_deletion_delivered_twice_gives_the_same_record():
    for payload in (_comment_deleted(), _dc_issue_comment_deleted(_comment(visibility={"type": "role", "value": "x"}))):
        assert _comment_activity(copy.deepcopy(payload)) == _comment_activity(copy.deepcopy(payload))


def test_comments_not_deleted_carry_no_deletion_keys():
    created = dict(_comment_deleted(), webhookEvent="comment_created")
    commented = dict(_dc_issue_comment_deleted(_comment()), issue_event_type_name="issue_commented")
    assert _comment_activity(created).data == {} and _comment_activity(commented).data == {}


def test_real_cloud_comment_deleted_capture_has_no_user_and_gets_its_timestamp():
    payload = load_json("webhooks/comment_deleted/webhook-cloud-comment-deleted.json")
    assert "user" not in payload
    act = _comment_activity(payload)
    assert act.data == {"deleted_at": datetime.fromtimestamp(payload["timestamp"] / 1000, tz=UTC).isoformat()}
    assert parse_time(act.data["deleted_at"]) == act.updated_at
