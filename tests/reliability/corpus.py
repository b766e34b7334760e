"""The storm's deliveries: signed GitHub and Jira webhooks from our own payload builders, in history order."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import GITHUB_SECRET, JIRA_SECRET, sign
from tests.connectors.jira import payloads as jira
from tests.payloads import comment_event, issue, issue_event

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ALICE = {"accountId": "acc-alice", "displayName": "Alice Meyer"}
OLENA = {"accountId": "acc-olena", "displayName": "Olena Koval"}
MARCO = {"accountId": "acc-marco", "displayName": "Marco Rossi"}
JIRA_STATUSES = {
    "todo": jira.status("To Do", "10001", "new"),
    "waiting": jira.status("Waiting for customer", "10002", "indeterminate"),
    "done": jira.status("Done", "10003", "done"),
}


@dataclass(frozen=True)
class Signed:
    """One webhook delivery ready to send: where, with which headers, and its exact body."""

    key: str  # unique per delivery: what the intake deduplicates on
    path: str
    headers: dict[str, str]
    body: bytes


def _jira_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def github_story(number: int, start: datetime) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
    """Yield (when, event, payload) for one GitHub issue: opened, answered, labelled, edited, closed."""
    production = number % 3 == 0
    labels: tuple[str, ...] = ()

    def snapshot(minutes: int, **extra: Any) -> dict[str, Any]:
        return issue(number, "alice-acme", start, title=f"Checkout step {number} fails", labels=labels,
                     assignees=("olena-dev",), updated=start + timedelta(minutes=minutes), **extra)

    yield start, "issues", issue_event("opened", snapshot(0), "alice-acme")
    comments = [(1, "olena-dev", 12), (2, "alice-acme", 30), (3, "acme-ci", 33), (4, "marco-codes", 50 + number % 40)]
    for seq, who, minute in comments:
        at = start + timedelta(minutes=minute)
        note = comment_event(snapshot(minute), number * 10 + seq, who, at, f"Note {seq} on {number}",
                             bot=who == "acme-ci")
        yield at, "issue_comment", note
    if production:
        labels = ("production",)
        yield start + timedelta(minutes=35), "issues", issue_event("labeled", snapshot(35), "olena-dev",
                                                                   label={"name": "production"})
    edited_at = start + timedelta(minutes=95)
    edit = comment_event(snapshot(95), number * 10 + 1, "olena-dev", start + timedelta(minutes=12),
                         f"Note 1 on {number} (edited)", action="edited")
    edit["comment"]["updated_at"] = edited_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    yield edited_at, "issue_comment", edit
    if number % 2 == 0:
        closed = start + timedelta(minutes=100 + number % 90)
        minutes = int((closed - start).total_seconds() // 60)
        yield closed, "issues", issue_event("closed", snapshot(minutes, state="closed", closed=closed,
                                                               state_reason="completed"), "olena-dev")


def jira_story(number: int, start: datetime) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """Yield (when, payload) for one Jira issue: created, commented, waiting for the client, done, edited."""
    key, issue_id = f"SHOP-{number}", str(20000 + number)
    bug = number % 2 == 0
    kind, priority = ("Bug", "High") if bug else ("Task", "Medium")

    def snapshot(at: datetime, st: str = "todo", **extra: Any) -> dict[str, Any]:
        return jira.issue(key, issue_id=issue_id, st=JIRA_STATUSES[st], reporter=ALICE, assignee=OLENA, labels=(),
                          issue_type=kind, priority=priority, created=_jira_time(start), updated=_jira_time(at),
                          description=f"Orders page {number} is slow", **extra)

    def minimal() -> dict[str, Any]:
        return {"id": issue_id, "key": key, "self": f"{jira.BASE}/rest/api/2/issue/{issue_id}",
                "fields": {"summary": f"Summary of {key}", "issuetype": {"name": kind}, "priority": {"name": priority}}}

    def event(name: str, at: datetime, **body: Any) -> tuple[datetime, dict[str, Any]]:
        return at, {"timestamp": int(at.timestamp() * 1000), "webhookEvent": name, **body}

    yield event("jira:issue_created", start, issue=snapshot(start), user=ALICE)
    notes = [(1, OLENA, 9), (2, ALICE, 25), (3, MARCO, 40 + number % 30)]
    for seq, who, minute in notes:
        at = start + timedelta(minutes=minute)
        yield event("comment_created", at, issue=minimal(),
                    comment=jira.comment(str(number * 10 + seq), who, f"Reply {seq} on {key}", _jira_time(at),
                                         issue_id=issue_id))
    waiting = start + timedelta(minutes=75)
    yield event("jira:issue_updated", waiting, issue=snapshot(waiting, "waiting"), user=OLENA,
                issue_event_type_name="issue_generic",
                changelog={"id": str(number * 10 + 1), "items": [
                    jira.item("status", "10001", "To Do", "10002", "Waiting for customer")]})
    edited = start + timedelta(minutes=80)
    yield event("comment_updated", edited, issue=minimal(),
                comment=jira.comment(str(number * 10 + 1), OLENA, f"Reply 1 on {key} (edited)",
                                     _jira_time(start + timedelta(minutes=9)), updated=_jira_time(edited),
                                     issue_id=issue_id))
    if bug:
        done = start + timedelta(minutes=110 + number % 100)
        yield event("jira:issue_updated", done, issue=snapshot(done, "done", resolution="Done",
                                                                resolved=_jira_time(done)),
                    user=OLENA, issue_event_type_name="issue_resolved",
                    changelog={"id": str(number * 10 + 2), "items": [
                        jira.item("status", "10002", "Waiting for customer", "10003", "Done"),
                        jira.item("resolution", None, None, "10000", "Done")]})


def signed_github(event: str, payload: dict[str, Any], guid: str) -> Signed:
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": guid, "X-GitHub-Hook-ID": "7",
               "X-Hub-Signature-256": sign(body, GITHUB_SECRET), "Content-Type": "application/json"}
    return Signed(f"github:7:{guid}", "/webhooks/github", headers, body)


def signed_jira(payload: dict[str, Any], identifier: str) -> Signed:
    body = json.dumps(payload).encode()
    headers = {"X-Hub-Signature": sign(body, JIRA_SECRET), "X-Atlassian-Webhook-Identifier": identifier,
               "Content-Type": "application/json"}
    return Signed(f"jira:{identifier}", "/webhooks/jira", headers, body)


def build_history(unique: int) -> list[Signed]:
    """Return ``unique`` distinct deliveries of a mixed GitHub and Jira history, oldest first."""
    timed: list[tuple[datetime, int, Signed]] = []
    number = 0
    while len(timed) < unique * 1.2 + 20:  # a little spare so every source is cut at the same time
        number += 1
        start = T0 + timedelta(minutes=3 * number)
        for seq, (at, event, payload) in enumerate(github_story(number, start)):
            timed.append((at, len(timed), signed_github(event, payload, f"gh-{number}-{seq}")))
        for seq, (at, payload) in enumerate(jira_story(number, start)):
            timed.append((at, len(timed), signed_jira(payload, f"jira-{number}-{seq}")))
    timed.sort(key=lambda t: (t[0], t[1]))
    return [signed for _, _, signed in timed[:unique]]


def storm(total: int, *, duplicate_share: float = 0.2, seed: int = 10) -> tuple[list[Signed], list[Signed]]:
    """Return (history in order, the same history with ``duplicate_share`` of ``total`` repeated and shuffled)."""
    duplicates = round(total * duplicate_share)
    history = build_history(total - duplicates)
    rng = random.Random(seed)
    shuffled = history + rng.choices(history, k=duplicates)
    rng.shuffle(shuffled)
    return history, shuffled
