"""Build normalized records from the GitHub objects that webhooks and the REST API share.

Webhook payloads and REST responses embed the same issue, pull request, comment, review and user
objects, so both paths go through these builders and produce equal records for the same fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.github.fields import (
    SOURCE,
    body_text,
    integer,
    label_names,
    optional_integer,
    optional_string,
    optional_time,
    string,
    time_field,
    user,
    users,
)
from connectors.records import (
    Activity,
    ActivityKind,
    Actor,
    ItemKind,
    PayloadError,
    WorkItem,
    deletion_data,
)

# GitHub's closing keywords: https://docs.github.com/en/issues/tracking-your-work-with-issues/using-issues/linking-a-pull-request-to-an-issue
_FIXES_RE = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+"
    r"(?:(?P<repo>[A-Za-z0-9](?:[\w.-]*)/[\w.-]+))?#(?P<number>\d+)\b",
    re.IGNORECASE,
)


def item_key(repo: str, number: int) -> str:
    """Return the work item key ``owner/repo#N``."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise PayloadError(f"The GitHub item number must be a whole number, not {number!r}.")
    return f"{repo}#{number}"


def parse_fixes(repo: str, body: str | None) -> tuple[str, ...]:
    """Return the keys of the issues a PR body closes with GitHub's closing keywords, in order."""
    keys: dict[str, None] = {}
    for match in _FIXES_RE.finditer(body or ""):
        target = match["repo"] or repo
        # Repository names are case-insensitive; keep our own spelling so the keys join.
        if target.lower() == repo.lower():
            target = repo
        keys[item_key(target, int(match["number"]))] = None
    return tuple(keys)


def item_kind(obj: Mapping[str, Any], *, is_pull_request: bool = False) -> str:
    """Return whether an issue-shaped object is an issue or a pull request."""
    pull = is_pull_request or obj.get("pull_request") is not None
    return ItemKind.PULL_REQUEST.value if pull else ItemKind.ISSUE.value


def _merged_at(obj: Mapping[str, Any], where: str) -> tuple[datetime | None, bool]:
    """Return a PR's merge time and whether the object could not say (an issue-shaped PR without it)."""
    if "merged_at" in obj:
        return optional_time(obj, "merged_at", where), False
    pull = obj.get("pull_request")
    if isinstance(pull, Mapping):
        if "merged_at" in pull:
            return optional_time(pull, "merged_at", f"{where}.pull_request"), False
        return None, True
    return None, False


def work_item(
    repo: str, obj: Mapping[str, Any], *, where: str, is_pull_request: bool = False, deleted: bool = False
) -> WorkItem:
    """Return the WorkItem for an issue or pull request object (webhook or REST shape)."""
    number = integer(obj, "number", where)
    kind = item_kind(obj, is_pull_request=is_pull_request)
    state = optional_string(obj, "state", where)
    merged_at, unknown_merge = _merged_at(obj, where)
    body = body_text(obj, "body", where)
    return WorkItem(
        source=SOURCE,
        key=item_key(repo, number),
        container=repo,
        kind=kind,
        url=optional_string(obj, "html_url", where),
        title=optional_string(obj, "title", where),
        created_at=time_field(obj, "created_at", where),
        updated_at=optional_time(obj, "updated_at", where),
        author=user(obj, "user", where),
        labels=label_names(obj, "labels", where),
        assignees=users(obj, "assignees", where),
        status=state,
        status_category=None if state is None else ("done" if state == "closed" else "new"),
        # GitHub leaves state_reason "reopened" on a reopened issue: only a closed item has a resolution.
        resolution=optional_string(obj, "state_reason", where) if state == "closed" else None,
        resolved_at=optional_time(obj, "closed_at", where),
        merged_at=merged_at,
        fixes=parse_fixes(repo, body) if kind == ItemKind.PULL_REQUEST else (),
        deleted=deleted,
        partial=unknown_merge,
    )


def opened_activity(item: WorkItem, obj: Mapping[str, Any], *, where: str) -> Activity:
    """Return the OPENED activity: the opening description, a message by the item's author."""
    assert item.created_at is not None
    return Activity(
        source=SOURCE,
        external_id=f"opened:{item.key}",
        item_key=item.key,
        kind=ActivityKind.OPENED.value,
        at=item.created_at,
        actor=item.author,
        body=body_text(obj, "body", where),
        url=item.url,
        # The description can be edited at any time; the item's updated_at versions this snapshot.
        updated_at=item.updated_at,
    )


@dataclass(frozen=True, slots=True)
class Deletion:
    """What a webhook says about a deleted comment: who deleted it, and when (the delivery's received time)."""

    by: str | None = None
    at: datetime | None = None


def comment_activity(key: str, comment: Mapping[str, Any], *, where: str, deletion: Deletion | None = None) -> Activity:
    """Return the COMMENT activity for an issue or PR conversation comment (deleted when ``deletion`` is given)."""
    return _message(ActivityKind.COMMENT, "comment", key, comment, where=where, deletion=deletion)


def review_comment_activity(
    key: str, comment: Mapping[str, Any], *, where: str, deletion: Deletion | None = None
) -> Activity:
    """Return the REVIEW_COMMENT activity for a comment on a PR's diff (deleted when ``deletion`` is given)."""
    data = {
        name: value
        for name, source_name in (("review_id", "pull_request_review_id"), ("in_reply_to", "in_reply_to_id"))
        if (value := optional_integer(comment, source_name, where)) is not None
    }
    return _message(
        ActivityKind.REVIEW_COMMENT, "review_comment", key, comment, where=where, deletion=deletion, data=data
    )


def _message(
    kind: ActivityKind,
    prefix: str,
    key: str,
    comment: Mapping[str, Any],
    *,
    where: str,
    deletion: Deletion | None,
    data: Mapping[str, Any] | None = None,
) -> Activity:
    data = dict(data or {})
    updated_at = optional_time(comment, "updated_at", where)
    if deletion is not None:
        data |= deletion_data(deletion.at, deletion.by)
        # A deletion is newer than any version of the comment, so a late or replayed older delivery loses.
        updated_at = deletion.at or updated_at
    return Activity(
        source=SOURCE,
        external_id=f"{prefix}:{integer(comment, 'id', where)}",
        item_key=key,
        kind=kind.value,
        at=time_field(comment, "created_at", where),
        actor=user(comment, "user", where),
        body=body_text(comment, "body", where),
        url=optional_string(comment, "html_url", where),
        data=data,
        updated_at=updated_at,
        deleted=deletion is not None,
    )


def review_activity(key: str, review: Mapping[str, Any], *, where: str) -> Activity | None:
    """Return the REVIEW activity, its state (approved, commented...) in ``data``; None for a review never submitted.

    A review is a message at the moment it was submitted. The schemas let ``submitted_at`` be null (a pending
    review, or one GitHub lost the time of, on ``submitted``, ``edited`` and ``dismissed`` alike): such a review has
    no moment, so it yields no message rather than one at an invented time (the delivery time, the PR's
    updated_at), which a response clock would take for an answer. Its pull request is kept all the same.
    """
    review_id = integer(review, "id", where)
    state = string(review, "state", where)
    submitted_at = optional_time(review, "submitted_at", where)
    if submitted_at is None:
        return None
    return Activity(
        source=SOURCE,
        external_id=f"review:{review_id}",
        item_key=key,
        kind=ActivityKind.REVIEW.value,
        at=submitted_at,
        actor=user(review, "user", where),
        body=body_text(review, "body", where),
        url=optional_string(review, "html_url", where),
        # Webhooks spell states in lower case ("approved"), the REST API in upper case ("APPROVED").
        data={"state": state.lower()},
    )


def fact_key(kind: str, key: str, at: datetime, detail: str | None = None) -> str:
    """Return the natural key of a label/assignment/state fact, equal for webhook and REST.

    Webhooks carry no issue-event id, so the key is built from what both paths know: the item, the
    kind, the detail (label name, assignee login) and the time to the second.
    """
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{kind}:{key}:{stamp}" + (f":{detail}" if detail is not None else "")


def fact_activity(
    kind: ActivityKind,
    item: WorkItem,
    at: datetime,
    who: Actor | None,
    *,
    detail: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Activity:
    """Return a label, assignment, close, reopen, merge or draft-state activity of ``item``."""
    return Activity(
        source=SOURCE,
        external_id=fact_key(kind.value, item.key, at, detail),
        item_key=item.key,
        kind=kind.value,
        at=at,
        actor=who,
        url=item.url,
        data=data or {},
    )
