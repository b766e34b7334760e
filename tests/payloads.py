"""Small GitHub and Jira webhook payloads shaped like the real ones, for the app's own tests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

REPO = {"id": 1, "name": "shop", "full_name": "acme/shop", "owner": {"login": "acme", "id": 9, "type": "Organization"},
        "html_url": "https://github.com/acme/shop", "private": True}


def ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(login: str, bot: bool = False) -> dict[str, Any]:
    return {"login": login, "id": abs(len(login) * 7919), "type": "Bot" if bot else "User",
            "html_url": f"https://github.com/{login}"}


def issue(number: int, author: str, created: datetime, *, title: str = "Checkout is broken",
          labels: tuple[str, ...] = (), state: str = "open", closed: datetime | None = None,
          updated: datetime | None = None, assignees: tuple[str, ...] = (), body: str = "Please help.",
          state_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": 100000 + number, "number": number, "title": title,
        "html_url": f"https://github.com/acme/shop/issues/{number}",
        "url": f"https://api.github.com/repos/acme/shop/issues/{number}",
        "user": user(author), "labels": [{"name": lb} for lb in labels], "state": state,
        "assignee": user(assignees[0]) if assignees else None, "assignees": [user(a) for a in assignees],
        "created_at": ts(created), "updated_at": ts(updated or closed or created),
        "closed_at": ts(closed) if closed else None, "body": body, "comments": 0, "locked": False,
        "author_association": "NONE", "state_reason": state_reason,
    }


def issue_event(action: str, item: dict[str, Any], sender: str, **extra: Any) -> dict[str, Any]:
    return {"action": action, "issue": item, "repository": REPO, "sender": user(sender), **extra}


def comment_event(item: dict[str, Any], comment_id: int, author: str, at: datetime, body: str = "Looking at it now.",
                  *, action: str = "created", bot: bool = False) -> dict[str, Any]:
    comment = {"id": comment_id, "html_url": f"{item['html_url']}#issuecomment-{comment_id}",
               "issue_url": item["url"], "user": user(author, bot), "created_at": ts(at), "updated_at": ts(at),
               "body": body, "author_association": "MEMBER"}
    return {"action": action, "issue": item, "comment": comment, "repository": REPO, "sender": user(author, bot)}


def cursor_of(raw: bytes) -> str:
    """Encode bytes as the API encodes its paging cursors (to forge tampered ones)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TAMPERED_CURSORS = {
    "deeply nested JSON": cursor_of(b"[" * 700 + b"]" * 700),
    "a date past the calendar's edge in UTC": cursor_of(b'["0001-01-01T00:00:00+14:00", "x"]'),
    "a date at the far end": cursor_of(b'["9999-12-31T23:59:59-14:00", "x"]'),
    "not a pair": cursor_of(b'{"a": 1}'),
}
