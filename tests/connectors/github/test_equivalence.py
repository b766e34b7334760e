"""The same small history, delivered as webhooks and as REST listings, yields the same records."""

import copy
from datetime import UTC, datetime

from connectors.github.normalize import (
    normalize_event,
    normalize_rest_comment,
    normalize_rest_issue,
    normalize_rest_issue_event,
    normalize_rest_review,
    normalize_rest_review_comment,
)
from connectors.records import ActivityKind

REPO = "acme/shop"
API = f"https://api.github.com/repos/{REPO}"
WEB = f"https://github.com/{REPO}"
CLIENT = {"login": "client-ann", "id": 1, "type": "User"}
DEV = {"login": "dev-bob", "id": 2, "type": "User"}
LEAD = {"login": "lead-cy", "id": 3, "type": "User"}
BUG = {"id": 10, "name": "bug", "color": "d73a4a"}


def t(clock: str) -> str:
    return f"2024-03-04T{clock}Z"


def issue_one() -> dict:
    return {
        "id": 1001,
        "number": 1,
        "title": "Checkout returns 500",
        "user": CLIENT,
        "labels": [],
        "state": "open",
        "state_reason": None,
        "assignee": None,
        "assignees": [],
        "created_at": t("10:00:00"),
        "updated_at": t("10:00:00"),
        "closed_at": None,
        "body": "Checkout fails for every card since this morning.",
        "html_url": f"{WEB}/issues/1",
    }


def pull_two() -> dict:
    return {
        "id": 2002,
        "number": 2,
        "title": "Fix checkout totals",
        "user": DEV,
        "labels": [],
        "state": "open",
        "assignees": [DEV],
        "created_at": t("10:20:00"),
        "updated_at": t("10:20:00"),
        "closed_at": None,
        "merged_at": None,
        "merged": False,
        "draft": False,
        "body": "Fixes #1",
        "html_url": f"{WEB}/pull/2",
    }


def comment(comment_id: int, user: dict, body: str, created: str, updated: str, number: int = 1) -> dict:
    return {
        "id": comment_id,
        "user": user,
        "body": body,
        "created_at": t(created),
        "updated_at": t(updated),
        "html_url": f"{WEB}/issues/{number}#issuecomment-{comment_id}",
        "issue_url": f"{API}/issues/{number}",
    }


REVIEW_COMMENT = {
    "id": 401,
    "pull_request_review_id": 301,
    "user": LEAD,
    "body": "Round before summing?",
    "path": "cart.py",
    "created_at": t("10:29:50"),
    "updated_at": t("10:30:00"),
    "html_url": f"{WEB}/pull/2#discussion_r401",
    "pull_request_url": f"{API}/pulls/2",
}


def webhook_history():
    """Return the deliveries GitHub sends for the history, and the final issue/PR objects."""
    repository = {"full_name": REPO}
    issue, pull, deliveries = issue_one(), pull_two(), []

    def send(event, action, sender, **objects):
        payload = {"action": action, "repository": repository, "sender": sender}
        payload.update(copy.deepcopy(objects))
        deliveries.append((event, payload))

    send("issues", "opened", CLIENT, issue=issue)
    issue.update(labels=[BUG], updated_at=t("10:01:05"))
    send("issues", "labeled", DEV, issue=issue, label=BUG)
    issue.update(assignees=[DEV], assignee=DEV, updated_at=t("10:02:10"))
    send("issues", "assigned", DEV, issue=issue, assignee=DEV)
    issue.update(updated_at=t("10:05:00"))
    send(
        "issue_comment",
        "created",
        DEV,
        issue=issue,
        comment=comment(101, DEV, "Looking now", "10:05:00", "10:05:00"),
    )
    send("pull_request", "opened", DEV, pull_request=pull)
    pull.update(updated_at=t("10:30:00"))
    review = {"id": 301, "user": LEAD, "body": None, "state": "approved", "submitted_at": t("10:30:00")}
    review["html_url"] = f"{WEB}/pull/2#pullrequestreview-301"
    send("pull_request_review_comment", "created", LEAD, pull_request=pull, comment=REVIEW_COMMENT)
    send("pull_request_review", "submitted", LEAD, pull_request=pull, review=review)
    pull.update(
        state="closed",
        merged=True,
        merged_at=t("10:40:00"),
        closed_at=t("10:40:00"),
        updated_at=t("10:40:00"),
    )
    send("pull_request", "closed", DEV, pull_request=pull)
    issue.update(state="closed", state_reason="completed", closed_at=t("10:40:02"), updated_at=t("10:40:02"))
    send("issues", "closed", DEV, issue=issue)
    issue.update(updated_at=t("10:45:00"))
    send(
        "issue_comment",
        "created",
        CLIENT,
        issue=issue,
        comment=comment(102, CLIENT, "Thanks", "10:45:00", "10:45:00"),
    )
    issue.update(updated_at=t("10:50:00"))
    send(
        "issue_comment",
        "edited",
        CLIENT,
        issue=issue,
        comment=comment(102, CLIENT, "Thanks!", "10:45:00", "10:50:00"),
    )
    return deliveries, issue, pull


def rest_history(issue: dict, pull: dict):
    """Return what the REST listings say about the same history, in REST shapes."""
    pull_as_issue = {key: value for key, value in pull.items() if key not in ("merged", "merged_at", "draft")}
    pull_as_issue.update(
        state_reason=None,
        pull_request={"url": f"{API}/pulls/2", "html_url": f"{WEB}/pull/2", "merged_at": pull["merged_at"]},
    )
    issues = [issue, pull_as_issue]
    comments = [
        comment(101, DEV, "Looking now", "10:05:00", "10:05:00"),
        comment(102, CLIENT, "Thanks!", "10:45:00", "10:50:00"),
    ]
    # REST reviews spell the state in upper case and send "" for an empty body.
    reviews = [
        {
            "id": 301,
            "user": LEAD,
            "body": "",
            "state": "APPROVED",
            "submitted_at": t("10:30:00"),
            "html_url": f"{WEB}/pull/2#pullrequestreview-301",
        }
    ]

    def event(event_id, name, actor, at, subject, **extra):
        return {"id": event_id, "event": name, "actor": actor, "created_at": t(at), "issue": subject, **extra}

    events = [  # newest first, as the API lists them
        event(9005, "closed", DEV, "10:40:02", issue),  # no state_reason on the event: taken from the issue
        event(9004, "merged", DEV, "10:40:00", pull_as_issue, commit_id="abc"),
        event(9003, "closed", DEV, "10:40:00", pull_as_issue, state_reason=None),
        event(9002, "assigned", DEV, "10:02:10", issue, assignee=DEV, assigner=DEV),
        event(9001, "labeled", DEV, "10:01:05", issue, label={"name": "bug", "color": "d73a4a"}),
        event(9000, "subscribed", DEV, "10:00:01", issue),
    ]
    return issues, comments, [REVIEW_COMMENT], reviews, events


def latest(records, key):
    """Keep, per natural key, the newest version: what the store's upserts leave."""
    kept = {}
    for record in records:
        version = record.updated_at or getattr(record, "at", None) or record.created_at
        current = kept.get(key(record))
        if current is None or version >= (current.updated_at or getattr(current, "at", None) or current.created_at):
            kept[key(record)] = record
    return kept


def test_webhooks_and_sync_yield_equal_records():
    deliveries, issue, pull = webhook_history()
    webhook_items, webhook_activities = [], []
    for event, payload in deliveries:
        batch = normalize_event(event, payload)
        webhook_items += batch.work_items
        webhook_activities += batch.activities

    issues, comments, review_comments, reviews, events = rest_history(issue, pull)
    batches = [normalize_rest_issue(REPO, obj) for obj in issues]
    batches += [normalize_rest_comment(REPO, obj) for obj in comments]
    batches += [normalize_rest_review_comment(REPO, obj) for obj in review_comments]
    batches += [normalize_rest_review(REPO, 2, obj) for obj in reviews]
    batches += [normalize_rest_issue_event(REPO, obj) for obj in events]
    rest_items = [item for batch in batches for item in batch.work_items]
    rest_activities = [activity for batch in batches for activity in batch.activities]

    by_external_id = latest(webhook_activities, lambda a: a.external_id)
    assert by_external_id == latest(rest_activities, lambda a: a.external_id)
    assert latest(webhook_items, lambda w: w.key) == latest(rest_items, lambda w: w.key)

    assert sorted(by_external_id) == sorted(
        [
            "opened:acme/shop#1",
            "opened:acme/shop#2",
            "labeled:acme/shop#1:2024-03-04T10:01:05Z:bug",
            "assigned:acme/shop#1:2024-03-04T10:02:10Z:dev-bob",
            "comment:101",
            "comment:102",
            "review_comment:401",
            "review:301",
            "closed:acme/shop#2:2024-03-04T10:40:00Z",
            "merged:acme/shop#2:2024-03-04T10:40:00Z",
            "closed:acme/shop#1:2024-03-04T10:40:02Z",
        ]
    )
    assert dict(by_external_id["merged:acme/shop#2:2024-03-04T10:40:00Z"].data) == {"fixes": ["acme/shop#1"]}
    assert dict(by_external_id["closed:acme/shop#1:2024-03-04T10:40:02Z"].data) == {"reason": "completed"}
    assert by_external_id["comment:102"].body == "Thanks!"
    assert by_external_id["review:301"].kind == ActivityKind.REVIEW
    assert by_external_id["review:301"].at == datetime(2024, 3, 4, 10, 30, tzinfo=UTC)


def test_rest_pending_review_and_unmeasured_events_yield_nothing():
    pending = {"id": 5, "user": LEAD, "body": "", "state": "PENDING", "html_url": f"{WEB}/pull/2"}
    assert not normalize_rest_review(REPO, 2, pending)
    mentioned = {
        "id": 1,
        "event": "mentioned",
        "actor": DEV,
        "created_at": t("10:00:00"),
        "issue": issue_one(),
    }
    assert not normalize_rest_issue_event(REPO, mentioned)


def test_rest_close_reason_of_an_earlier_close_is_unknown():
    # The issue was closed, reopened and closed again; its state_reason belongs to the latest close.
    issue = dict(issue_one(), state="closed", state_reason="not_planned", closed_at=t("12:00:00"))
    early = {"id": 1, "event": "closed", "actor": DEV, "created_at": t("11:00:00"), "issue": issue}
    late = dict(early, id=2, created_at=t("12:00:00"))
    [early_close] = normalize_rest_issue_event(REPO, early).activities
    [late_close] = normalize_rest_issue_event(REPO, late).activities
    assert dict(early_close.data) == {"reason": None}
    assert dict(late_close.data) == {"reason": "not_planned"}
