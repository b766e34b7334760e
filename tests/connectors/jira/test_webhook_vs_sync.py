"""The same Jira history, seen as webhooks and read by the sync, gives equal records (Cloud and DC)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import respx

from connectors.jira.client import JiraClient
from connectors.jira.normalize import normalize_webhook
from connectors.jira.sync import JiraSync
from connectors.records import Activity, issue_id_of

from . import payloads as p
from .fake_jira import FakeJira

STARTED = datetime(2024, 3, 2, tzinfo=UTC)
TODO, PROGRESS, DONE = (
    p.status("To Do", "10001", "new"),
    p.status("In Progress", "3", "indeterminate"),
    p.status("Done", "10002", "done"),
)


def _t(hour: int, minute: int = 0) -> str:
    return f"2024-03-01T{hour:02d}:{minute:02d}:00.000+0000"


def _ms(hour: int, minute: int = 0) -> int:
    return int(datetime(2024, 3, 1, hour, minute, tzinfo=UTC).timestamp() * 1000)


def fold(activities: list[Activity]) -> dict[str, Activity]:
    """Fold activities as the store does: newest version per key; a real item key beats a placeholder."""
    out: dict[str, Activity] = {}
    for act in activities:
        old = out.get(act.external_id)
        if old is None or (act.updated_at or act.at) >= (old.updated_at or old.at):
            if issue_id_of(act.item_key) is not None and old is not None:
                act = dataclasses.replace(act, item_key=old.item_key)
            out[act.external_id] = act
        elif issue_id_of(old.item_key) is not None:
            out[act.external_id] = dataclasses.replace(old, item_key=act.item_key)
    return out


def _sync(fake: FakeJira):
    deployment = "cloud" if fake.cloud else "datacenter"
    client = JiraClient(fake.base, email="e", token="t", deployment=deployment, sleep=lambda s: None)
    items, acts = {}, []
    for page in JiraSync(client, "PROJ", {}, started_at=STARTED).iter_pages():
        items.update({i.key: i for i in page.batch.work_items})
        acts += page.batch.activities
    return items, fold(acts)


# --- Jira Cloud -----------------------------------------------------------------------------------


def _cloud_snapshot(hour: int, minute: int = 0, **changes) -> dict:
    base = {"st": TODO, "assignee": None, "labels": ("production",), "updated": _t(hour, minute)}
    base.update(changes)
    return p.issue("PROJ-45", created=_t(9), description="Checkout is down", **base)


def _cloud_webhooks() -> list[dict]:
    assigned = {"assignee": p.DEV}
    done = {"st": DONE, "resolution": "Done", "resolved": _t(11), "labels": ("production", "hotfix")}
    c700 = p.comment("700", p.CLIENT, "Any update?", _t(9, 10))
    c701 = p.comment("701", p.DEV, "Looking now", _t(9, 20))
    c701_edit = p.comment("701", p.DEV, "Looking now, fix soon", _t(9, 20), updated=_t(9, 25))
    minimal = {"id": "10045", "key": "PROJ-45", "self": f"{p.BASE}/rest/api/2/issue/10045", "fields": {"summary": "x"}}

    def updated(ms, snapshot, history_id, *items, user=p.DEV, kind="issue_generic"):
        return {
            "timestamp": ms,
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": kind,
            "user": user,
            "issue": snapshot,
            "changelog": {"id": history_id, "items": list(items)},
        }

    created = updated(_ms(9), _cloud_snapshot(9), "30000", p.item("status", None, None, "10001", "To Do"))
    created.update(webhookEvent="jira:issue_created", issue_event_type_name="issue_created", user=p.CLIENT)
    return [
        created,
        {"timestamp": _ms(9, 10), "webhookEvent": "comment_created", "comment": c700, "issue": minimal},
        updated(
            _ms(9, 12),
            _cloud_snapshot(9, 12, **assigned),
            "30001",
            p.item("assignee", None, None, "acc-dev", "Dan"),
            kind="issue_assigned",
        ),  # fmt: skip
        {"timestamp": _ms(9, 20), "webhookEvent": "comment_created", "comment": c701, "issue": minimal},
        {"timestamp": _ms(9, 25), "webhookEvent": "comment_updated", "comment": c701_edit, "issue": minimal},
        updated(
            _ms(10),
            _cloud_snapshot(10, **assigned, st=PROGRESS),
            "30002",
            p.item("status", "10001", "To Do", "3", "In Progress"),
        ),  # fmt: skip
        updated(
            _ms(11),
            _cloud_snapshot(11, **assigned, **done),
            "30003",
            p.item("resolution", None, None, "10000", "Done"),
            p.item("status", "3", "In Progress", "10002", "Done"),
            p.item("labels", None, "production", None, "production hotfix"),
        ),  # fmt: skip
    ]


def _cloud_rest() -> FakeJira:
    fake = FakeJira(p.BASE)
    fake.statuses = [TODO, PROGRESS, DONE]
    final = _cloud_snapshot(11, assignee=p.DEV, st=DONE, resolution="Done", resolved=_t(11))
    final["fields"]["labels"] = ["production", "hotfix"]
    final["fields"]["description"] = p.adf("Checkout is down")  # REST v3 bodies are ADF
    comments = [
        p.comment("700", p.CLIENT, p.adf("Any update?"), _t(9, 10)),
        p.comment("701", p.DEV, p.adf("Looking now, fix soon"), _t(9, 20), updated=_t(9, 25)),
    ]
    histories = [
        p.history("30001", p.DEV, _t(9, 12), p.item("assignee", None, None, "acc-dev", "Dan")),
        p.history("30002", p.DEV, _t(10), p.item("status", "10001", "To Do", "3", "In Progress")),
        p.history(
            "30003",
            p.DEV,
            _t(11),
            p.item("resolution", None, None, "10000", "Done"),
            p.item("status", "3", "In Progress", "10002", "Done"),
            p.item("labels", None, "production", None, "production hotfix"),
        ),
    ]
    fake.put(final, comments=comments, histories=histories)
    return fake


@respx.mock(assert_all_called=True)
def test_cloud_webhooks_and_sync_give_equal_records(respx_mock):
    batches = [normalize_webhook(w) for w in _cloud_webhooks()]
    hook_acts = fold([a for b in batches for a in b.activities])
    hook_item = [i for b in batches for i in b.work_items if not i.partial][-1]

    fake = _cloud_rest()
    fake.install(respx_mock, "search", "comments", "bulk", "status")  # status 3 is no issue's current status
    items, rest_acts = _sync(fake)

    assert items == {"PROJ-45": hook_item}
    assert (
        sorted(rest_acts)
        == sorted(hook_acts)
        == [
            "changelog:30001:assignee",
            "changelog:30002:status",
            "changelog:30003:labels:hotfix",
            "changelog:30003:resolution",
            "changelog:30003:status",
            "comment:700",
            "comment:701",
            "opened:PROJ-45",
        ]
    )
    assert rest_acts == hook_acts
    assert rest_acts["changelog:30002:status"].data["category"] == "indeterminate"
    assert rest_acts["comment:701"].body == "Looking now, fix soon"


# --- Jira Data Center ---------------------------------------------------------------------------


def _dc_snapshot(hour: int, minute: int = 0, comments=(), **changes) -> dict:
    base = {"st": TODO, "assignee": None, "updated": _t(hour, minute), "reporter": p.DC_CLIENT}
    base.update(changes)
    return p.issue("PROJ-45", created=_t(9), base=p.DC_BASE, api="2", comments=list(comments), **base)


def _dc_comment(comment_id: str, author: dict, body: str, at: str) -> dict:
    return p.comment(comment_id, author, body, at, base=p.DC_BASE, api="2")


def _dc_webhooks() -> list[dict]:
    c1 = _dc_comment("800", p.DC_CLIENT, "Any update?", _t(9, 10))
    c2 = _dc_comment("801", p.DC_DEV, "On it", _t(9, 20))
    commented = [c1]
    hooks: list[dict] = [{"timestamp": _ms(9), "webhookEvent": "jira:issue_created", "user": p.DC_CLIENT,
                          "issue_event_type_name": "issue_created", "issue": _dc_snapshot(9)}]  # fmt: skip
    for comment, ms, author in ((c1, _ms(9, 10), p.DC_CLIENT), (c2, _ms(9, 20), p.DC_DEV)):
        # Data Center sends each comment twice: comment_created without an issue ...
        hooks.append({"timestamp": ms, "webhookEvent": "comment_created", "comment": comment})
        # ... and jira:issue_updated + issue_commented with the issue, its comments and the comment.
        snapshot = _dc_snapshot(9, 20 if comment is c2 else 10, comments=commented)
        twin = {k: v for k, v in comment.items() if k != "self"}
        hooks.append({"timestamp": ms + 10, "webhookEvent": "jira:issue_updated", "user": author,
                      "issue_event_type_name": "issue_commented", "issue": snapshot, "comment": twin})  # fmt: skip
        commented = [c1, c2]
    hooks.append({"timestamp": _ms(10), "webhookEvent": "jira:issue_updated", "user": p.DC_DEV,
                  "issue_event_type_name": "issue_work_started",
                  "issue": _dc_snapshot(10, comments=commented, st=PROGRESS, assignee=p.DC_DEV),
                  "changelog": {"id": "40001", "items": [
                      p.item("status", "10001", "To Do", "3", "In Progress"),
                      p.item("assignee", None, None, "JIRAUSER10200", "Dan Dev")]}})  # fmt: skip
    return hooks


@respx.mock(assert_all_called=True)
def test_datacenter_webhooks_and_sync_give_equal_records(respx_mock):
    batches = [normalize_webhook(w) for w in _dc_webhooks()]
    hook_acts = fold([a for b in batches for a in b.activities])
    hook_item = [i for b in batches for i in b.work_items][-1]

    fake = FakeJira(p.DC_BASE, cloud=False)
    final = _dc_snapshot(10, st=PROGRESS, assignee=p.DC_DEV)
    comments = [
        _dc_comment("800", p.DC_CLIENT, "Any update?", _t(9, 10)),
        _dc_comment("801", p.DC_DEV, "On it", _t(9, 20)),
    ]
    history = p.history(
        "40001",
        p.DC_DEV,
        _t(10),
        p.item("status", "10001", "To Do", "3", "In Progress"),
        p.item("assignee", None, None, "JIRAUSER10200", "Dan Dev"),
    )
    fake.put(final, comments=comments, histories=[history])
    fake.install(respx_mock, "search", "comments")  # v2 search embeds (expand=changelog) histories
    items, rest_acts = _sync(fake)

    assert items == {"PROJ-45": hook_item}
    assert (
        sorted(rest_acts)
        == sorted(hook_acts)
        == [
            "changelog:40001:assignee",
            "changelog:40001:status",
            "comment:800",
            "comment:801",
            "opened:PROJ-45",
        ]
    )
    assert rest_acts == hook_acts
    assert rest_acts["comment:800"].item_key == "PROJ-45"
    assert rest_acts["changelog:40001:assignee"].data == {"assignee": "JIRAUSER10200", "from": None}
