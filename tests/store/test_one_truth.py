"""One truth: the same history by webhook (in order, shuffled, duplicated) or by sync stores the same rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import respx

from app.sync.runner import Connectors, run_sync
from tests.conftest import make_settings, post_github
from tests.connectors.github.fake_github import API, FakeGitHub
from tests.payloads import REPO, comment_event, issue, issue_event, ts, user
from tests.store.records import clear, stored_rows

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
COMMENTS = [(501, "olena-dev", 10), (502, "alice-acme", 30), (503, "olena-dev", 40)]


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _snapshot(minutes: int, *, labels=(), assignees=(), closed=False) -> dict:
    return issue(7, "alice-acme", T0, labels=labels, assignees=assignees, updated=_at(minutes),
                 state="closed" if closed else "open", closed=_at(minutes) if closed else None,
                 state_reason="completed" if closed else None)


def webhook_history() -> list[tuple[str, dict]]:
    """The history as GitHub would deliver it."""
    out = [("issues", issue_event("opened", _snapshot(0), "alice-acme"))]
    out.append(("issues", issue_event("labeled", _snapshot(5, labels=("production",)), "olena-dev",
                                      label={"name": "production"})))
    out.append(("issues", issue_event("assigned", _snapshot(6, labels=("production",), assignees=("olena-dev",)),
                                      "olena-dev", assignee=user("olena-dev"))))
    for cid, who, minute in COMMENTS:
        item = _snapshot(minute, labels=("production",), assignees=("olena-dev",))
        out.append(("issue_comment", comment_event(item, cid, who, _at(minute), f"comment {cid}")))
    final = _snapshot(120, labels=("production",), assignees=("olena-dev",), closed=True)
    out.append(("issues", issue_event("closed", final, "olena-dev")))
    return out


def rest_history(fake: FakeGitHub) -> None:
    """The same history as the REST listings show it afterwards."""
    final = _snapshot(120, labels=("production",), assignees=("olena-dev",), closed=True)
    fake.issues.append(final)
    for cid, who, minute in COMMENTS:
        fake.comments.append({"id": cid, "user": user(who), "body": f"comment {cid}", "created_at": ts(_at(minute)),
                              "updated_at": ts(_at(minute)), "html_url": f"{final['html_url']}#issuecomment-{cid}",
                              "issue_url": f"{API}/repos/{REPO['full_name']}/issues/7",
                              "author_association": "MEMBER"})
    stub = dict(final)  # the issue-events listing embeds the issue as it is now
    fake.events += [
        {"id": 9001, "event": "labeled", "actor": user("olena-dev"), "created_at": ts(_at(5)), "issue": stub,
         "label": {"name": "production", "color": "d73a4a"}},
        {"id": 9002, "event": "assigned", "actor": user("olena-dev"), "created_at": ts(_at(6)), "issue": stub,
         "assignee": user("olena-dev"), "assigner": user("olena-dev")},
        {"id": 9003, "event": "closed", "actor": user("olena-dev"), "created_at": ts(_at(120)), "issue": stub,
         "commit_id": None, "state_reason": "completed"},
    ]


def _by_webhooks(client, order: list[tuple[str, dict]]) -> None:
    for event, payload in order:
        assert post_github(client, event, payload).status_code in (200, 202)


def _by_sync(factory, contracts) -> None:
    fake = FakeGitHub(REPO["full_name"])
    rest_history(fake)
    with respx.mock(assert_all_called=False) as mock:
        fake.install(mock)
        summary = run_sync(factory=factory, contracts=contracts, source="github",
                           connectors=Connectors(make_settings(github_token="t"), factory))
    assert summary.status == "succeeded", summary.errors


def test_webhooks_and_sync_store_identical_records_and_clocks(client, factory, contracts):
    history = webhook_history()
    _by_webhooks(client, history)
    in_order = stored_rows(factory)
    kinds = sorted(r for r in in_order["clocks"])
    assert len(kinds) == 3  # two response clocks and one production-bug clock
    assert len(in_order["activities"]) == 7  # opened, labeled, assigned, 3 comments, closed

    clear(factory)
    shuffled = history + random.Random(3).sample(history, 4)
    random.Random(5).shuffle(shuffled)
    _by_webhooks(client, shuffled)
    assert stored_rows(factory) == in_order

    clear(factory)
    _by_sync(factory, contracts)
    assert stored_rows(factory) == in_order

    clear(factory)
    _by_sync(factory, contracts)
    _by_webhooks(client, list(reversed(history)))
    _by_sync(factory, contracts)
    assert stored_rows(factory) == in_order
