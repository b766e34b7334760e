"""JQL the sync sends: quoting and the incremental issue search."""

from __future__ import annotations

from datetime import datetime


def jql_string(value: str) -> str:
    """Quote a value for JQL."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def issues_jql(project: str, since: datetime | None) -> str:
    """Return the search for a project's issues updated at or after ``since``, oldest first.

    The bound is epoch milliseconds, not a date string, so the account's time zone cannot shift it.
    """
    clause = f"project = {jql_string(project)}"
    if since is not None:
        clause += f" AND updated >= {int(since.timestamp() * 1000)}"
    return clause + " ORDER BY updated ASC"
