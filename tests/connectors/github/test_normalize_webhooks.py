"""Conformance: real webhook payloads (and cases derived from them) normalize into concrete records."""

from datetime import UTC, datetime

import pytest

from connectors.github.normalize import normalize_event
from connectors.records import ActivityKind, Actor, ItemKind, ItemMove, PayloadError

from .conftest import WEBHOOKS, webhook_fixture

REPO = "Codertocat/Hello-World"
ISSUE = f"{REPO}#1"
PR = f"{REPO}#2"
CODERTOCAT = Actor(source="github", id="Codertocat", display_name=None, is_bot=False)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def by_id(batch):
    return {activity.external_id: activity for activity in batch.activities}


# (event, fixture) -> (work item key, kind, status, external ids in order)
EXPECTED = {
    ("issues", "opened"): (ISSUE, ItemKind.ISSUE, "open", ["opened:" + ISSUE]),
    ("issues", "reopened"): (
        ISSUE,
        ItemKind.ISSUE,
        "open",
        ["opened:" + ISSUE, f"reopened:{ISSUE}:2021-10-11T16:40:56Z"],
    ),
    ("issues", "labeled"): (
        ISSUE,
        ItemKind.ISSUE,
        "open",
        ["opened:" + ISSUE, f"labeled:{ISSUE}:2019-05-15T15:20:18Z:bug"],
    ),
    ("issues", "assigned"): (
        ISSUE,
        ItemKind.ISSUE,
        "open",
        ["opened:" + ISSUE, f"assigned:{ISSUE}:2019-05-15T15:20:18Z:Codertocat"],
    ),
    ("issue_comment", "created"): (ISSUE, ItemKind.ISSUE, "open", ["opened:" + ISSUE, "comment:492700400"]),
    ("issue_comment", "edited"): (ISSUE, ItemKind.ISSUE, "open", ["opened:" + ISSUE, "comment:492700400"]),
    ("issue_comment", "deleted"): (ISSUE, ItemKind.ISSUE, "open", ["opened:" + ISSUE, "comment:492700400"]),
    ("pull_request", "opened"): (PR, ItemKind.PULL_REQUEST, "open", ["opened:" + PR]),
    ("pull_request", "closed"): (
        PR,
        ItemKind.PULL_REQUEST,
        "closed",
        ["opened:" + PR, f"closed:{PR}:2019-05-15T15:21:18Z"],
    ),
    ("pull_request_review", "submitted"): (
        PR,
        ItemKind.PULL_REQUEST,
        "open",
        ["opened:" + PR, "review:237895671"],
    ),
    ("pull_request_review_comment", "created"): (
        PR,
        ItemKind.PULL_REQUEST,
        "open",
        ["opened:" + PR, "review_comment:284312630"],
    ),
}
IGNORED = {("pull_request", "synchronize"), ("pull_request", "review_requested"), ("ping", "ping")}


def test_every_fixture_is_described():
    if not WEBHOOKS.is_dir():
        pytest.skip("GitHub webhook fixtures are not available")
    found = {(path.parent.name, path.stem) for path in WEBHOOKS.glob("*/*.json")}
    assert found == set(EXPECTED) | IGNORED


@pytest.mark.parametrize(("event", "name"), sorted(EXPECTED))
def test_fixture_normalizes_into_described_records(event, name):
    key, kind, status, ids = EXPECTED[(event, name)]
    batch = normalize_event(event, webhook_fixture(event, name))
    [item] = batch.work_items
    assert (item.source, item.key, item.container, item.kind, item.status) == (
        "github",
        key,
        REPO,
        kind,
        status,
    )
    assert item.author == CODERTOCAT
    assert item.labels == ("bug",)
    assert [activity.external_id for activity in batch.activities] == ids
    assert all(activity.item_key == key for activity in batch.activities)
    assert all(activity.actor == CODERTOCAT for activity in batch.activities)
    assert all(activity.at.tzinfo is UTC for activity in batch.activities)


@pytest.mark.parametrize(("event", "name"), sorted(IGNORED))
def test_unused_actions_and_ping_yield_nothing(event, name):
    assert not normalize_event(event, webhook_fixture(event, name))


def test_issue_opened_fields():
    batch = normalize_event("issues", webhook_fixture("issues", "opened"))
    [item] = batch.work_items
    assert item.url == "https://github.com/Codertocat/Hello-World/issues/1"
    assert item.title == "Spelling error in the README file"
    assert item.created_at == at("2019-05-15T15:20:18")
    assert item.assignees == (CODERTOCAT,)
    assert (item.resolved_at, item.merged_at, item.resolution, item.fixes) == (None, None, None, ())
    assert not item.partial and not item.deleted
    [opened] = batch.activities
    assert opened.kind == ActivityKind.OPENED and opened.is_message
    assert opened.at == at("2019-05-15T15:20:18")
    assert opened.body == "It looks like you accidently spelled 'commit' with two 't's."


def test_labeled_and_assigned_use_the_payload_time_and_detail():
    labeled = by_id(normalize_event("issues", webhook_fixture("issues", "labeled")))
    fact = labeled[f"labeled:{ISSUE}:2019-05-15T15:20:18Z:bug"]
    assert (fact.kind, fact.at, dict(fact.data)) == (
        ActivityKind.LABELED,
        at("2019-05-15T15:20:18"),
        {"label": "bug"},
    )
    assigned = by_id(normalize_event("issues", webhook_fixture("issues", "assigned")))
    fact = assigned[f"assigned:{ISSUE}:2019-05-15T15:20:18Z:Codertocat"]
    assert (fact.kind, dict(fact.data)) == (ActivityKind.ASSIGNED, {"assignee": "Codertocat"})


def test_reopened_is_stamped_with_the_issue_update_time_not_receipt():
    activities = by_id(normalize_event("issues", webhook_fixture("issues", "reopened")))
    fact = activities[f"reopened:{ISSUE}:2021-10-11T16:40:56Z"]
    assert (fact.kind, fact.at) == (ActivityKind.REOPENED, at("2021-10-11T16:40:56"))
    assert activities["opened:" + ISSUE].body is None  # "" in the payload: no description


def test_comment_created_edited_deleted():
    created = by_id(normalize_event("issue_comment", webhook_fixture("issue_comment", "created")))["comment:492700400"]
    assert (created.kind, created.at, created.updated_at) == (
        ActivityKind.COMMENT,
        at("2019-05-15T15:20:21"),
        at("2019-05-15T15:20:21"),
    )
    assert created.body == "You are totally right! I'll get this fixed right away."
    assert created.url == "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400"
    edited = by_id(normalize_event("issue_comment", webhook_fixture("issue_comment", "edited")))["comment:492700400"]
    assert (edited.at, edited.updated_at) == (at("2019-05-15T15:20:21"), at("2019-05-15T15:20:22"))
    assert edited.body == "You are totally right! I'll get this fixed today."
    assert not edited.deleted
    deleted = by_id(normalize_event("issue_comment", webhook_fixture("issue_comment", "deleted")))["comment:492700400"]
    assert deleted.deleted


def test_comment_payload_carries_a_full_snapshot_of_its_issue():
    [item] = normalize_event("issue_comment", webhook_fixture("issue_comment", "created")).work_items
    assert item.title == "Spelling error in the README file"
    assert item.updated_at == at("2019-05-15T15:20:21")
    assert not item.partial


def test_pull_request_closed_without_merge():
    batch = normalize_event("pull_request", webhook_fixture("pull_request", "closed"))
    [item] = batch.work_items
    assert (item.status, item.status_category, item.resolved_at, item.merged_at) == (
        "closed",
        "done",
        at("2019-05-15T15:21:18"),
        None,
    )
    closed = by_id(batch)[f"closed:{PR}:2019-05-15T15:21:18Z"]
    assert (closed.kind, dict(closed.data)) == (ActivityKind.CLOSED, {"reason": None})
    assert not any(activity.kind == ActivityKind.MERGED for activity in batch.activities)


def test_review_submitted():
    review = by_id(normalize_event("pull_request_review", webhook_fixture("pull_request_review", "submitted")))[
        "review:237895671"
    ]
    assert (review.kind, review.at, review.body, dict(review.data)) == (
        ActivityKind.REVIEW,
        at("2019-05-15T15:20:38"),
        None,
        {"state": "commented"},
    )


def test_review_comment_created():
    payload = webhook_fixture("pull_request_review_comment", "created")
    comment = by_id(normalize_event("pull_request_review_comment", payload))["review_comment:284312630"]
    assert (comment.kind, comment.at, comment.updated_at) == (
        ActivityKind.REVIEW_COMMENT,
        at("2019-05-15T15:20:37"),
        at("2019-05-15T15:20:38"),
    )
    assert comment.body == "Maybe you should use more emoji on this line."
    assert dict(comment.data) == {"review_id": 237895671}


# --- cases the fixtures lack, derived from the real payloads ---


def test_issue_closed_as_completed():
    # derived from issues/reopened.json: the same issue, closed instead
    payload = webhook_fixture("issues", "reopened")
    payload["action"] = "closed"
    payload["issue"].update(state="closed", state_reason="completed", closed_at="2021-10-11T16:40:56Z")
    batch = normalize_event("issues", payload)
    [item] = batch.work_items
    assert (item.status, item.resolution, item.resolved_at) == (
        "closed",
        "completed",
        at("2021-10-11T16:40:56"),
    )
    closed = by_id(batch)[f"closed:{ISSUE}:2021-10-11T16:40:56Z"]
    assert (closed.kind, closed.at, dict(closed.data)) == (
        ActivityKind.CLOSED,
        at("2021-10-11T16:40:56"),
        {"reason": "completed"},
    )


def merged_pr_payload():
    # derived from pull_request/closed.json: merged, with closing keywords in the body
    payload = webhook_fixture("pull_request", "closed")
    payload["pull_request"].update(
        merged=True,
        merged_at="2019-05-15T15:21:18Z",
        merged_by=payload["sender"],
        body="Fixes #1, and closes: Octocoders/Hello-World#7. Not fixing #9.",
    )
    return payload


def test_merged_pull_request_yields_closed_and_merged_with_fixes():
    batch = normalize_event("pull_request", merged_pr_payload())
    [item] = batch.work_items
    assert item.merged_at == at("2019-05-15T15:21:18")
    assert item.fixes == (ISSUE, "Octocoders/Hello-World#7")
    activities = by_id(batch)
    merged = activities[f"merged:{PR}:2019-05-15T15:21:18Z"]
    assert (merged.kind, merged.at, merged.actor) == (
        ActivityKind.MERGED,
        at("2019-05-15T15:21:18"),
        CODERTOCAT,
    )
    assert dict(merged.data) == {"fixes": [ISSUE, "Octocoders/Hello-World#7"]}
    assert f"closed:{PR}:2019-05-15T15:21:18Z" in activities


def test_comment_on_a_pull_request_conversation_is_keyed_to_the_pr():
    # derived from issue_comment/created.json: the same comment on PR #2's conversation
    payload = webhook_fixture("issue_comment", "created")
    payload["issue"].update(
        number=2,
        html_url="https://github.com/Codertocat/Hello-World/pull/2",
        pull_request={
            "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
            "merged_at": None,
        },
    )
    batch = normalize_event("issue_comment", payload)
    [item] = batch.work_items
    assert (item.key, item.kind, item.partial) == (PR, ItemKind.PULL_REQUEST, False)
    assert by_id(batch)["comment:492700400"].item_key == PR


def test_pr_seen_through_an_issue_without_merge_time_is_partial():
    # derived from issue_comment/created.json: older payloads omit pull_request.merged_at
    payload = webhook_fixture("issue_comment", "created")
    payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    [item] = normalize_event("issue_comment", payload).work_items
    assert (item.kind, item.partial) == (ItemKind.PULL_REQUEST, True)


def test_issue_deleted_marks_the_item_deleted():
    # derived from issues/opened.json
    payload = webhook_fixture("issues", "opened")
    payload["action"] = "deleted"
    batch = normalize_event("issues", payload)
    [item] = batch.work_items
    assert (item.key, item.deleted) == (ISSUE, True)
    assert batch.activities == []


def test_issue_transferred_records_the_move_and_opens_the_new_key():
    # derived from issues/opened.json
    payload = webhook_fixture("issues", "opened")
    new_issue = dict(payload["issue"], number=12, html_url="https://github.com/Octocoders/Hello-World/issues/12")
    payload.update(
        action="transferred",
        changes={"new_issue": new_issue, "new_repository": {"full_name": "Octocoders/Hello-World"}},
    )
    batch = normalize_event("issues", payload)
    assert [(item.key, item.container, item.deleted) for item in batch.work_items] == [
        ("Octocoders/Hello-World#12", "Octocoders/Hello-World", False),
    ]
    assert [activity.external_id for activity in batch.activities] == ["opened:Octocoders/Hello-World#12"]
    left = at(payload["issue"]["updated_at"][:-1])  # the transfer is the old issue's last change
    assert batch.moves == [ItemMove("github", ISSUE, "Octocoders/Hello-World#12", left, REPO)]


@pytest.mark.parametrize(
    ("action", "kind", "detail_field", "data"),
    [
        ("unlabeled", ActivityKind.UNLABELED, "label", {"label": "bug"}),
        ("unassigned", ActivityKind.UNASSIGNED, "assignee", {"assignee": "Codertocat"}),
    ],
)
def test_issue_unlabeled_and_unassigned(action, kind, detail_field, data):
    # derived from issues/labeled.json and issues/assigned.json
    source = "labeled" if detail_field == "label" else "assigned"
    payload = webhook_fixture("issues", source)
    payload["action"] = action
    [fact] = [activity for activity in normalize_event("issues", payload).activities if activity.kind == kind]
    assert dict(fact.data) == data
    assert fact.external_id.startswith(f"{action}:{ISSUE}:2019-05-15T15:20:18Z:")


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("ready_for_review", ActivityKind.READY_FOR_REVIEW),
        ("converted_to_draft", ActivityKind.CONVERTED_TO_DRAFT),
        ("reopened", ActivityKind.REOPENED),
    ],
)
def test_pull_request_state_actions(action, kind):
    # derived from pull_request/opened.json
    payload = webhook_fixture("pull_request", "opened")
    payload["action"] = action
    fact = normalize_event("pull_request", payload).activities[-1]
    assert (fact.kind, fact.external_id, fact.at) == (
        kind,
        f"{kind}:{PR}:2019-05-15T15:20:33Z",
        at("2019-05-15T15:20:33"),
    )


def test_pull_request_labeled():
    # derived from pull_request/opened.json with issues/labeled.json's label
    payload = webhook_fixture("pull_request", "opened")
    payload.update(action="labeled", label=webhook_fixture("issues", "labeled")["label"])
    fact = normalize_event("pull_request", payload).activities[-1]
    assert (fact.kind, fact.item_key, dict(fact.data)) == (ActivityKind.LABELED, PR, {"label": "bug"})


def test_review_dismissed_and_review_comment_deleted():
    # derived from pull_request_review/submitted.json and pull_request_review_comment/created.json
    payload = webhook_fixture("pull_request_review", "submitted")
    payload["action"] = "dismissed"
    payload["review"].update(state="dismissed", body="Outdated")
    review = by_id(normalize_event("pull_request_review", payload))["review:237895671"]
    assert (dict(review.data), review.body) == ({"state": "dismissed"}, "Outdated")
    payload = webhook_fixture("pull_request_review_comment", "created")
    payload["action"] = "deleted"
    assert by_id(normalize_event("pull_request_review_comment", payload))["review_comment:284312630"].deleted


def test_bot_actor():
    # derived from issue_comment/created.json
    payload = webhook_fixture("issue_comment", "created")
    payload["comment"]["user"] = {"login": "dependabot[bot]", "type": "Bot"}
    comment = by_id(normalize_event("issue_comment", payload))["comment:492700400"]
    assert comment.actor == Actor(source="github", id="dependabot[bot]", is_bot=True)


# --- malformed payloads of supported events ---


def _drop(payload, *path):
    target = payload
    for name in path[:-1]:
        target = target[name]
    del target[path[-1]]
    return payload


@pytest.mark.parametrize(
    ("event", "name", "path", "message"),
    [
        ("issues", "opened", ("issue", "number"), "issue.number"),
        ("issues", "opened", ("repository",), "has no repository"),
        ("issues", "opened", ("issue", "created_at"), "issue.created_at"),
        ("issue_comment", "created", ("comment", "id"), "comment.id"),
        ("issue_comment", "created", ("issue",), "has no issue"),
        ("pull_request_review_comment", "created", ("pull_request",), "has no pull_request"),
    ],
)
def test_malformed_payload_names_the_missing_field(event, name, path, message):
    payload = _drop(webhook_fixture(event, name), *path)
    with pytest.raises(PayloadError, match=message.replace(".", r"\.")):
        normalize_event(event, payload)


def test_closed_issue_without_closed_at_is_malformed():
    # derived from issues/reopened.json
    payload = webhook_fixture("issues", "reopened")
    payload["action"] = "closed"
    payload["issue"]["closed_at"] = None
    with pytest.raises(PayloadError, match=r"issue\.closed_at"):
        normalize_event("issues", payload)


def test_bad_time_is_malformed():
    payload = webhook_fixture("issue_comment", "created")
    payload["comment"]["created_at"] = "yesterday"
    with pytest.raises(PayloadError, match=r"comment\.created_at"):
        normalize_event("issue_comment", payload)


def test_non_object_payload_of_a_supported_event_is_malformed():
    with pytest.raises(PayloadError):
        normalize_event("issues", ["not", "an", "object"])


def test_unknown_event_is_ignored_whatever_its_shape():
    assert not normalize_event("push", {"ref": "refs/heads/main"})
    assert not normalize_event("issues", {"action": "pinned"})
