"""What GitHub's schemas let be absent or null is accepted with what can be kept; what they forbid is refused.

Cases derived from the real payloads in ../shared/fixtures (skipped without them), and REST issue events in the
OpenAPI description's shape (``issue-event``: ``issue`` is a ``nullable-issue``, ``label.name`` may be null).
"""

from datetime import UTC, datetime

import pytest

from connectors.github.normalize import normalize_event, normalize_rest_issue_event, normalize_rest_review
from connectors.records import ActivityKind, PayloadError

from .conftest import webhook_fixture

REPO = "Codertocat/Hello-World"
ISSUE = f"{REPO}#1"
PR = f"{REPO}#2"
SENDER = "Codertocat"


def facts(batch, kind):
    return [activity for activity in batch.activities if activity.kind == kind]


def _pull_request(action: str, **extra) -> dict:
    payload = webhook_fixture("pull_request", "opened")
    payload.update(action=action, **extra)
    return payload


# --- assignments that name nobody ---


@pytest.mark.parametrize("action", ["assigned", "unassigned"])
@pytest.mark.parametrize("absent", ["missing", "null"])
def test_an_issue_assignment_without_assignee_keeps_the_issue_and_credits_nobody(action, absent):
    payload = webhook_fixture("issues", "assigned")
    payload["action"] = action
    if absent == "missing":
        del payload["assignee"]
    else:
        payload["assignee"] = None
    batch = normalize_event("issues", payload)
    [item] = batch.work_items
    assert item.key == ISSUE and [a.id for a in item.assignees] == ["Codertocat"]  # the snapshot, as GitHub sent it
    [fact] = facts(batch, ActivityKind(action))
    assert fact.external_id == f"{action}:{ISSUE}:2019-05-15T15:20:18Z"
    assert dict(fact.data) == {}  # nobody is credited: not the sender, who only did it
    assert fact.actor is not None and fact.actor.id == SENDER


@pytest.mark.parametrize("action", ["assigned", "unassigned"])
def test_a_pull_request_assignment_without_assignee_keeps_the_pull_request(action):
    # The OpenAPI description's pull-request-unassigned makes assignee nullable and sender optional.
    payload = _pull_request(action, assignee=None)
    del payload["sender"]
    batch = normalize_event("pull_request", payload)
    assert [item.key for item in batch.work_items] == [PR]
    [fact] = facts(batch, ActivityKind(action))
    assert (dict(fact.data), fact.actor) == ({}, None)


def test_an_assignee_with_an_empty_login_is_nobody():
    payload = webhook_fixture("issues", "assigned")
    payload["assignee"]["login"] = ""
    [fact] = facts(normalize_event("issues", payload), ActivityKind.ASSIGNED)
    assert dict(fact.data) == {}


# --- labels that have no name ---


@pytest.mark.parametrize("action", ["labeled", "unlabeled"])
@pytest.mark.parametrize("label", ["missing", None, {"name": None}, {"name": ""}])
def test_a_label_change_without_a_label_name_keeps_the_item_and_names_no_label(action, label):
    payload = webhook_fixture("issues", "labeled")
    payload["action"] = action
    if label == "missing":
        del payload["label"]
    else:
        payload["label"] = label
    batch = normalize_event("issues", payload)
    assert [item.labels for item in batch.work_items] == [("bug",)]
    [fact] = facts(batch, ActivityKind(action))
    assert (fact.external_id, dict(fact.data)) == (f"{action}:{ISSUE}:2019-05-15T15:20:18Z", {})


def test_a_pull_request_label_change_without_a_label_keeps_the_pull_request():
    batch = normalize_event("pull_request", _pull_request("labeled"))
    [fact] = facts(batch, ActivityKind.LABELED)
    assert (fact.item_key, dict(fact.data)) == (PR, {})


# --- reviews that were never submitted ---


@pytest.mark.parametrize("action", ["submitted", "edited", "dismissed"])
@pytest.mark.parametrize("absent", ["missing", "null"])
def test_a_review_without_submitted_at_keeps_the_pull_request_and_is_no_message(action, absent):
    payload = webhook_fixture("pull_request_review", "submitted")
    payload["action"] = action
    if absent == "missing":
        del payload["review"]["submitted_at"]
    else:
        payload["review"]["submitted_at"] = None
    batch = normalize_event("pull_request_review", payload)
    assert [item.key for item in batch.work_items] == [PR]
    assert [activity.kind for activity in batch.activities] == [ActivityKind.OPENED]  # no review at a made-up time


def test_a_listed_review_without_submitted_at_is_no_message_either():
    review = webhook_fixture("pull_request_review", "submitted")["review"]
    assert not normalize_rest_review(REPO, 2, dict(review, submitted_at=None))


# --- REST issue events (the sync) ---


def _issue_event(event: str, **fields) -> dict:
    issue = webhook_fixture("issues", "assigned")["issue"]
    body = {"id": 7, "event": event, "actor": issue["user"], "created_at": "2019-05-15T15:20:18Z", "issue": issue}
    return {**body, **fields}


@pytest.mark.parametrize("event", ["closed", "labeled", "assigned", "merged", "reopened"])
def test_an_issue_event_without_its_issue_has_nothing_to_be_filed_under(event):
    assert not normalize_rest_issue_event(REPO, _issue_event(event, issue=None))
    body = _issue_event(event)
    del body["issue"]
    assert not normalize_rest_issue_event(REPO, body)


def test_an_issue_event_with_a_null_label_name_or_assignee_names_neither():
    unnamed = {"name": None, "color": None}
    [labeled] = normalize_rest_issue_event(REPO, _issue_event("labeled", label=unnamed)).activities
    assert (labeled.external_id, dict(labeled.data)) == (f"labeled:{ISSUE}:2019-05-15T15:20:18Z", {})
    [assigned] = normalize_rest_issue_event(REPO, _issue_event("assigned", assignee=None)).activities
    assert (assigned.kind, dict(assigned.data)) == (ActivityKind.ASSIGNED, {})


def test_an_unnamed_label_is_the_same_fact_by_webhook_and_by_sync():
    payload = webhook_fixture("issues", "labeled")
    del payload["label"]
    [hooked] = facts(normalize_event("issues", payload), ActivityKind.LABELED)
    [synced] = normalize_rest_issue_event(REPO, _issue_event("labeled", label={"name": None, "color": None})).activities
    assert hooked == synced


# --- unusual values the schemas allow ---


def test_a_whole_number_written_with_a_fraction_is_a_whole_number():
    payload = webhook_fixture("issue_comment", "created")
    payload["issue"]["number"] = 1.0  # JSON Schema's "integer" (draft 6 and later) counts 1.0 as one
    payload["comment"]["id"] = 492700400.0
    batch = normalize_event("issue_comment", payload)
    assert [item.key for item in batch.work_items] == [ISSUE]
    assert [a.external_id for a in batch.activities] == [f"opened:{ISSUE}", "comment:492700400"]


@pytest.mark.parametrize("written", ["2019-05-15t15:20:21z", "2019-05-15T17:20:21+02:00", "2019-05-15T15:20:21.000Z"])
def test_every_rfc_3339_form_of_a_time_is_the_same_time(written):
    payload = webhook_fixture("issue_comment", "created")
    payload["comment"]["created_at"] = written
    [_, comment] = normalize_event("issue_comment", payload).activities
    assert comment.at == datetime(2019, 5, 15, 15, 20, 21, tzinfo=UTC)


# --- values no sender produces: refused, naming the field ---


def _set(payload: dict, path: tuple, value) -> dict:
    target = payload
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    return payload


MALFORMED = [
    ("issue_comment", "created", ("comment", "id"), {"a": 1}, "comment.id must be a whole number, not an object"),
    ("issue_comment", "created", ("comment", "id"), True, "comment.id must be a whole number, not true/false"),
    ("issue_comment", "created", ("comment", "id"), "492700400", "comment.id must be a whole number, not text"),
    ("issues", "opened", ("issue", "number"), "7", "issue.number must be a whole number, not text"),
    ("issues", "opened", ("issue", "number"), 7.5, "issue.number must be a whole number, not a number"),
    ("issues", "opened", ("issue", "user"), "octocat", "issue.user must be an object or null, not text"),
    ("issues", "opened", ("sender",), "octocat", "payload's sender must be an object or null, not text"),
    ("issues", "opened", ("issue", "user", "login"), 42, "issue.user.login must be text or null, not a number"),
    ("issues", "opened", ("issue", "assignees"), ["octocat"], "issue.assignees[0] must be a user object, not text"),
    ("issues", "opened", ("issue", "assignees"), "octocat", "issue.assignees must be a list of users, not text"),
    ("issues", "opened", ("issue", "labels"), [{"name": 5}], r"issue.labels[0].name must be text or null"),
    ("issues", "opened", ("issue", "created_at"), 1557933618000, "issue.created_at must be a date and time"),
    ("issues", "opened", ("issue", "title"), ["x"], "issue.title must be text or null, not a list"),
    ("issues", "opened", ("issue", "body"), {"text": "x"}, "issue.body must be text or null, not an object"),
    ("issues", "opened", ("repository", "full_name"), 5, "repository.full_name must be text, not a number"),
    ("issues", "assigned", ("assignee",), "octocat", "payload's assignee must be an object or null, not text"),
    ("issues", "labeled", ("label",), "bug", "payload's label must be an object or null, not text"),
    ("issues", "labeled", ("label", "name"), 5, "payload's label.name must be text or null, not a number"),
    ("pull_request_review", "submitted", ("review", "id"), None, "has no review.id"),
    ("pull_request_review", "submitted", ("review", "state"), 1, "review.state must be text, not a number"),
    ("pull_request_review", "submitted", ("review", "submitted_at"), 5, "review.submitted_at must be a date"),
    ("pull_request_review_comment", "created", ("comment", "pull_request_review_id"), "237895671",
     "comment.pull_request_review_id must be a whole number, not text"),
]


@pytest.mark.parametrize(("event", "name", "path", "value", "message"), MALFORMED,
                         ids=[f"{case[0]}.{'.'.join(case[2])}={case[3]!r}" for case in MALFORMED])
def test_a_value_the_schema_forbids_is_refused_naming_the_field(event, name, path, value, message):
    payload = _set(webhook_fixture(event, name), path, value)
    with pytest.raises(PayloadError) as refused:
        normalize_event(event, payload)
    assert message in str(refused.value)


def test_an_issue_event_with_a_string_issue_number_is_refused():
    body = _issue_event("closed")
    body["issue"] = dict(body["issue"], number="1")
    with pytest.raises(PayloadError, match=r"issue_event\.issue\.number must be a whole number"):
        normalize_rest_issue_event(REPO, body)
