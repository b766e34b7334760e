"""One history of a work item that moves: a Jira issue moved to another project, a GitHub issue transferred.

The same history three ways: the webhooks Jira (Cloud or Data Center) or GitHub sends, in the order they happen;
what the REST APIs show afterwards (the issue only under its new key); and the clocks it must give. Shapes follow
the real payloads in ../shared/fixtures (a move adds the changelog's ``Key`` item, a transfer ``changes``).

Minutes after T0 (Monday 2026-03-02 09:00 UTC; both clients work 24/7):
  0  the client opens the item (a question: a response clock starts; as a Bug/production item a bug clock too)
 10  the client asks again (a follow-up: no new clock)
 20  the item moves (Jira: project SHOP -> OPS or GLX; GitHub: acme/shop -> acme/ops or acme/globex-site)
 40  a developer answers (the first response clock stops: 40 min)
 60  the client asks (a second response clock starts)
110  a developer answers (it stops: 50 min)
240  the item is resolved / closed as completed (the bug clock stops: 4 h)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.connectors.github.fake_github import API, FakeGitHub
from tests.connectors.jira import payloads as p
from tests.connectors.jira.fake_jira import FakeJira
from tests.payloads import ts, user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MOVE_MINUTE = 20

CONTRACTS_YAML = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev, jira: "acc-dev"}
  - {id: dan, name: Dan Dev, role: developer, jira: "JIRAUSER10200"}
  - {id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-client"}
clients:
  - name: acme
    github_repos: [acme/shop, acme/ops]
    jira_projects: [SHOP, OPS]
    unknown_authors: client
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 30m, production_bug_fix: 3h, at_risk: 0.75}
    production_bug: {labels: [production], jira_issue_types: [Bug], jira_priorities: [Highest]}
    bug_fix_calendar: 24/7
  - name: globex
    github_repos: [acme/globex-site]
    jira_projects: [GLX]
    unknown_authors: client
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 2h, production_bug_fix: 8h, at_risk: 0.75}
    production_bug: {labels: [production], jira_issue_types: [Bug], jira_priorities: [Highest]}
    bug_fix_calendar: 24/7
"""


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Move:
    """Where the item starts and where it moves to."""

    source: str
    old_key: str
    new_key: str
    bug: bool = False  # a production bug (Jira Bug/Highest, GitHub label production): a bug clock too

    @property
    def old_container(self) -> str:
        return _container(self.source, self.old_key)

    @property
    def new_container(self) -> str:
        return _container(self.source, self.new_key)


def _container(source: str, key: str) -> str:
    return key.rsplit("#", 1)[0] if source == "github" else key.rsplit("-", 1)[0]


# --- Jira ------------------------------------------------------------------------------------------------------

TODO, DONE = p.status("To Do", "10001", "new"), p.status("Done", "10002", "done")
ISSUE_ID = "10077"
COMMENTS = [("700", "client", 10, "Any update?"), ("701", "dev", 40, "Looking at it now."),
            ("702", "client", 60, "It fails again."), ("703", "dev", 110, "Fixed the config, please retry.")]


def _jira_time(minutes: int) -> str:
    return at(minutes).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _ms(minutes: int) -> int:
    return int(at(minutes).timestamp() * 1000)


def _users(cloud: bool) -> dict[str, dict[str, Any]]:
    return {"client": p.CLIENT, "dev": p.DEV} if cloud else {"client": p.DC_CLIENT, "dev": p.DC_DEV}


def _jira_issue(move: Move, key: str, minutes: int, *, cloud: bool, done: bool = False, **extra: Any) -> dict:
    base, api = (p.BASE, "3") if cloud else (p.DC_BASE, "2")
    return p.issue(
        key, issue_id=ISSUE_ID, base=base, api=api, st=DONE if done else TODO, reporter=_users(cloud)["client"],
        labels=(), issue_type="Bug" if move.bug else "Task", priority="Highest" if move.bug else "Medium",
        resolution="Done" if done else None, resolved=_jira_time(240) if done else None, created=_jira_time(0),
        updated=_jira_time(minutes), description="Checkout fails for some cards", **extra,
    )


def _jira_comment(comment_id: str, who: str, minutes: int, body: Any, *, cloud: bool) -> dict:
    base, api = (p.BASE, "3") if cloud else (p.DC_BASE, "2")
    return p.comment(comment_id, _users(cloud)[who], body, _jira_time(minutes), issue_id=ISSUE_ID, base=base, api=api)


def _key_item(move: Move, *, cloud: bool) -> dict:
    # Cloud names the item by its field id too ("issuekey"); Data Center only by its name.
    item = {"field": "Key", "fieldtype": "jira", "from": None, "fromString": move.old_key, "to": None,
            "toString": move.new_key}
    return {**item, "fieldId": "issuekey"} if cloud else item


def _move_items(move: Move, *, cloud: bool) -> list[dict]:
    project = {"field": "project", "fieldtype": "jira", "from": "10000", "fromString": move.old_container,
               "to": "10001", "toString": move.new_container}
    return [{**project, "fieldId": "project"} if cloud else project, _key_item(move, cloud=cloud)]


def _done_items() -> list[dict]:
    return [p.item("resolution", None, None, "10000", "Done"), p.item("status", "10001", "To Do", "10002", "Done")]


def jira_webhooks(move: Move, *, cloud: bool = True) -> list[dict]:
    """The webhooks of the history, in the order Jira sends them."""
    users = _users(cloud)

    def updated(minutes: int, snapshot: dict, history_id: str, items: list[dict], who: str, kind: str) -> dict:
        return {"timestamp": _ms(minutes), "webhookEvent": "jira:issue_updated", "issue_event_type_name": kind,
                "user": users[who], "issue": snapshot, "changelog": {"id": history_id, "items": items}}

    hooks: list[dict] = [{"timestamp": _ms(0), "webhookEvent": "jira:issue_created", "user": users["client"],
                          "issue_event_type_name": "issue_created", "issue": _jira_issue(move, move.old_key, 0,
                                                                                         cloud=cloud)}]
    for comment_id, who, minutes, text in COMMENTS:
        if minutes > MOVE_MINUTE and not any(h.get("changelog", {}).get("id") == "30010" for h in hooks):
            hooks.append(updated(MOVE_MINUTE, _jira_issue(move, move.new_key, MOVE_MINUTE, cloud=cloud), "30010",
                                 _move_items(move, cloud=cloud), "dev", "issue_generic" if cloud else "issue_moved"))
        key = move.old_key if minutes < MOVE_MINUTE else move.new_key
        comment = _jira_comment(comment_id, who, minutes, text, cloud=cloud)
        if cloud:  # Cloud: comment_created with a minimal issue
            minimal = {"id": ISSUE_ID, "key": key, "self": f"{p.BASE}/rest/api/3/issue/{ISSUE_ID}",
                       "fields": {"summary": f"Summary of {key}"}}
            hooks.append({"timestamp": _ms(minutes), "webhookEvent": "comment_created", "comment": comment,
                          "issue": minimal})
        else:  # Data Center: jira:issue_updated + issue_commented, with the issue and the comment
            snapshot = _jira_issue(move, key, minutes, cloud=cloud)
            hooks.append({"timestamp": _ms(minutes), "webhookEvent": "jira:issue_updated", "user": users[who],
                          "issue_event_type_name": "issue_commented", "issue": snapshot, "comment": comment})
    hooks.append(updated(240, _jira_issue(move, move.new_key, 240, cloud=cloud, done=True), "30011", _done_items(),
                         "dev", "issue_generic" if cloud else "issue_resolved"))
    return hooks


def jira_rest(move: Move, *, cloud: bool = True) -> FakeJira:
    """The same history as Jira's REST API shows it afterwards: the issue only under its new key."""
    fake = FakeJira(p.BASE if cloud else p.DC_BASE, cloud=cloud)
    body = p.adf if cloud else (lambda text: text)  # REST v3 bodies are ADF, v2 plain text
    issue = _jira_issue(move, move.new_key, 240, cloud=cloud, done=True)
    if cloud:
        issue["fields"]["description"] = p.adf("Checkout fails for some cards")
    comments = [_jira_comment(cid, who, minutes, body(text), cloud=cloud) for cid, who, minutes, text in COMMENTS]
    dev = _users(cloud)["dev"]
    histories = [p.history("30010", dev, _jira_time(MOVE_MINUTE), *_move_items(move, cloud=cloud)),
                 p.history("30011", dev, _jira_time(240), *_done_items())]
    fake.put(issue, comments=comments, histories=histories)
    return fake


# --- GitHub ----------------------------------------------------------------------------------------------------

GITHUB_COMMENTS = [(501, "alice-acme", 10, "Any update?"), (502, "olena-dev", 40, "Looking at it now."),
                   (503, "alice-acme", 60, "It fails again."), (504, "olena-dev", 110, "Fixed, please retry.")]


def _repo(full_name: str) -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {"id": sum(map(ord, full_name)), "name": name, "full_name": full_name, "private": True,
            "owner": {"login": owner, "id": 9, "type": "Organization"}, "html_url": f"https://github.com/{full_name}"}


def _github_issue(move: Move, key: str, minutes: int, *, closed: bool = False) -> dict[str, Any]:
    repo, number = key.rsplit("#", 1)
    return {
        "id": 200000 + int(number), "number": int(number), "title": "Checkout fails for some cards",
        "html_url": f"https://github.com/{repo}/issues/{number}", "url": f"{API}/repos/{repo}/issues/{number}",
        "user": user("alice-acme"), "labels": [{"name": "production"}] if move.bug else [],
        "state": "closed" if closed else "open", "assignee": None, "assignees": [],
        "created_at": ts(at(0)), "updated_at": ts(at(minutes)), "closed_at": ts(at(240)) if closed else None,
        "body": "Checkout fails for some cards", "comments": 0, "locked": False, "author_association": "NONE",
        "state_reason": "completed" if closed else None,
    }


def _github_comment(move: Move, key: str, comment_id: int, login: str, minutes: int, text: str) -> dict[str, Any]:
    repo, number = key.rsplit("#", 1)
    return {"id": comment_id, "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}",
            "issue_url": f"{API}/repos/{repo}/issues/{number}", "user": user(login), "created_at": ts(at(minutes)),
            "updated_at": ts(at(minutes)), "body": text, "author_association": "MEMBER"}


def github_webhooks(move: Move) -> list[tuple[str, dict]]:
    """The webhooks of the history as (X-GitHub-Event, payload), in the order GitHub sends them."""
    old_repo, new_repo = _repo(move.old_container), _repo(move.new_container)
    hooks: list[tuple[str, dict]] = [("issues", {"action": "opened", "issue": _github_issue(move, move.old_key, 0),
                                                 "repository": old_repo, "sender": user("alice-acme")})]
    for comment_id, login, minutes, text in GITHUB_COMMENTS:
        if minutes > MOVE_MINUTE and not any(h[1].get("action") == "transferred" for h in hooks):
            hooks.append(("issues", {
                "action": "transferred", "issue": _github_issue(move, move.old_key, MOVE_MINUTE),
                "changes": {"new_issue": _github_issue(move, move.new_key, MOVE_MINUTE), "new_repository": new_repo},
                "repository": old_repo, "sender": user("olena-dev")}))
        key, repo = (move.old_key, old_repo) if minutes < MOVE_MINUTE else (move.new_key, new_repo)
        hooks.append(("issue_comment", {
            "action": "created", "issue": _github_issue(move, key, minutes), "repository": repo,
            "comment": _github_comment(move, key, comment_id, login, minutes, text), "sender": user(login)}))
    hooks.append(("issues", {"action": "closed", "issue": _github_issue(move, move.new_key, 240, closed=True),
                             "repository": new_repo, "sender": user("olena-dev")}))
    return hooks


def github_rest(move: Move) -> list[FakeGitHub]:
    """The same history as GitHub's REST API shows it afterwards: the issue only in its new repository."""
    fakes = {repo: FakeGitHub(repo) for repo in ("acme/shop", "acme/ops", "acme/globex-site")}
    fake = fakes[move.new_container]
    final = _github_issue(move, move.new_key, 240, closed=True)
    fake.issues.append(final)
    fake.comments += [_github_comment(move, move.new_key, cid, login, minutes, text)
                      for cid, login, minutes, text in GITHUB_COMMENTS]
    fake.events += [
        # The issue's timeline moves with it; GitHub's transferred event does not say where from.
        {"id": 9010, "event": "transferred", "actor": user("olena-dev"), "created_at": ts(at(MOVE_MINUTE)),
         "issue": final, "commit_id": None},
        {"id": 9011, "event": "closed", "actor": user("olena-dev"), "created_at": ts(at(240)), "issue": final,
         "commit_id": None, "state_reason": "completed"},
    ]
    return list(fakes.values())
