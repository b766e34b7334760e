"""The real-world clock rules through Jira-shaped webhooks, stored on both databases, each history delivered
in order, shuffled and twice: internal notes, a no-fix resolution, a question its author withdrew (Data Center
names who deleted a comment; Cloud does not), and the reopen option.

Shapes follow the real captures in ../shared/fixtures (jsdPublic, visibility, changelog items).
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.tables import ClockRow
from app.store.histories import row_to_clock
from metrics.response import QUESTION_WITHDRAWN
from tests.conftest import post_jira
from tests.connectors.jira import payloads as p
from tests.store.moved import CONTRACTS_YAML, ISSUE_ID, _jira_time, _ms, at
from tests.store.records import clear

CLOUD_USERS = {"client": p.CLIENT, "dev": p.DEV}
DC_USERS = {"client": p.DC_CLIENT, "dev": p.DC_DEV}
DONE = p.status("Done", "10003", "done")
TODO = p.status("To Do", "10001", "new")
DC_CONTRACTS = CONTRACTS_YAML.replace('jira: "JIRAUSER10200"}', 'jira: [JIRAUSER10200, dan]}').replace(
    "  - {id: alice,", "  - {id: clara, name: Clara Client, role: client, jira: [JIRAUSER10100, clara]}\n"
                      "  - {id: alice,")


@pytest.fixture
def contracts():
    return parse_contracts(DC_CONTRACTS, "jira pulse.yaml")


def _issue(minutes: int, *, cloud: bool, done: bool = False, resolution: str | None = None) -> dict:
    base, api = (p.BASE, "3") if cloud else (p.DC_BASE, "2")
    users = CLOUD_USERS if cloud else DC_USERS
    return p.issue("SHOP-7", issue_id=ISSUE_ID, base=base, api=api, st=DONE if done else TODO,
                   reporter=users["client"], labels=(), issue_type="Bug", priority="Highest",
                   resolution=resolution, resolved=_jira_time(minutes) if done else None, created=_jira_time(0),
                   updated=_jira_time(minutes), description="Checkout fails for some cards")


def _comment(cid: str, who: str, minutes: int, *, cloud: bool, **extra) -> dict:
    base, api = (p.BASE, "3") if cloud else (p.DC_BASE, "2")
    users = CLOUD_USERS if cloud else DC_USERS
    return {**p.comment(cid, users[who], f"comment {cid}", _jira_time(minutes), issue_id=ISSUE_ID, base=base,
                        api=api), **extra}


def _created(cloud: bool) -> dict:
    users = CLOUD_USERS if cloud else DC_USERS
    return {"timestamp": _ms(0), "webhookEvent": "jira:issue_created", "user": users["client"],
            "issue_event_type_name": "issue_created", "issue": _issue(0, cloud=cloud)}


def _cloud_comment(comment: dict, minutes: int, event: str = "comment_created") -> dict:
    minimal = {"id": ISSUE_ID, "key": "SHOP-7", "self": f"{p.BASE}/rest/api/3/issue/{ISSUE_ID}",
               "fields": {"summary": "Summary of SHOP-7"}}
    return {"timestamp": _ms(minutes), "webhookEvent": event, "comment": comment, "issue": minimal}


def _dc_comment(comment: dict, minutes: int, who: str, kind: str = "issue_commented") -> dict:
    return {"timestamp": _ms(minutes), "webhookEvent": "jira:issue_updated", "user": DC_USERS[who],
            "issue_event_type_name": kind, "issue": _issue(minutes, cloud=False), "comment": comment}


def _resolved(minutes: int, resolution: str, *, cloud: bool, history_id: str = "30011") -> dict:
    users = CLOUD_USERS if cloud else DC_USERS
    items = [p.item("status", "10001", "To Do", "10003", "Done"),
             p.item("resolution", None, None, "1", resolution)]
    return {"timestamp": _ms(minutes), "webhookEvent": "jira:issue_updated", "user": users["dev"],
            "issue_event_type_name": "issue_resolved" if not cloud else "issue_generic",
            "issue": _issue(minutes, cloud=cloud, done=True, resolution=resolution),
            "changelog": {"id": history_id, "items": items}}


def _reopened(minutes: int, *, cloud: bool) -> dict:
    users = CLOUD_USERS if cloud else DC_USERS
    items = [p.item("status", "10003", "Done", "10001", "To Do"), p.item("resolution", "1", "Done", None, None)]
    return {"timestamp": _ms(minutes), "webhookEvent": "jira:issue_updated", "user": users["dev"],
            "issue_event_type_name": "issue_reopened" if not cloud else "issue_generic",
            "issue": _issue(minutes, cloud=cloud), "changelog": {"id": "30012", "items": items}}


CASES = [
    ("Cloud: an internal note is no answer; Won't Fix cancels the bug clock", [
        _created(True),
        _cloud_comment(_comment("501", "dev", 5, cloud=True, jsdPublic=False), 5),
        _cloud_comment(_comment("502", "dev", 40, cloud=True, jsdPublic=True), 40),
        _resolved(60, "Won't Fix", cloud=True),
    ], [("bug_fix", "cancelled", 60, ("resolved as Won't Fix",)), ("response", "breached", 40, ())], ""),
    ("Data Center: a comment restricted to a role is no answer", [
        _created(False),
        _dc_comment(_comment("601", "dev", 5, cloud=False, visibility={"type": "role", "value": "Developers"}),
                    5, "dev"),
        _dc_comment(_comment("602", "dev", 20, cloud=False), 20, "dev"),
    ], [("bug_fix", "breached", 0, ()), ("response", "met", 20, ())], ""),
    ("Data Center: a follow-up question its author deleted in time is withdrawn", [
        _created(False),
        _dc_comment(_comment("701", "dev", 5, cloud=False), 5, "dev"),
        _dc_comment(_comment("702", "client", 10, cloud=False), 10, "client"),
        _dc_comment(_comment("702", "client", 10, cloud=False), 15, "client", "issue_comment_deleted"),
    ], [("bug_fix", "breached", 0, ()), ("response", "met", 5, ()),
        ("response", "cancelled", 5, (QUESTION_WITHDRAWN,))], ""),
    ("Data Center: with reopen: new_cycle a reopened bug starts a second clock", [
        _created(False),
        _dc_comment(_comment("801", "dev", 5, cloud=False), 5, "dev"),
        _resolved(30, "Fixed", cloud=False),
        _reopened(100, cloud=False),
        _resolved(150, "Fixed", cloud=False, history_id="30013"),
    ], [("bug_fix", "met", 30, ()), ("bug_fix", "met", 50, ()), ("response", "met", 5, ())], "new_cycle"),
]


def _clocks(factory) -> list[tuple]:
    with factory() as s:
        clocks = [row_to_clock(r) for r in s.scalars(select(ClockRow))]
    later = at(60 * 24 * 30)
    return sorted((c.kind.value, c.state_at(later).value, c.elapsed_seconds // 60, c.notes) for c in clocks)


@pytest.mark.parametrize(("case", "hooks", "expected", "reopen"), CASES, ids=[c[0] for c in CASES])
def test_jira_histories_give_the_rules_clocks_in_any_order_and_twice(case, hooks, expected, reopen, app, client,
                                                                     factory):
    if reopen:
        app.state.contracts = parse_contracts(DC_CONTRACTS.replace(
            "production_bug: {labels: [production], jira_issue_types: [Bug], jira_priorities: [Highest]}",
            "production_bug: {labels: [production], jira_issue_types: [Bug], jira_priorities: [Highest], "
            f"reopen: {reopen}}}", 1))
    for n, hook in enumerate(hooks):
        assert post_jira(client, hook, delivery=f"in-order-{n}").status_code in (200, 202)
    assert sorted(_clocks(factory)) == sorted(expected)
    clear(factory)
    twice = [(f"again-{n}", hook) for n, hook in enumerate(hooks)] * 2
    random.Random(17).shuffle(twice)
    for n, (name, hook) in enumerate(twice):
        assert post_jira(client, hook, delivery=f"{name}-{n}").status_code in (200, 202)
    assert sorted(_clocks(factory)) == sorted(expected)
