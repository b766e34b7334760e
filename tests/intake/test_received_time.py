"""A delivery's stored received time reaches the normalizers: a GitHub deletion replays to the same record."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson

from app.intake.deliveries import Delivery
from app.intake.normalize import normalized, renormalize

RECEIVED = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)
COMMENT = {
    "id": 77,
    "user": {"login": "alice-acme", "type": "User"},
    "body": "Never mind",
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T09:00:00Z",
    "html_url": "https://github.com/acme/shop/issues/1#issuecomment-77",
}
ISSUE = {
    "number": 1,
    "title": "Checkout is down",
    "user": {"login": "alice-acme", "type": "User"},
    "state": "open",
    "created_at": "2026-03-02T08:00:00Z",
    "updated_at": "2026-03-02T09:00:00Z",
    "html_url": "https://github.com/acme/shop/issues/1",
}


def _deleted_comment() -> Delivery:
    payload = {"action": "deleted", "repository": {"full_name": "acme/shop"}, "sender": {"login": "marco-codes"},
               "issue": ISSUE, "comment": COMMENT}  # fmt: skip
    body = json.dumps(payload).encode()
    return Delivery("github", "1:guid-77", "issue_comment", "deleted", body, orjson.loads(body))


def _comment(batch):
    return next(a for a in batch.activities if a.external_id == "comment:77")


def test_webhook_and_replay_with_the_stored_received_time_give_the_same_deletion():
    delivery = _deleted_comment()
    hooked = normalized(delivery, received_at=RECEIVED)
    replayed = renormalize("github", delivery.delivery_id, delivery.event, delivery.action, delivery.body,
                           received_at=RECEIVED)  # fmt: skip
    assert hooked == replayed
    act = _comment(hooked)
    assert act.deleted and dict(act.data) == {"deleted_at": "2026-03-02T10:00:05.000000+00:00",
                                              "deleted_by": "marco-codes"}  # fmt: skip
    assert act.updated_at == RECEIVED


def test_without_a_received_time_the_deletion_has_no_moment_but_still_its_deleter():
    act = _comment(normalized(_deleted_comment()))
    assert act.deleted and dict(act.data) == {"deleted_by": "marco-codes"}
