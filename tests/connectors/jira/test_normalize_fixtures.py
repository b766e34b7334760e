"""Conformance: every real Jira payload and REST example in ../shared/fixtures/jira normalizes as expected."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from connectors.jira.normalize import (
    normalize_rest_changelog,
    normalize_rest_comment,
    normalize_rest_issue,
    normalize_webhook,
)
from connectors.records import ActivityKind, PayloadError, issue_id_of

from .fixtures import load_json, load_python_response, webhook_fixture_names

CLOUD_USER = "5c5f880629be9642ba529340"
TES_BASE = "https://some-instance-test.atlassian.net"
DC_BASE = "http://sales-jira.centralus.cloudapp.azure.com:8080"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _by_id(batch):
    return {a.external_id: a for a in batch.activities}


@pytest.mark.parametrize("name", webhook_fixture_names() or ["webhooks/missing.json"])
def test_every_webhook_fixture_normalizes_to_well_formed_records(name):
    batch = normalize_webhook(load_json(name))
    assert batch, name
    for item in batch.work_items:
        assert item.source == "jira" and item.kind == "jira_issue"
        assert item.container == item.key.split("-")[0]
        for value in (item.created_at, item.updated_at, item.resolved_at):
            assert value is None or value.utcoffset().total_seconds() == 0
    keys = [a.external_id for a in batch.activities]
    assert len(keys) == len(set(keys)), "each fact once per delivery"
    for act in batch.activities:
        assert act.source == "jira"
        assert act.at.tzinfo is not None and act.at.utcoffset().total_seconds() == 0
        assert act.external_id.split(":")[0] in {"opened", "comment", "changelog"}


def test_cloud_issue_created_yields_item_and_opened_but_no_initial_value_changes():
    batch = normalize_webhook(load_json("webhooks/jira_issue_created/webhook-issue-created.json"))
    (item,) = batch.work_items
    assert item.key == "TES-41" and item.container == "TES"
    assert item.url == f"{TES_BASE}/browse/TES-41"
    assert (item.title, item.status, item.status_category) == ("Unit test summary", "To Do", "new")
    assert (item.issue_type, item.priority, item.labels) == ("Story", "High", ("test-label",))
    assert item.author.id == CLOUD_USER and item.author.email == "some-instance-test@gmail.com"
    assert item.created_at == _utc(2019, 2, 16, 3, 1, 52, 971000)
    assert item.assignees == () and item.resolution is None and item.resolved_at is None
    # The changelog lists Status/priority initial values: the starting state, not transitions.
    (opened,) = batch.activities
    assert opened.external_id == "opened:TES-41" and opened.kind == ActivityKind.OPENED
    assert opened.at == item.created_at and opened.actor.id == CLOUD_USER
    assert opened.body == "Unit test description, not that long"
    assert opened.data == {"issue_id": "10040"}


def test_cloud_issue_created_with_custom_fields():
    batch = normalize_webhook(load_json("webhooks/jira_issue_created/webhook-cloud-issue-created-many-fields.json"))
    (item,) = batch.work_items
    assert (item.key, item.issue_type, item.priority) == ("KT-22", "Task", "Medium")
    assert item.labels == ("Label1", "Label2")
    assert [a.id for a in item.assignees] == ["5cedcb4355a88a0fc86388ba"]
    assert [a.kind for a in batch.activities] == ["opened"]
    assert batch.activities[0].body == "The good description"


@pytest.mark.parametrize(
    ("name", "history", "status_from", "status_to", "category", "resolution"),
    [
        (
            "webhook-issue-updated-started-working.json",
            "10227",
            "To Do",
            "In Progress",
            "indeterminate",
            None,
        ),
        ("webhook-issue-updated-resolved.json", "10228", "In Progress", "Done", "done", (None, "Done")),
        ("webhook-issue-updated-reopened.json", "10229", "Done", "To Do", "new", ("Done", None)),
    ],
)
def test_cloud_status_changes_arrive_as_issue_generic(name, history, status_from, status_to, category, resolution):
    payload = load_json(f"webhooks/jira_issue_updated/{name}")
    assert payload["issue_event_type_name"] == "issue_generic"
    acts = _by_id(normalize_webhook(payload))
    status = acts[f"changelog:{history}:status"]
    assert status.kind == ActivityKind.STATUS
    assert dict(status.data) == {"from": status_from, "to": status_to, "category": category}
    assert status.at == datetime.fromtimestamp(payload["timestamp"] / 1000, tz=UTC)
    assert status.actor.id == CLOUD_USER
    if resolution is None:
        assert f"changelog:{history}:resolution" not in acts
    else:
        res = acts[f"changelog:{history}:resolution"]
        assert res.kind == ActivityKind.RESOLUTION
        assert dict(res.data) == {"from": resolution[0], "to": resolution[1]}
    assert "opened:TES-41" in acts


def test_cloud_resolved_item_carries_resolution_fields():
    batch = normalize_webhook(load_json("webhooks/jira_issue_updated/webhook-issue-updated-resolved.json"))
    (item,) = batch.work_items
    assert (item.status, item.status_category, item.resolution) == ("Done", "done", "Done")
    assert item.resolved_at == _utc(2019, 2, 16, 3, 15, 40, 470000)


def test_cloud_assignment_resolves_legacy_user_key_to_account_id():
    payload = load_json("webhooks/jira_issue_updated/webhook-issue-updated-assigned.json")
    assert payload["changelog"]["items"][0]["to"] == "admin"  # pre-GDPR capture: the user key
    batch = normalize_webhook(payload)
    act = _by_id(batch)["changelog:10230:assignee"]
    assert act.kind == ActivityKind.ASSIGNED
    assert dict(act.data) == {"assignee": CLOUD_USER, "from": None}
    assert [a.id for a in batch.work_items[0].assignees] == [CLOUD_USER]


@pytest.mark.parametrize(
    ("name", "history", "status_from", "status_to", "category"),
    [
        (
            "webhook-server-issue-updated-in-progress.json",
            "10508",
            "Reopened",
            "In Progress",
            "indeterminate",
        ),
        ("webhook-server-issue-updated-resolved.json", "10414", "In Progress", "Resolved", "done"),
    ],
)
def test_data_center_status_changes(name, history, status_from, status_to, category):
    batch = normalize_webhook(load_json(f"webhooks/jira_issue_updated/{name}"))
    (item,) = batch.work_items
    assert item.key == "TES-4" and item.issue_type == "Bug" and item.author.id == "admin"
    status = _by_id(batch)[f"changelog:{history}:status"]
    assert dict(status.data) == {"from": status_from, "to": status_to, "category": category}
    assert status.actor.id == "admin" and status.actor.email is not None


def test_data_center_issue_commented_counts_each_comment_once():
    payload = load_json("webhooks/jira_issue_updated/webhook-server-issue-updated-commented-1.json")
    batch = normalize_webhook(payload)
    comments = [a for a in batch.activities if a.kind == ActivityKind.COMMENT]
    ids = [a.external_id for a in comments]
    assert len(ids) == len(set(ids)) == 10
    new = _by_id(batch)["comment:10082"]
    assert new.item_key == "PRJX-14" and new.body == "unik" and new.actor.id == "levbrouk"
    assert new.at == _utc(2019, 6, 4, 0, 15, 17, 234000)
    assert new.url == f"{DC_BASE}/browse/PRJX-14?focusedCommentId=10082"
    # The twin comment_created delivery names the same comment with the same key.
    twin = normalize_webhook(load_json("webhooks/comment_created/webhook-server-comment-created.json"))
    (twin_act,) = twin.activities
    assert twin_act.external_id == new.external_id
    assert (twin_act.at, twin_act.body, twin_act.actor, twin_act.updated_at) == (
        new.at,
        new.body,
        new.actor,
        new.updated_at,
    )
    opened = _by_id(batch)["opened:PRJX-14"]
    assert opened.actor.id == "craig" and opened.data == {"issue_id": "10013"}
    # The placeholder key of the twin resolves through the OPENED activity's issue id.
    assert issue_id_of(twin_act.item_key) == opened.data["issue_id"]


def test_data_center_comment_created_without_issue_uses_id_placeholder():
    batch = normalize_webhook(load_json("webhooks/comment_created/webhook-server-comment-created.json"))
    assert batch.work_items == []
    (act,) = batch.activities
    assert act.item_key == "jira-issue-id:10013" and issue_id_of(act.item_key) == "10013"
    assert act.url is None and act.actor.email == "lev@mattermost.com"


def test_cloud_comment_created_carries_minimal_issue_as_partial_item():
    batch = normalize_webhook(load_json("webhooks/comment_created/webhook-cloud-comment-created.json"))
    (item,) = batch.work_items
    assert item.partial and item.key == "TES-41" and item.status == "To Do"
    assert item.created_at is None and item.title == "Unit test summary 1"
    (act,) = batch.activities
    assert (act.external_id, act.item_key, act.body) == ("comment:10019", "TES-41", "Added a comment")
    assert act.at == act.updated_at == _utc(2019, 2, 16, 3, 11, 18, 321000)
    assert act.url == f"{TES_BASE}/browse/TES-41?focusedCommentId=10019"


def test_cloud_comment_updated_keeps_created_time_and_records_edit_time():
    (act,) = normalize_webhook(load_json("webhooks/comment_updated/webhook-cloud-comment-updated.json")).activities
    assert act.external_id == "comment:10019"
    assert act.at == _utc(2019, 2, 16, 3, 11, 18, 321000)
    assert act.updated_at == _utc(2019, 2, 16, 3, 12, 8, 432000)
    assert act.body == "Added a comment, then edited it" and not act.deleted


def test_cloud_comment_deleted_marks_activity_deleted_at_event_time():
    payload = load_json("webhooks/comment_deleted/webhook-cloud-comment-deleted.json")
    batch = normalize_webhook(payload)
    (act,) = batch.activities
    assert act.deleted and act.external_id == "comment:10757" and act.item_key == "KT-7"
    assert act.updated_at == datetime.fromtimestamp(payload["timestamp"] / 1000, tz=UTC)
    assert act.updated_at > act.at
    assert act.actor.email is None  # Cloud sent a '"?"' placeholder, not an address
    # The issue's self link in this capture lacks "/issue/"; the base URL is still read from it.
    assert batch.work_items[0].url == "https://mmtest.atlassian.net/browse/KT-7"


# --- REST examples ------------------------------------------------------------------------------


def test_rest_issue_comment_page_from_openapi_example_flattens_adf():
    page = load_json("rest/atlassian-openapi-examples/issue_comment.GET.200.json")
    act = normalize_rest_comment("EX-1", page["comments"][0])
    assert act.external_id == "comment:10000" and act.item_key == "EX-1"
    assert act.body.startswith("Lorem ipsum dolor sit amet") and "{" not in act.body
    assert act.at == _utc(2021, 1, 17, 12, 34)
    assert act.updated_at == _utc(2021, 1, 18, 23, 45)
    assert act.url == "https://your-domain.atlassian.net/browse/EX-1?focusedCommentId=10000"
    assert act.actor.id == "5b10a2844c20165700ede21g" and act.actor.display_name == "Mia Krystof"


def test_rest_comment_page_captured_from_cloud_v2():
    page = load_python_response("rest/atlassian-python-api/issue_FOO-123_comment.GET.py")
    acts = [normalize_rest_comment("FOO-123", c) for c in page["comments"]]
    assert page["total"] == len(acts) == 2
    assert acts[0].external_id == "comment:10000" and acts[0].body == "Some Text comment"
    assert acts[0].actor.id == "557058:dc675182-d776-46f5-90fb-fe5637b71397"
    assert acts[0].actor.email == "martyn.bristow@gmail.com"
    assert acts[0].at.tzinfo is not None and acts[0].at <= acts[1].at


def test_rest_changelog_page_example_ignores_untracked_fields():
    page = load_json("rest/atlassian-openapi-examples/issue_changelog.GET.200.json")
    assert [normalize_rest_changelog("TT-1", h) for h in page["values"]] == [[], []]


def test_rest_changelog_labels_from_example_shape():
    page = load_json("rest/atlassian-openapi-examples/issue_changelog.GET.200.json")
    history = copy.deepcopy(page["values"][1])
    history["items"][0].update(field="labels", fieldId="labels")  # the example's shape, a tracked field
    (act,) = normalize_rest_changelog("TT-1", history)
    assert (act.external_id, act.kind, dict(act.data)) == (
        "changelog:10002:labels:label-2",
        "labeled",
        {"label": "label-2"},
    )
    assert act.at == _utc(1970, 1, 18, 6, 27, 51, 429000)


def test_rest_bulkfetch_example_histories_parse_epoch_times():
    page = load_json("rest/atlassian-openapi-examples/changelog_bulkfetch.POST.200.json")
    (log,) = page["issueChangeLogs"]
    history = copy.deepcopy(log["changeHistories"][0])
    history["items"][0].update(field="priority", fieldId="priority")
    (act,) = normalize_rest_changelog("EX-1", history)
    assert act.kind == ActivityKind.PRIORITY_CHANGED and act.external_id == "changelog:10001:priority"
    assert dict(act.data) == {"from": "old summary", "to": "new summary"}
    # Epoch seconds: 2017-04-13, not the 1970-01-18 that reading them as milliseconds gives (the changelog page
    # example's ISO "1970-01-18T06:27:50.429+0000" is that very misreading).
    assert act.at == datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)


def test_rest_search_example_issue_needs_created_and_embeds_comments():
    page = load_json("rest/atlassian-openapi-examples/search_jql.GET.200.json")
    (issue,) = page["issues"]
    with pytest.raises(PayloadError, match="fields.created"):
        normalize_rest_issue(issue)
    derived = copy.deepcopy(issue)  # derived: the example omits fields we always request
    derived["fields"]["created"] = "2021-01-17T12:00:00.000+0000"
    batch = normalize_rest_issue(derived)
    (item,) = batch.work_items
    assert (item.key, item.container, item.url) == (
        "ED-1",
        "EX",
        "https://your-domain.atlassian.net/browse/ED-1",
    )
    (opened,) = batch.activities
    assert opened.body == "Main order flow broken" and opened.data == {"issue_id": "10002"}
    comment = normalize_rest_comment(item.key, issue["fields"]["comment"][0])
    assert comment.external_id == "comment:10000" and comment.body.startswith("Lorem ipsum")
