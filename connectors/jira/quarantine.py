"""Read one listed Jira record from its body and context: the same way during a sync and again from quarantine.

A sync lists three kinds of record: an ``issue`` (a search result), a ``comment`` (a comment endpoint page) and a
``history`` (a changelog history from bulkfetch, the changelog endpoint or Data Center's ``expand=changelog``).
One it cannot read is kept raw as a ``Rejected`` with the ``context`` built here; after a parser fix ``reread``
turns it into records exactly as the sync would have (``pulse replay``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.jira.normalize import normalize_rest_comment, normalize_rest_history, normalize_rest_issue
from connectors.jira.shapes import SOURCE, as_mapping
from connectors.records import Batch, Check, PayloadError, Rejected

KIND_ISSUE = "issue"
KIND_COMMENT = "comment"
KIND_HISTORY = "history"


def issue_context(base_url: str | None) -> dict[str, Any]:
    """Return what reading an issue again needs beside its body: the site's base URL."""
    return {"base_url": base_url}


def comment_context(issue_key: str, base_url: str | None) -> dict[str, Any]:
    """Return what reading a comment again needs: the issue it belongs to and the site's base URL."""
    return {"issue_key": issue_key, "base_url": base_url}


def history_context(issue_key: str, status_categories: Mapping[str, str]) -> dict[str, Any]:
    """Return what reading a history again needs: its issue and the categories of the statuses it names."""
    return {"issue_key": issue_key, "status_categories": dict(status_categories)}


def read_record(kind: str, body: Any, context: Mapping[str, Any]) -> Batch:
    """Return the records one listed Jira record holds; raise PayloadError when it cannot be read."""
    reader = _READERS.get(kind)
    if reader is None:
        raise PayloadError(f"A Jira record of kind {kind!r} cannot be read; known kinds: {', '.join(_READERS)}.")
    return reader(as_mapping(body, kind), context)


def reread(rejected: Rejected, check: Check | None = None) -> Batch:
    """Read a quarantined Jira record again from its body and context (and check it, as the sync did); raise
    PayloadError while it is still unreadable."""
    if rejected.source != SOURCE:
        raise PayloadError(f"A quarantined {rejected.source} record is not a Jira record.")
    batch = read_record(rejected.kind, rejected.body, rejected.context)
    return check(batch) if check is not None else batch


def _issue(body: Mapping[str, Any], context: Mapping[str, Any]) -> Batch:
    return normalize_rest_issue(body, base_url=_base_url(context))


def _comment(body: Mapping[str, Any], context: Mapping[str, Any]) -> Batch:
    return Batch(activities=[normalize_rest_comment(_issue_key(context), body, base_url=_base_url(context))])


def _history(body: Mapping[str, Any], context: Mapping[str, Any]) -> Batch:
    categories = context.get("status_categories")
    known = {str(k): str(v) for k, v in categories.items()} if isinstance(categories, Mapping) else {}
    return normalize_rest_history(_issue_key(context), body, status_categories=known)


def _issue_key(context: Mapping[str, Any]) -> str:
    key = context.get("issue_key")
    if not isinstance(key, str) or not key:
        raise PayloadError("The quarantined Jira record's context names no issue_key.")
    return key


def _base_url(context: Mapping[str, Any]) -> str | None:
    base = context.get("base_url")
    return base if isinstance(base, str) and base else None


_READERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], Batch]] = {
    KIND_ISSUE: _issue,
    KIND_COMMENT: _comment,
    KIND_HISTORY: _history,
}
