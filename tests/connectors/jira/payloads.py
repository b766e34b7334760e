"""Small hand-written Jira shapes for tests: Cloud and Data Center users, issues, comments, histories."""

from __future__ import annotations

from typing import Any

BASE = "https://acme.atlassian.net"
DC_BASE = "https://jira.acme.example"

CLIENT = {"accountId": "acc-client", "displayName": "Clara Client", "emailAddress": "clara@client.example"}
DEV = {"accountId": "acc-dev", "displayName": "Dan Dev", "accountType": "atlassian"}
BOT = {"accountId": "acc-bot", "displayName": "Automation", "accountType": "app"}
DC_CLIENT = {"key": "JIRAUSER10100", "name": "clara", "displayName": "Clara Client"}
DC_DEV = {"key": "JIRAUSER10200", "name": "dan", "displayName": "Dan Dev"}


def status(name: str, status_id: str, category: str) -> dict[str, Any]:
    return {"id": status_id, "name": name, "statusCategory": {"key": category}}


def issue(
    key: str = "PROJ-45",
    *,
    issue_id: str = "10045",
    base: str = BASE,
    api: str = "3",
    st: dict[str, Any] | None = None,
    assignee: dict[str, Any] | None = None,
    reporter: dict[str, Any] | None = None,
    labels: tuple[str, ...] = ("production",),
    issue_type: str = "Bug",
    priority: str = "Highest",
    resolution: str | None = None,
    resolved: str | None = None,
    created: str = "2024-03-01T09:00:00.000+0000",
    updated: str = "2024-03-01T12:00:00.000+0000",
    description: Any = "Checkout is down",
    comments: list[dict[str, Any]] | None = None,
    comment_total: int | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "summary": f"Summary of {key}",
        "status": st or status("To Do", "10001", "new"),
        "created": created,
        "updated": updated,
        "resolution": {"name": resolution} if resolution else None,
        "resolutiondate": resolved,
        "assignee": assignee,
        "labels": list(labels),
        "priority": {"name": priority},
        "issuetype": {"name": issue_type},
        "reporter": reporter or CLIENT,
        "creator": reporter or CLIENT,
        "description": description,
        "project": {"key": key.split("-")[0]},
    }
    if comments is not None:
        total = len(comments) if comment_total is None else comment_total
        fields["comment"] = {"comments": comments, "startAt": 0, "maxResults": len(comments), "total": total}
    return {"id": issue_id, "key": key, "self": f"{base}/rest/api/{api}/issue/{issue_id}", "fields": fields}


def comment(
    comment_id: str,
    author: dict[str, Any],
    body: Any,
    created: str,
    *,
    updated: str | None = None,
    issue_id: str = "10045",
    base: str = BASE,
    api: str = "3",
) -> dict[str, Any]:
    return {
        "id": comment_id,
        "self": f"{base}/rest/api/{api}/issue/{issue_id}/comment/{comment_id}",
        "author": author,
        "updateAuthor": author,
        "body": body,
        "created": created,
        "updated": updated or created,
    }


def item(field: str, frm: Any, frm_s: Any, to: Any, to_s: Any, *, field_id: str | None = None) -> dict[str, Any]:
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field_id or field,
        "from": frm,
        "fromString": frm_s,
        "to": to,
        "toString": to_s,
    }


def history(history_id: str, author: dict[str, Any], created: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": history_id, "author": author, "created": created, "items": list(items)}


def adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }
