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

from connectors.records import (
    Activity,
    ActivityKind,
    Actor,
    ItemKind,
    PayloadError,
    Source,
    WorkItem,
    deletion_data,
    parse_time,
)

SOURCE = Source.GITHUB.value

# GitHub's closing keywords: https://docs.github.com/en/issues/tracking-your-work-with-issues/using-issues/linking-a-pull-request-to-an-issue
_FIXES_RE = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+"
    r"(?:(?P<repo>[A-Za-z0-9](?:[\w.-]*)/[\w.-]+))?#(?P<number>\d+)\b",
    re.IGNORECASE,
)


def field(obj: Mapping[str, Any], name: str, where: str) -> Any:
    """Return ``obj[name]``, raising PayloadError naming ``where.name`` when it is missing or null."""
    value = obj.get(name) if isinstance(obj, Mapping) else None
    if value is None:
        raise PayloadError(f"The GitHub payload has no {where}.{name}; expected it for this event.")
    return value


def mapping(obj: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    """Return ``obj[name]`` as a mapping, raising PayloadError when it is missing or not an object."""
    value = field(obj, name, where)
    if not isinstance(value, Mapping):
        raise PayloadError(f"The GitHub payload's {where}.{name} is not an object.")
    return value


def time_field(obj: Mapping[str, Any], name: str, where: str) -> datetime:
    """Return ``obj[name]`` as an aware UTC datetime, raising PayloadError when absent or invalid."""
    return parse_time(field(obj, name, where), field_name=f"{where}.{name}")


def optional_time(obj: Mapping[str, Any], name: str, where: str) -> datetime | None:
    """Return ``obj[name]`` as a UTC datetime, or None when the payload leaves it null."""
    value = obj.get(name)
    return None if value is None else parse_time(value, field_name=f"{where}.{name}")


def text(value: Any) -> str | None:
    """Return a body as text, treating "" like null (webhooks send null where REST sends "")."""
    return value if isinstance(value, str) and value else None


def actor(user: Any) -> Actor | None:
    """Return the Actor for a GitHub user object, or None for a missing (deleted) user."""
    if not isinstance(user, Mapping) or not user.get("login"):
        return None
    return Actor(
        source=SOURCE,
        id=str(user["login"]),
        display_name=user.get("name") or None,
        is_bot=user.get("type") == "Bot",
    )


def item_key(repo: str, number: Any) -> str:
    """Return the work item key ``owner/repo#N``."""
    if isinstance(number, bool) or not isinstance(number, int | str) or not str(number).isdigit():
        raise PayloadError(f"The GitHub payload's item number must be a whole number, not {number!r}.")
    return f"{repo}#{int(number)}"


def parse_fixes(repo: str, body: str | None) -> tuple[str, ...]:
    """Return the keys of the issues a PR body closes with GitHub's closing keywords, in order."""
    keys: dict[str, None] = {}
    for match in _FIXES_RE.finditer(body or ""):
        target = match["repo"] or repo
        # Repository names are case-insensitive; keep our own spelling so the keys join.
        if target.lower() == repo.lower():
            target = repo
        keys[item_key(target, match["number"])] = None
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


def _labels(labels: Any) -> tuple[str, ...]:
    if labels is None:
        return ()
    if not isinstance(labels, list):
        raise PayloadError(f"The GitHub payload's labels must be a list, not {type(labels).__name__}.")
    names = []
    for label in labels:
        # The OpenAPI schema allows a label to be a bare name as well as an object.
        name = label if isinstance(label, str) else label.get("name") if isinstance(label, Mapping) else None
        if name is None and not isinstance(label, Mapping):
            raise PayloadError(f"The GitHub payload's labels must be names or objects, not {label!r}.")
        if name:
            names.append(str(name))
    return tuple(sorted(names))


def work_item(
    repo: str, obj: Mapping[str, Any], *, where: str, is_pull_request: bool = False, deleted: bool = False
) -> WorkItem:
    """Return the WorkItem for an issue or pull request object (webhook or REST shape)."""
    number = field(obj, "number", where)
    kind = item_kind(obj, is_pull_request=is_pull_request)
    state = obj.get("state")
    merged_at, unknown_merge = _merged_at(obj, where)
    body = text(obj.get("body"))
    return WorkItem(
        source=SOURCE,
        key=item_key(repo, number),
        container=repo,
        kind=kind,
        url=obj.get("html_url"),
        title=obj.get("title"),
        created_at=time_field(obj, "created_at", where),
        updated_at=optional_time(obj, "updated_at", where),
        author=actor(obj.get("user")),
        labels=_labels(obj.get("labels")),
        assignees=tuple(sorted(filter(None, map(actor, obj.get("assignees") or ())), key=lambda a: a.id)),
        status=state,
        status_category=None if state is None else ("done" if state == "closed" else "new"),
        # GitHub leaves state_reason "reopened" on a reopened issue: only a closed item has a resolution.
        resolution=obj.get("state_reason") if state == "closed" else None,
        resolved_at=optional_time(obj, "closed_at", where),
        merged_at=merged_at,
        fixes=parse_fixes(repo, body) if kind == ItemKind.PULL_REQUEST else (),
        deleted=deleted,
        partial=unknown_merge,
    )


def opened_activity(item: WorkItem, obj: Mapping[str, Any]) -> Activity:
    """Return the OPENED activity: the opening description, a message by the item's author."""
    assert item.created_at is not None
    return Activity(
        source=SOURCE,
        external_id=f"opened:{item.key}",
        item_key=item.key,
        kind=ActivityKind.OPENED.value,
        at=item.created_at,
        actor=item.author,
        body=text(obj.get("body")),
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
        name: comment[source_name]
        for name, source_name in (("review_id", "pull_request_review_id"), ("in_reply_to", "in_reply_to_id"))
        if comment.get(source_name) is not None
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
        external_id=f"{prefix}:{field(comment, 'id', where)}",
        item_key=key,
        kind=kind.value,
        at=time_field(comment, "created_at", where),
        actor=actor(comment.get("user")),
        body=text(comment.get("body")),
        url=comment.get("html_url"),
        data=data,
        updated_at=updated_at,
        deleted=deletion is not None,
    )


def review_activity(key: str, review: Mapping[str, Any], *, where: str) -> Activity:
    """Return the REVIEW activity; its state (approved, commented...) goes in ``data``."""
    return Activity(
        source=SOURCE,
        external_id=f"review:{field(review, 'id', where)}",
        item_key=key,
        kind=ActivityKind.REVIEW.value,
        at=time_field(review, "submitted_at", where),
        actor=actor(review.get("user")),
        body=text(review.get("body")),
        url=review.get("html_url"),
        # Webhooks spell states in lower case ("approved"), the REST API in upper case ("APPROVED").
        data={"state": str(field(review, "state", where)).lower()},
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
