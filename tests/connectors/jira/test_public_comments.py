"""Only public messages count: internal notes and restricted comments are marked alike by webhook and sync."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
import respx

from connectors.jira.client import JiraClient
from connectors.jira.normalize import normalize_rest_comment, normalize_webhook
from connectors.jira.sync import STREAM_ISSUES, JiraSync
from connectors.records import ActivityKind

from . import payloads as p
from .fake_jira import FakeJira
from .fixtures import load_json, load_python_response

STARTED = datetime(2024, 3, 2, tzinfo=UTC)
INTERNAL = [{"key": "sd.public.comment", "value": {"internal": True}}]
NOT_INTERNAL = [{"key": "sd.public.comment", "value": {"internal": False}}]
DEVELOPERS = {"type": "role", "value": "Developers", "identifier": "Developers"}
MINIMAL = {"id": "10045", "key": "PROJ-45", "self": f"{p.BASE}/rest/api/2/issue/10045", "fields": {"summary": "x"}}


def _t(minute: int) -> str:
    return f"2024-03-01T09:{minute:02d}:00.000+0000"


def _ms(minute: int) -> int:
    return int(datetime(2024, 3, 1, 9, minute, tzinfo=UTC).timestamp() * 1000)


def _comment(comment_id: str, minute: int, *, dc: bool = False, **extra) -> dict:
    base, api, author = (p.DC_BASE, "2", p.DC_DEV) if dc else (p.BASE, "3", p.DEV)
    return {**p.comment(comment_id, author, f"comment {comment_id}", _t(minute), base=base, api=api), **extra}


def _hook(comment: dict, minute: int) -> dict:
    return {"timestamp": _ms(minute), "webhookEvent": "comment_created", "comment": comment, "issue": MINIMAL}


def _synced_comments(fake: FakeJira, cursors: dict | None = None, **options) -> dict:
    client = JiraClient(fake.base, email="e", token="t", deployment="cloud" if fake.cloud else "datacenter",
                        sleep=lambda s: None)  # fmt: skip
    out = {}
    for page in JiraSync(client, "PROJ", cursors or {}, started_at=STARTED, **options).iter_pages():
        out.update({a.external_id: a for a in page.batch.activities if a.kind == ActivityKind.COMMENT})
    return out


@pytest.mark.parametrize(
    ("fields", "data"),
    [
        ({}, {}),
        ({"jsdPublic": True}, {}),
        ({"jsdPublic": True, "properties": NOT_INTERNAL}, {}),
        ({"properties": [{"key": "other.app", "value": {"internal": True}}]}, {}),
        ({"visibility": None}, {}),
        ({"visibility": {"type": "role"}}, {}),  # no role named: nothing restricts it
        ({"jsdPublic": False}, {"internal": True}),
        ({"properties": INTERNAL}, {"internal": True}),
        ({"jsdPublic": False, "properties": INTERNAL}, {"internal": True}),
        ({"visibility": DEVELOPERS}, {"internal": True, "visibility": "role:Developers"}),
        (
            {"visibility": {"type": "group", "value": "jira-developers", "identifier": "276f955c"}},
            {"internal": True, "visibility": "group:jira-developers"},
        ),
        (
            {"visibility": {"type": "group", "identifier": "276f955c"}},
            {"internal": True, "visibility": "group:276f955c"},
        ),
        ({"jsdPublic": False, "visibility": DEVELOPERS}, {"internal": True, "visibility": "role:Developers"}),
    ],
)
def test_comment_data_names_what_keeps_it_from_the_client(fields, data):
    comment = _comment("700", 10, **fields)
    assert dict(normalize_rest_comment("PROJ-45", comment).data) == data
    (act,) = normalize_webhook(_hook(comment, 10)).activities
    assert dict(act.data) == data


def test_a_public_comment_keeps_exactly_the_record_it_had():
    act = normalize_rest_comment("PROJ-45", _comment("700", 10, jsdPublic=True))
    assert act.data == {} and not act.deleted and act.updated_at == act.at


# --- the same notes, by webhook and by sync ---------------------------------------------------------


@respx.mock(assert_all_called=True)
def test_cloud_internal_note_by_webhook_and_by_sync_are_equal(respx_mock):
    # REST (read with expand=properties) has the property too; Cloud webhooks and search results carry
    # jsdPublic only.
    note = _comment("700", 10, jsdPublic=False, properties=INTERNAL)
    restricted = _comment("701", 20, jsdPublic=True, visibility=DEVELOPERS)
    public = _comment("702", 30, jsdPublic=True)
    fake = FakeJira(p.BASE)
    fake.put(p.issue("PROJ-45", updated=_t(30)), comments=[note, restricted, public])
    routes = fake.install(respx_mock, "search", "comments", "bulk")

    synced = _synced_comments(fake)
    hooked = {}
    for minute, comment in ((10, note), (20, restricted), (30, public)):
        shown = {k: v for k, v in comment.items() if k != "properties"}
        (act,) = normalize_webhook(_hook(shown, minute)).activities
        hooked[act.external_id] = act

    assert synced == hooked
    assert [dict(synced[f"comment:{n}"].data) for n in (700, 701, 702)] == [
        {"internal": True},
        {"internal": True, "visibility": "role:Developers"},
        {},
    ]
    assert [c.request.url.params["expand"] for c in routes["comments"].calls] == ["properties"]


@respx.mock(assert_all_called=True)
def test_datacenter_restricted_comments_by_webhook_and_by_sync_are_equal(respx_mock):
    by_role = _comment("800", 10, dc=True, visibility={"type": "role", "value": "Developers"})
    by_group = _comment("801", 20, dc=True, visibility={"type": "group", "value": "jira-developers"})
    public = _comment("802", 30, dc=True)
    snapshot = p.issue("PROJ-45", base=p.DC_BASE, api="2", reporter=p.DC_CLIENT, updated=_t(30))
    fake = FakeJira(p.DC_BASE, cloud=False)
    fake.put(snapshot, comments=[by_role, by_group, public])
    fake.install(respx_mock, "search", "comments")

    synced = _synced_comments(fake)
    hooked = {}
    for minute, comment in ((10, by_role), (20, by_group), (30, public)):
        # Data Center's jira:issue_updated + issue_commented names the issue and carries the comment.
        hook = {"timestamp": _ms(minute), "webhookEvent": "jira:issue_updated", "user": p.DC_DEV,
                "issue_event_type_name": "issue_commented", "issue": snapshot, "comment": comment}  # fmt: skip
        hooked.update({a.external_id: a for a in normalize_webhook(hook).activities if a.kind == "comment"})

    assert synced == hooked
    assert synced["comment:800"].data == {"internal": True, "visibility": "role:Developers"}
    assert synced["comment:801"].data == {"internal": True, "visibility": "group:jira-developers"}
    assert synced["comment:802"].data == {}


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "datacenter"])
@respx.mock(assert_all_called=True)
def test_sync_reads_a_note_marked_only_by_its_property_from_the_comment_endpoint(respx_mock, cloud):
    # The search copy of this note carries nothing that marks it: reading it there would call it public.
    note = _comment("700", 10, dc=not cloud, properties=INTERNAL)
    fake = FakeJira(p.BASE if cloud else p.DC_BASE, cloud=cloud)
    fake.put(p.issue("PROJ-45", base=fake.base, api=fake.api, updated=_t(10)), comments=[note])
    fake.install(respx_mock, *(("search", "comments", "bulk") if cloud else ("search", "comments")))

    synced = _synced_comments(fake)

    assert synced["comment:700"].data == {"internal": True}
    (hooked,) = normalize_webhook(_hook(note, 10)).activities
    assert hooked.data == synced["comment:700"].data


@respx.mock(assert_all_called=True)
def test_an_unchanged_issue_yields_no_comment_copies_to_overwrite_stored_notes(respx_mock):
    fake = FakeJira(p.BASE)
    fake.put(p.issue("PROJ-45", updated=_t(10)), comments=[_comment("700", 10, properties=INTERNAL)])
    routes = fake.install(respx_mock, "search")
    stored = {"PROJ-45": datetime(2024, 3, 1, 9, 10, tzinfo=UTC)}  # seen again only through the overlap
    synced = _synced_comments(fake, {STREAM_ISSUES: stored["PROJ-45"]}, stored_updates=lambda keys: stored)
    assert synced == {} and routes["search"].call_count == 1


# --- conformance: the shared real payloads and REST examples (skipped when absent) ------------------


@pytest.mark.parametrize(
    "name",
    [
        "webhooks/comment_created/webhook-cloud-comment-created.json",
        "webhooks/comment_updated/webhook-cloud-comment-updated.json",
        "webhooks/comment_created/webhook-server-comment-created.json",
    ],
)
def test_public_comments_in_real_webhooks_carry_no_data(name):
    payload = load_json(name)
    assert payload["comment"].get("jsdPublic", True) is True and "visibility" not in payload["comment"]
    (act,) = normalize_webhook(payload).activities
    assert act.data == {}


def test_real_cloud_comment_flipped_to_an_internal_note_is_marked():
    payload = copy.deepcopy(load_json("webhooks/comment_created/webhook-cloud-comment-created.json"))
    payload["comment"]["jsdPublic"] = False  # derived: the same capture, as an internal note
    (act,) = normalize_webhook(payload).activities
    assert act.data == {"internal": True}


def test_real_deleted_public_comment_carries_only_the_deletion():
    (act,) = normalize_webhook(load_json("webhooks/comment_deleted/webhook-cloud-comment-deleted.json")).activities
    assert act.deleted and set(act.data) == {"deleted_at"}


def test_openapi_comment_example_restricted_to_a_role_is_internal():
    (comment,) = load_json("rest/atlassian-openapi-examples/issue_comment.GET.200.json")["comments"]
    assert comment["visibility"]["type"] == "role"
    assert normalize_rest_comment("EX-1", comment).data == {"internal": True, "visibility": "role:Administrators"}


def test_openapi_search_example_embedded_comment_restricted_to_a_role_is_internal():
    (issue,) = load_json("rest/atlassian-openapi-examples/search_jql.GET.200.json")["issues"]
    (comment,) = issue["fields"]["comment"]
    act = normalize_rest_comment(issue["key"], comment)
    assert act.data == {"internal": True, "visibility": "role:Administrators"}


def test_captured_cloud_comment_page_marked_public_by_jsd_public():
    page = load_python_response("rest/atlassian-python-api/issue_FOO-123_comment.GET.py")
    assert [c["jsdPublic"] for c in page["comments"]] == [True, True]
    assert [normalize_rest_comment("FOO-123", c).data for c in page["comments"]] == [{}, {}]
