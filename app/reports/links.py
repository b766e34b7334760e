"""The dashboard's addresses of a work item's evidence, a clock on it, a developer and a client.

The pages link with them, and so do the reports sent away from the dashboard (with the public address before).
"""

from __future__ import annotations

import re
from urllib.parse import quote

_GITHUB_KEY = re.compile(r"^([\w.-]+/[\w.-]+)#(\d+)$")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")


def item_href(source: str, key: str) -> str:
    """Link to a work item's evidence page; GitHub keys are written owner/repo/123 so no %23 is needed."""
    match = _GITHUB_KEY.match(key) if source == "github" else None
    path = f"{match[1]}/{match[2]}" if match else key
    return f"/items/{quote(source, safe='')}/{quote(path, safe='/')}"


def anchor(clock_id: str) -> str:
    """Turn a clock id into an HTML id, for links straight to the clock's evidence."""
    return "clock-" + _UNSAFE_ID.sub("-", clock_id).strip("-")


def clock_href(source: str, key: str, clock_id: str) -> str:
    """Link to one clock on its work item's evidence page."""
    return f"{item_href(source, key)}#{anchor(clock_id)}"


def developer_href(person: str) -> str:
    return f"/developers/{quote(person, safe='')}"


def client_href(name: str) -> str:
    return f"/clients/{quote(name, safe='')}"
