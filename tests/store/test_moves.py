"""Moves keep history: a moved Jira issue or transferred GitHub issue keeps its clocks and evidence under its new key.

Every path (webhooks in order, shuffled or twice, the sync, both, a replay) leaves the same rows: one work item under
the new key, every activity filed there, one move recorded, and each clock once, under the new key.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import respx
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import (
    ActivityRow,
    Alert,
    ClockRow,
    ItemMoveRow,
    WorkItemRow,
)
from app.intake.replay import replay
from app.store.moves import arrivals
from app.store.recompute import recompute_clocks
from app.store.upserts import store_batch
from app.sync.runner import Connectors, run_sync
from connectors.jira.normalize import normalize_webhook
from connectors.records import Activity, Actor, Batch, ItemMove, WorkItem
from tests.conftest import make_settings, post_github, post_jira
from tests.connectors.jira import payloads as p
from tests.store.moved import (
    CONTRACTS_YAML,
    MOVE_MINUTE,
    Move,
    at,
    github_rest,
    github_webhooks,
    jira_rest,
    jira_webhooks,
)
from tests.store.records import clear, stored_rows

JIRA_SAME = Move("jira", "SHOP-7", "OPS-3")
GITHUB_SAME = Move("github", "acme/shop#7", "acme/ops#3")


@pytest.fixture
def contracts():
    return parse_contracts(CONTRACTS_YAML, "moves pulse.yaml")


# --- the paths a history can take ------------------------------------------------------------------------------


def _jira_hooks(client, move: Move, *, cloud: bool = True, order: Callable[[list], list] = list) -> None:
    for payload in order(jira_webhooks(move, cloud=cloud)):
        assert post_jira(client, payload).status_code in (200, 202)


def _jira_sync(factory, contracts, move: Move, *, cloud: bool = True) -> None:
    fake = jira_rest(move, cloud=cloud)
    settings = make_settings(jira_url=fake.base, jira_email="e" if cloud else None, jira_token="t",
                             jira_deployment="cloud" if cloud else "datacenter")
    with respx.mock(assert_all_called=False) as mock:
        fake.install(mock, "search", "comments", "bulk", "status")
        summary = run_sync(factory=factory, contracts=contracts, source="jira",
                           connectors=Connectors(settings, factory, sleep=lambda s: None))
    assert summary.status == "succeeded", summary.errors


def _github_hooks(client, move: Move, *, order: Callable[[list], list] = list) -> None:
    for event, payload in order(github_webhooks(move)):
        assert post_github(client, event, payload).status_code in (200, 202)


def _github_sync(factory, contracts, move: Move) -> None:
    with respx.mock(assert_all_called=False) as mock:
        for fake in github_rest(move):
            fake.install(mock)
        summary = run_sync(factory=factory, contracts=contracts, source="github",
                           connectors=Connectors(make_settings(github_token="t"), factory, sleep=lambda s: None))
    assert summary.status == "succeeded", summary.errors


def clocks(factory) -> list[tuple]:
    with factory() as s:
        return [(c.item_key, c.kind, c.seq, c.client, c.started_at, c.stopped_at)
                for c in s.scalars(select(ClockRow).order_by(ClockRow.kind, ClockRow.seq))]


# --- what every path must leave ------------------------------------------------------------------------------


def assert_moved(factory, move: Move) -> None:
    """One item under the new key, every activity filed there, the move recorded, each clock once there."""
    with factory() as s:
        assert s.scalars(select(WorkItemRow.key)).all() == [move.new_key]
        assert set(s.scalars(select(ActivityRow.item_key))) == {move.new_key}
        ids = set(s.scalars(select(ActivityRow.external_id)))
        assert f"opened:{move.new_key}" in ids and not any(move.old_key in i for i in ids)
        [alias] = s.scalars(select(ItemMoveRow)).all()
        assert (alias.old_key, alias.new_key, alias.old_container, alias.moved_at) == (
            move.old_key, move.new_key, move.old_container, at(MOVE_MINUTE))
    assert clocks(factory) == [
        # One response clock runs across the move (0 -> 40 min), one starts after it (60 -> 110).
        (move.new_key, "response", 0, "acme", at(0), at(40)),
        (move.new_key, "response", 1, "acme", at(60), at(110)),
    ]


JIRA_PATHS = {
    "Cloud webhooks": lambda client, factory, contracts: _jira_hooks(client, JIRA_SAME),
    "Cloud sync": lambda client, factory, contracts: _jira_sync(factory, contracts, JIRA_SAME),
    "Cloud webhooks, then the sync": lambda client, factory, contracts: (
        _jira_hooks(client, JIRA_SAME), _jira_sync(factory, contracts, JIRA_SAME)),
    "Cloud sync, then the webhooks backwards": lambda client, factory, contracts: (
        _jira_sync(factory, contracts, JIRA_SAME), _jira_hooks(client, JIRA_SAME, order=lambda h: h[::-1])),
}
DATA_CENTER_PATHS = {
    "Data Center webhooks (issue_moved)": lambda client, factory, contracts: _jira_hooks(client, JIRA_SAME,
                                                                                          cloud=False),
    "Data Center sync": lambda client, factory, contracts: _jira_sync(factory, contracts, JIRA_SAME, cloud=False),
    "Data Center webhooks, then the sync": lambda client, factory, contracts: (
        _jira_hooks(client, JIRA_SAME, cloud=False), _jira_sync(factory, contracts, JIRA_SAME, cloud=False)),
}
GITHUB_PATHS = {
    "webhooks": lambda client, factory, contracts: _github_hooks(client, GITHUB_SAME),
    "webhooks, then the sync": lambda client, factory, contracts: (
        _github_hooks(client, GITHUB_SAME), _github_sync(factory, contracts, GITHUB_SAME)),
    "the sync, then the webhooks": lambda client, factory, contracts: (
        _github_sync(factory, contracts, GITHUB_SAME), _github_hooks(client, GITHUB_SAME)),
    "webhooks backwards, the sync between": lambda client, factory, contracts: (
        _github_hooks(client, GITHUB_SAME, order=lambda h: h[::-1][:3]), _github_sync(factory, contracts, GITHUB_SAME),
        _github_hooks(client, GITHUB_SAME, order=lambda h: h[::-1][3:])),
}


@pytest.mark.parametrize(("reference", "paths"), [
    pytest.param("Cloud webhooks", JIRA_PATHS, id="jira-cloud"),
    pytest.param("Data Center webhooks (issue_moved)", DATA_CENTER_PATHS, id="jira-datacenter"),
    pytest.param("webhooks", GITHUB_PATHS, id="github"),
])
def test_every_path_of_a_move_leaves_the_same_records_and_clocks(client, factory, contracts, reference, paths):
    move = GITHUB_SAME if paths is GITHUB_PATHS else JIRA_SAME
    paths[reference](client, factory, contracts)
    assert_moved(factory, move)
    expected = stored_rows(factory)
    for name, path in paths.items():
        clear(factory)
        path(client, factory, contracts)
        assert stored_rows(factory) == expected, name


def _shuffled(seed: int) -> Callable[[list], list]:
    return lambda hooks: random.Random(seed).sample(hooks, len(hooks))


ORDERS = {
    "in order": list,
    "twice": lambda hooks: hooks + hooks,
    "the move first": lambda hooks: sorted(hooks, key=lambda h: 0 if _is_move(h) else 1),
    "the move last": lambda hooks: sorted(hooks, key=lambda h: 1 if _is_move(h) else 0),
    "shuffled (1)": _shuffled(1),
    "shuffled (2)": _shuffled(2),
    "shuffled and twice": lambda hooks: random.Random(3).sample(hooks + hooks, 2 * len(hooks)),
}


def _is_move(hook) -> bool:
    payload = hook[1] if isinstance(hook, tuple) else hook
    return payload.get("action") == "transferred" or payload.get("changelog", {}).get("id") == "30010"


@pytest.mark.parametrize("source", ["jira", "github"])
def test_the_move_in_any_order_and_twice_gives_the_same_records(client, factory, contracts, source):
    move = JIRA_SAME if source == "jira" else GITHUB_SAME
    deliver = _jira_hooks if source == "jira" else _github_hooks
    results = {}
    for name, order in ORDERS.items():
        clear(factory)
        deliver(client, move, order=order)
        results[name] = stored_rows(factory)
    assert_moved(factory, move)
    for name, result in results.items():
        assert result == results["in order"], name


@pytest.mark.parametrize("move", [JIRA_SAME, GITHUB_SAME], ids=["jira", "github"])
def test_a_replay_of_the_stored_deliveries_gives_the_same_records(client, factory, contracts, move):
    (_jira_hooks if move.source == "jira" else _github_hooks)(client, move, order=_shuffled(4))
    expected = stored_rows(factory)
    clear(factory, keep_raw=True)
    summary = replay(factory, contracts)
    assert summary.failed == 0
    assert stored_rows(factory) == expected
    assert_moved(factory, move)


def test_a_response_clock_running_across_a_same_client_move_is_one_clock_under_the_new_key(client, factory):
    _jira_hooks(client, JIRA_SAME)
    with factory() as s:
        [first] = s.scalars(select(ClockRow).where(ClockRow.kind == "response", ClockRow.seq == 0)).all()
    assert (first.item_key, first.client, first.started_at, first.stopped_at) == ("OPS-3", "acme", at(0), at(40))
    assert first.elapsed_seconds == 40 * 60 and first.elapsed_seconds > first.target_seconds  # 30 min: breached
    roles = [e["role"] for e in first.evidence]
    assert roles == ["start", "stop"]
    assert [e["activity_id"] for e in first.evidence] == ["opened:OPS-3", "comment:701"]


# --- a move to another client's project or repository ---------------------------------------------------------

HANDOVERS = [
    # (move, clocks: (kind, client, started minute, stopped minute, met?))
    pytest.param(Move("jira", "SHOP-7", "GLX-3"), [
        ("response", "acme", 0, 40, False),  # started before the move: acme's 30 min, though answered after it
        ("response", "globex", 60, 110, True),  # started after: globex's 2 h
    ], id="jira"),
    pytest.param(Move("github", "acme/shop#7", "acme/globex-site#3"), [
        ("response", "acme", 0, 40, False),
        ("response", "globex", 60, 110, True),
    ], id="github"),
    pytest.param(Move("jira", "SHOP-7", "GLX-3", bug=True), [
        ("bug_fix", "acme", 0, 240, False),  # a production bug from the start: acme's 3 h, not globex's 8 h
        ("response", "acme", 0, 40, False),
        ("response", "globex", 60, 110, True),
    ], id="jira-production-bug"),
]


@pytest.mark.parametrize(("move", "expected"), HANDOVERS)
def test_a_move_to_another_clients_project_hands_the_clocks_over_at_the_move(client, factory, move, expected):
    (_jira_hooks if move.source == "jira" else _github_hooks)(client, move)
    with factory() as s:
        got = [(c.kind, c.client, c.item_key, c.started_at, c.stopped_at, c.elapsed_seconds <= c.target_seconds)
               for c in s.scalars(select(ClockRow).order_by(ClockRow.kind, ClockRow.started_at))]
        ids = sorted(s.scalars(select(ClockRow.id)))
    assert got == [(kind, who, move.new_key, at(start), at(stop), met) for kind, who, start, stop, met in expected]
    assert len(ids) == len(set(ids)) == len(expected)


def test_a_clock_that_starts_at_the_moment_of_the_move_belongs_to_the_new_client(factory, contracts):
    t = at(0)
    alice, olena = Actor("jira", "acc-client"), Actor("jira", "acc-dev")
    old = Batch(work_items=[_item("SHOP-9", t)], activities=[
        Activity("jira", "opened:SHOP-9", "SHOP-9", "opened", t, olena, body="Tracking the release here.")])
    moved = Batch(work_items=[_item("GLX-9", t, updated=at(MOVE_MINUTE))],
                  moves=[ItemMove("jira", "SHOP-9", "GLX-9", at(MOVE_MINUTE), "SHOP")],
                  activities=[Activity("jira", "comment:9001", "GLX-9", "comment", at(MOVE_MINUTE), alice,
                                       body="Is this still planned?")])
    for batch in (old, moved):
        with transaction(factory) as s:
            recompute_clocks(s, contracts, store_batch(s, batch))
    with factory() as s:
        [clock] = s.scalars(select(ClockRow)).all()
    assert (clock.item_key, clock.client, clock.started_at, clock.target_seconds) == (
        "GLX-9", "globex", at(MOVE_MINUTE), 2 * 3600)


def _item(key: str, created, *, updated=None) -> WorkItem:
    return WorkItem("jira", key, key.split("-")[0], "jira_issue", f"{p.BASE}/browse/{key}", "Release", created,
                    updated or created, author=Actor("jira", "acc-client"), status="To Do", issue_type="Task")


# --- two writers at once -------------------------------------------------------------------------------------


def _move_batch() -> Batch:
    return normalize_webhook(jira_webhooks(JIRA_SAME)[2])  # the move, with the issue under its new key


def _late_comment() -> Batch:
    return normalize_webhook(jira_webhooks(JIRA_SAME)[1])  # the first comment, under the old key


@pytest.mark.parametrize("first", ["the move", "the comment"])
def test_a_comment_stored_under_the_old_key_while_the_move_is_stored_follows_the_item(factory, contracts, first):
    """Another replica stores a comment under the old key while this one stores the move: it ends up moved."""
    with transaction(factory) as s:
        recompute_clocks(s, contracts, store_batch(s, normalize_webhook(jira_webhooks(JIRA_SAME)[0])))
    batches = {"the move": _move_batch(), "the comment": _late_comment()}
    second = "the comment" if first == "the move" else "the move"
    holding, release, errors = threading.Event(), threading.Event(), []

    def write(name: str, hold: bool) -> None:
        try:
            with transaction(factory) as s:
                recompute_clocks(s, contracts, store_batch(s, batches[name]))
                if hold:  # keep the transaction open: the other writer must wait for it
                    holding.set()
                    release.wait(10)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    one = threading.Thread(target=write, args=(first, True))
    one.start()
    assert holding.wait(10)
    two = threading.Thread(target=write, args=(second, False))
    two.start()
    time.sleep(0.5)  # the second writer is now waiting for the first one's locks
    release.set()
    one.join(20)
    two.join(20)
    assert errors == []
    with factory() as s:
        assert {e: k for e, k in s.execute(select(ActivityRow.external_id, ActivityRow.item_key))} == {
            "opened:OPS-3": "OPS-3", "comment:700": "OPS-3"}
        assert s.scalars(select(WorkItemRow.key)).all() == ["OPS-3"]
        assert set(s.scalars(select(ClockRow.item_key))) == {"OPS-3"}


def test_the_old_key_gets_no_clocks_and_its_late_snapshot_is_not_stored(client, factory):
    hooks = jira_webhooks(JIRA_SAME)
    _jira_hooks(client, JIRA_SAME)
    late = dict(hooks[0], timestamp=hooks[0]["timestamp"] + int(timedelta(hours=9).total_seconds() * 1000))
    assert post_jira(client, late).status_code == 202  # the old key's creation again, as a new delivery
    with factory() as s:
        assert s.scalars(select(WorkItemRow.key)).all() == ["OPS-3"]
        assert s.scalars(select(ClockRow.item_key).where(ClockRow.item_key == "SHOP-7")).all() == []


def test_the_github_sync_alone_sees_the_issue_only_under_its_new_key(client, factory, contracts):
    """GitHub's REST API keeps no record of a transferred issue's old key: only the webhook names both."""
    _github_sync(factory, contracts, GITHUB_SAME)
    with factory() as s:
        assert s.scalars(select(WorkItemRow.key)).all() == ["acme/ops#3"]
        assert sorted(s.scalars(select(ActivityRow.external_id))) == [
            "closed:acme/ops#3:2026-03-02T13:00:00Z", "comment:501", "comment:502", "comment:503", "comment:504",
            "opened:acme/ops#3"]
        assert s.scalars(select(ItemMoveRow)).all() == []
    _github_hooks(client, GITHUB_SAME, order=lambda hooks: [h for h in hooks if h[1].get("action") == "transferred"])
    assert_moved(factory, GITHUB_SAME)


# --- chains of moves ----------------------------------------------------------------------------------------


def _issue_batch(key: str, minutes: int, *acts: Activity, move: tuple[str, int] | None = None) -> Batch:
    moves = [ItemMove("jira", move[0], key, at(move[1]), move[0].split("-")[0])] if move else []
    return Batch(work_items=[_item(key, at(0), updated=at(minutes))], activities=list(acts), moves=moves)


def _comment(comment_id: str, key: str, minutes: int, who: str) -> Activity:
    return Activity("jira", f"comment:{comment_id}", key, "comment", at(minutes), Actor("jira", who),
                    body=f"comment {comment_id}", url=f"{p.BASE}/browse/{key}?focusedCommentId={comment_id}")


CHAINS = {
    # name: (batches in the order they happen, the key the item has at the end, the keys it had, in order)
    "two moves": ([
        _issue_batch("SHOP-7", 0, Activity("jira", "opened:SHOP-7", "SHOP-7", "opened", at(0),
                                           Actor("jira", "acc-client"), body="Checkout fails")),
        _issue_batch("OPS-3", 20, move=("SHOP-7", 20)),
        _issue_batch("OPS-3", 30, _comment("801", "OPS-3", 30, "acc-client")),
        _issue_batch("GLX-5", 45, move=("OPS-3", 45)),
        _issue_batch("GLX-5", 50, _comment("802", "GLX-5", 50, "acc-dev")),
    ], "GLX-5", ["SHOP-7", "OPS-3"]),
    "moved back": ([
        _issue_batch("SHOP-7", 0, Activity("jira", "opened:SHOP-7", "SHOP-7", "opened", at(0),
                                           Actor("jira", "acc-client"), body="Checkout fails")),
        _issue_batch("OPS-3", 20, _comment("801", "OPS-3", 30, "acc-client"), move=("SHOP-7", 20)),
        _issue_batch("SHOP-7", 45, _comment("802", "SHOP-7", 50, "acc-dev"), move=("OPS-3", 45)),
    ], "SHOP-7", ["SHOP-7", "OPS-3"]),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
@pytest.mark.parametrize("order", ["in order", "backwards", "shuffled"])
def test_a_chain_of_moves_files_everything_under_the_last_key(factory, contracts, name, order):
    batches, last, before = CHAINS[name]
    arranged = {"in order": batches, "backwards": batches[::-1],
                "shuffled": random.Random(7).sample(batches, len(batches))}[order]
    for batch in arranged:
        with transaction(factory) as s:
            recompute_clocks(s, contracts, store_batch(s, batch))
    with factory() as s:
        assert s.scalars(select(WorkItemRow.key)).all() == [last]
        assert {a.item_key for a in s.scalars(select(ActivityRow))} == {last}
        assert sorted(s.scalars(select(ActivityRow.external_id))) == ["comment:801", "comment:802", f"opened:{last}"]
        assert {c.item_key for c in s.scalars(select(ClockRow))} == {last}
        came = arrivals(s, [("jira", last)]).get(("jira", last), ())
        assert [a.old_key for a in came] == [k for k in before if k != last]


def test_an_alert_sent_for_a_clock_before_the_move_is_not_sent_again_under_the_new_key(factory, contracts):
    hooks = jira_webhooks(JIRA_SAME)
    with transaction(factory) as s:
        recompute_clocks(s, contracts, store_batch(s, normalize_webhook(hooks[0])))
        s.add(Alert(clock_id="jira:SHOP-7:response:0", stage="breached", client="acme", kind="webhook",
                    destination="https://alerts.example/hook", status="sent"))
        s.add(Alert(clock_id="jira:SHOP-70:response:0", stage="breached", client="acme", kind="webhook",
                    destination="https://alerts.example/hook", status="sent"))  # another issue's: left alone
    with transaction(factory) as s:
        recompute_clocks(s, contracts, store_batch(s, normalize_webhook(hooks[2])))
    with factory() as s:
        assert sorted(s.scalars(select(Alert.clock_id))) == ["jira:OPS-3:response:0", "jira:SHOP-70:response:0"]
        assert "jira:OPS-3:response:0" in set(s.scalars(select(ClockRow.id)))
