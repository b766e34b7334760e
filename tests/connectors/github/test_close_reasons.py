"""An issue closed without a fix says why, the same by the webhook's issues.closed and by the REST issue event."""

import pytest

from connectors.github.normalize import normalize_event, normalize_rest_issue_event
from connectors.records import ActivityKind

from .conftest import webhook_fixture

REPO = "Codertocat/Hello-World"
ISSUE = f"{REPO}#1"


def _closed_activity(payload: dict):
    (closed,) = [a for a in normalize_event("issues", payload).activities if a.kind == ActivityKind.CLOSED]
    return closed


def _closed_webhook(reason: str | None) -> dict:
    # derived from issues/reopened.json: the same issue, closed instead (no issues/closed example exists)
    payload = webhook_fixture("issues", "reopened")
    payload["action"] = "closed"
    payload["issue"].update(state="closed", state_reason=reason, closed_at="2021-10-11T16:40:56Z")
    return payload


def _closed_event(issue: dict, **event_fields) -> dict:
    event = {"id": 9, "event": "closed", "actor": issue["user"], "created_at": "2021-10-11T16:40:56Z", "issue": issue}
    return {**event, **event_fields}


@pytest.mark.parametrize("reason", ["not_planned", "duplicate", "completed"])
def test_closed_reason_is_the_same_by_webhook_and_by_sync(reason):
    payload = _closed_webhook(reason)
    hooked = _closed_activity(payload)
    assert (hooked.external_id, dict(hooked.data)) == (f"closed:{ISSUE}:2021-10-11T16:40:56Z", {"reason": reason})
    issue = payload["issue"]
    for event in (
        _closed_event(issue, state_reason=reason),  # current API: the reason is on the event
        _closed_event(issue),  # older API: not on the event, so the issue's own (latest close)
        _closed_event(issue, state_reason=None),  # null on the event: the issue's own as well
    ):
        (synced,) = normalize_rest_issue_event(REPO, event).activities
        assert synced == hooked
    (item,) = normalize_event("issues", payload).work_items
    assert (item.status, item.resolution) == ("closed", reason)


def test_closed_reason_of_an_earlier_close_stays_unknown_when_the_event_lacks_it():
    issue = dict(_closed_webhook("duplicate")["issue"], closed_at="2021-10-12T09:00:00Z")  # closed again later
    (early,) = normalize_rest_issue_event(REPO, _closed_event(issue, state_reason=None)).activities
    (late,) = normalize_rest_issue_event(REPO, _closed_event(issue, created_at="2021-10-12T09:00:00Z")).activities
    assert dict(early.data) == {"reason": None} and dict(late.data) == {"reason": "duplicate"}
