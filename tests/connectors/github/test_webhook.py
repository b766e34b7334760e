import hashlib
import hmac

import pytest
from sqlalchemy import func, select

from app.core.tables import ActivityRow, RawDelivery, WorkItemRow
from connectors.github.webhook import SUPPORTED_EVENTS, is_supported, verify_signature
from tests.conftest import post_github

from .conftest import webhook_fixture

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
KNOWN = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_known_vector_verifies():
    assert verify_signature(SECRET, BODY, KNOWN)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=" + "0" * 64,
        "sha256=",
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
    ],
)
def test_wrong_missing_or_legacy_signature_is_rejected(header):
    assert not verify_signature(SECRET, BODY, header)


def test_body_is_checked_byte_for_byte():
    assert not verify_signature(SECRET, BODY + b" ", KNOWN)
    assert not verify_signature("another secret", BODY, KNOWN)


def test_empty_secret_never_verifies():
    signature = "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest()
    assert not verify_signature("", BODY, signature)


@pytest.mark.parametrize(
    ("event", "action", "expected"),
    [
        ("issues", "opened", True),
        ("issues", "transferred", True),
        ("issue_comment", "deleted", True),
        ("pull_request", "closed", True),
        ("pull_request", "synchronize", False),
        ("pull_request", "review_requested", False),
        ("pull_request_review", "dismissed", True),
        ("pull_request_review_comment", "edited", True),
        ("ping", None, False),
        ("push", None, False),
        ("star", "created", False),
        (None, "opened", False),
        ("issues", {"not": "text"}, False),
        ("issues", ["opened"], False),
    ],
)
def test_is_supported(event, action, expected):
    assert is_supported(event, action) is expected


def test_supported_events_cover_the_brief():
    assert set(SUPPORTED_EVENTS) == {
        "issues",
        "issue_comment",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
    }


# --- through the real endpoint (signed, on SQLite and PostgreSQL) ---


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _stored(factory) -> dict[str, int]:
    return {model.__name__: _count(factory, model) for model in (RawDelivery, WorkItemRow, ActivityRow)}


@pytest.mark.parametrize(
    ("event", "name", "path", "value", "named"),
    [
        ("issue_comment", "created", ("comment", "id"), {"a": 1}, "comment.id"),
        ("issues", "opened", ("issue", "number"), "7", "issue.number"),
        ("issues", "opened", ("issue", "user"), "octocat", "issue.user"),
        ("issue_comment", "created", ("comment", "user"), "octocat", "comment.user"),
        ("pull_request_review", "submitted", ("review", "id"), True, "review.id"),
        ("issues", "assigned", ("assignee",), "octocat", "payload's assignee must be"),
    ],
)
def test_a_value_no_sender_produces_is_a_400_naming_the_field_and_nothing_is_stored(
    client, factory, event, name, path, value, named
):
    payload = webhook_fixture(event, name)
    target = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    r = post_github(client, event, payload)
    assert r.status_code == 400, r.text
    assert named in r.json()["detail"]
    assert _stored(factory) == {"RawDelivery": 0, "WorkItemRow": 0, "ActivityRow": 0}


@pytest.mark.parametrize(
    ("event", "name", "change"),
    [
        ("issues", "assigned", lambda p: p.update(assignee=None)),
        ("issues", "labeled", lambda p: p.pop("label")),
        ("pull_request_review", "submitted", lambda p: p["review"].update(submitted_at=None)),
    ],
    ids=["assignee null", "label missing", "review.submitted_at null"],
)
def test_what_the_schema_lets_be_absent_is_accepted_with_the_item_snapshot(client, factory, event, name, change):
    payload = webhook_fixture(event, name)
    change(payload)
    r = post_github(client, event, payload)
    assert (r.status_code, r.json()["status"]) == (202, "accepted"), r.text
    item = payload.get("issue") or payload["pull_request"]
    with factory() as s:
        assert s.scalars(select(WorkItemRow.title)).all() == [item["title"]]


def test_an_unused_action_is_answered_ignored_and_not_stored_even_raw(client, factory):
    payload = webhook_fixture("pull_request", "synchronize")
    r = post_github(client, "pull_request", payload)
    assert (r.status_code, r.json()["status"]) == (202, "ignored")
    assert _stored(factory) == {"RawDelivery": 0, "WorkItemRow": 0, "ActivityRow": 0}
