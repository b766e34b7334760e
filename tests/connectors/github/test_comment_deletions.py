"""Who deleted a GitHub comment and when: the sender, and the delivery's stored received time."""

import copy
from datetime import UTC, datetime

import pytest

from connectors.github.normalize import normalize_event
from connectors.records import parse_time

from .conftest import webhook_fixture

RECEIVED = datetime(2024, 3, 4, 10, 15, 30, 123456, tzinfo=UTC)  # the raw delivery's stored received time
MODERATOR = {"login": "mod-mia", "id": 7, "type": "User"}


def _activity(event: str, payload: dict, external_id: str, **options):
    return {a.external_id: a for a in normalize_event(event, payload, **options).activities}[external_id]


def _deleted(event: str, fixture: str, sender: dict | None = None) -> dict:
    payload = webhook_fixture(event, fixture)
    payload["action"] = "deleted"
    if sender is not None:
        payload["sender"] = sender  # derived: someone other than the author deletes it
    return payload


@pytest.mark.parametrize(
    ("event", "fixture", "external_id", "kept"),
    [
        ("issue_comment", "deleted", "comment:492700400", {}),
        # derived from pull_request_review_comment/created.json
        ("pull_request_review_comment", "created", "review_comment:284312630", {"review_id": 237895671}),
    ],
)
def test_deleted_comment_names_the_sender_and_the_received_time(event, fixture, external_id, kept):
    act = _activity(event, _deleted(event, fixture, MODERATOR), external_id, received_at=RECEIVED)
    assert act.deleted and act.actor.id == "Codertocat"  # the author stays the author
    assert dict(act.data) == {**kept, "deleted_at": "2024-03-04T10:15:30.123456+00:00", "deleted_by": "mod-mia"}
    # The deletion is the newest version, so an older copy of the comment stored later loses to it.
    assert act.updated_at == RECEIVED == parse_time(act.data["deleted_at"])


def test_the_same_deletion_delivered_twice_or_replayed_gives_the_same_record():
    payload = _deleted("issue_comment", "deleted")
    first = normalize_event("issue_comment", copy.deepcopy(payload), received_at=RECEIVED)
    replayed = normalize_event("issue_comment", copy.deepcopy(payload), received_at=RECEIVED)
    assert first == replayed
    assert dict(first.activities[-1].data) == {
        "deleted_at": "2024-03-04T10:15:30.123456+00:00",
        "deleted_by": "Codertocat",
    }


def test_without_a_received_time_a_deletion_names_only_the_deleter():
    act = _activity("issue_comment", _deleted("issue_comment", "deleted"), "comment:492700400")
    assert act.deleted and dict(act.data) == {"deleted_by": "Codertocat"}
    assert act.updated_at == datetime(2019, 5, 15, 15, 20, 22, tzinfo=UTC)  # the comment's own last edit


def test_received_time_touches_nothing_but_deletions():
    for event, fixture, external_id in (
        ("issue_comment", "created", "comment:492700400"),
        ("issue_comment", "edited", "comment:492700400"),
        ("pull_request_review_comment", "created", "review_comment:284312630"),
    ):
        payload = webhook_fixture(event, fixture)
        assert normalize_event(event, payload, received_at=RECEIVED) == normalize_event(event, payload)
        act = _activity(event, payload, external_id, received_at=RECEIVED)
        assert not act.deleted and not {"deleted_at", "deleted_by"} & set(act.data)


def test_a_received_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        normalize_event("issue_comment", _deleted("issue_comment", "deleted"), received_at=datetime(2024, 3, 4))
