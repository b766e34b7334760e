"""Turn Jira webhook payloads and REST resources into normalized records. Pure: no I/O, no clock.

Natural keys are identical across both paths, so a webhook and a sync that see the same fact leave
one row: ``opened:<KEY>``, ``comment:<comment id>``, ``changelog:<history id>:<field>``.
Times always come from the payload (``timestamp`` for changelog facts, ``comment.created/updated``,
issue fields), never from when we received it.

Item key convention: a Data Center ``comment_created`` carries no ``issue``; when ``comment.self``
names the issue only by numeric id, the activity's ``item_key`` is ``jira-issue-id:<id>``
(see ``connectors.records.issue_id_of``). Every OPENED activity carries ``data={"issue_id": ...}`` to resolve it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.jira.changelog import HistoryContext, history_activities, history_moves, project_of
from connectors.jira.shapes import (
    SOURCE,
    actor_from,
    as_mapping,
    base_url_from_self,
    browse_url,
    comment_restriction,
    comment_url,
    issue_key,
    issue_ref_from_self,
    item_key_for_ref,
    name_of,
    optional_time,
    plain_issue_id,
    required_str,
    text_of,
    user_ids,
)
from connectors.jira.webhook import event_name
from connectors.records import (
    Activity,
    ActivityKind,
    Batch,
    ItemKind,
    PayloadError,
    WorkItem,
    deletion_data,
    parse_time,
)

_USER_FIELDS = ("assignee", "reporter", "creator")


# --- REST shapes (also the building blocks of the webhook path) ---------------------------------


def normalize_rest_issue(issue_json: Mapping[str, Any], *, base_url: str | None = None) -> Batch:
    """Return the work item and its OPENED activity for one issue from search results."""
    issue = as_mapping(issue_json, "issue")
    base = base_url or base_url_from_self(issue.get("self"))
    item = work_item(issue, base)
    return Batch(work_items=[item], activities=[opened_activity(issue, item)])


def normalize_rest_comment(issue_key: str, comment_json: Mapping[str, Any], *, base_url: str | None = None) -> Activity:
    """Return the COMMENT activity for one comment of ``issue_key``."""
    comment = as_mapping(comment_json, "comment")
    return comment_activity(issue_key, comment, base_url or base_url_from_self(comment.get("self")))


def normalize_rest_changelog(
    issue_key: str,
    history_json: Mapping[str, Any],
    *,
    status_categories: Mapping[str, str] | None = None,
) -> list[Activity]:
    """Return the activities of one changelog history (``status_categories``: status id -> category)."""
    return normalize_rest_history(issue_key, history_json, status_categories=status_categories).activities


def normalize_rest_history(
    issue_key: str,
    history_json: Mapping[str, Any],
    *,
    status_categories: Mapping[str, str] | None = None,
) -> Batch:
    """Return what one changelog history records: its activities, and the move its Key item names."""
    history = as_mapping(history_json, "changelog history")
    ctx = HistoryContext(
        issue_key=issue_key,
        history_id=required_str(history, "id", "history"),
        at=parse_time(history.get("created"), field_name="history.created"),
        actor=actor_from(history.get("author")),
        status_categories=status_categories or {},
        user_aliases={},
    )
    items = history_items(history, "history")
    return Batch(activities=history_activities(ctx, items), moves=history_moves(ctx, items))


def history_items(history: Mapping[str, Any], where: str) -> list[Any]:
    """Return a history's (or a webhook changelog's) ``items``: a list, possibly empty."""
    items = history.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise PayloadError(f"The Jira {where}.items field must be a list, not {type(items).__name__}.")
    return items


def work_item(
    issue: Mapping[str, Any], base_url: str | None, *, partial: bool = False, deleted: bool = False
) -> WorkItem:
    """Return the WorkItem for an issue object (``partial`` for the minimal issue of a comment event)."""
    key = issue_key(issue)
    fields = issue.get("fields")
    if not isinstance(fields, Mapping):
        if not partial:
            raise PayloadError(f"The Jira issue {key} has no fields object (issue.fields).")
        fields = {}
    status = fields.get("status") if isinstance(fields.get("status"), Mapping) else {}
    category = status.get("statusCategory") if isinstance(status.get("statusCategory"), Mapping) else {}
    project = fields.get("project") if isinstance(fields.get("project"), Mapping) else {}
    assignee = actor_from(fields.get("assignee"))
    labels = fields.get("labels") if isinstance(fields.get("labels"), list) else []
    created = fields.get("created")
    if created is None and not partial and not deleted:
        raise PayloadError(f"The Jira issue {key} has no fields.created field.")
    return WorkItem(
        source=SOURCE,
        key=key,
        container=str(project.get("key") or project_of(key)),
        kind=ItemKind.JIRA_ISSUE.value,
        url=browse_url(base_url, key),
        title=fields.get("summary") if isinstance(fields.get("summary"), str) else None,
        created_at=optional_time(created, f"{key} fields.created"),
        updated_at=optional_time(fields.get("updated"), f"{key} fields.updated"),
        author=actor_from(fields.get("reporter")) or actor_from(fields.get("creator")),
        labels=tuple(str(label) for label in labels),
        assignees=(assignee,) if assignee else (),
        status=name_of(status),
        status_category=category.get("key") if isinstance(category.get("key"), str) else None,
        issue_type=name_of(fields.get("issuetype")),
        priority=name_of(fields.get("priority")),
        resolution=name_of(fields.get("resolution")),
        resolved_at=optional_time(fields.get("resolutiondate"), f"{key} fields.resolutiondate"),
        deleted=deleted,
        partial=partial,
    )


def opened_activity(issue: Mapping[str, Any], item: WorkItem) -> Activity:
    """Return the OPENED activity: the description as the reporter's first message, at creation."""
    fields = issue.get("fields") if isinstance(issue.get("fields"), Mapping) else {}
    if item.created_at is None:
        raise PayloadError(f"The Jira issue {item.key} has no fields.created field.")
    issue_id = plain_issue_id(issue.get("id"))
    if issue_id is None and issue.get("id") is not None:
        raise PayloadError(f"The Jira issue {item.key} has an issue.id that is not a number: {issue.get('id')!r:.40}.")
    return Activity(
        source=SOURCE,
        external_id=f"opened:{item.key}",
        item_key=item.key,
        kind=ActivityKind.OPENED.value,
        at=item.created_at,
        actor=item.author,
        body=text_of(fields.get("description")),
        url=item.url,
        data={"issue_id": issue_id} if issue_id is not None else {},
        # The description is edited in place; the newest issue version carries the newest text.
        updated_at=item.updated_at,
    )


def comment_activity(
    item_key: str,
    comment: Mapping[str, Any],
    base_url: str | None,
    *,
    deleted_at: datetime | None = None,
    deleted_by: str | None = None,
) -> Activity:
    """Return the COMMENT activity for a comment object; ``deleted_at`` marks it deleted then (by ``deleted_by``).

    ``data`` stays empty for a public comment; see ``comment_restriction`` and ``deletion_data``.
    """
    comment_id = required_str(comment, "id", "comment")
    updated = optional_time(comment.get("updated"), "comment.updated")
    data = comment_restriction(comment)
    if deleted_at is not None:
        data |= deletion_data(deleted_at, deleted_by)
    return Activity(
        source=SOURCE,
        external_id=f"comment:{comment_id}",
        item_key=item_key,
        kind=ActivityKind.COMMENT.value,
        at=parse_time(comment.get("created"), field_name="comment.created"),
        actor=actor_from(comment.get("author")),
        body=text_of(comment.get("body")),
        url=comment_url(base_url, item_key, comment_id),
        data=data,
        # A deletion is newer than any version of the comment, so a replayed older delivery loses.
        updated_at=deleted_at or updated,
        deleted=deleted_at is not None,
    )


# --- Webhooks -----------------------------------------------------------------------------------


def normalize_webhook(payload: Mapping[str, Any], *, base_url: str | None = None) -> Batch:
    """Return what a Jira webhook delivery says; an empty Batch for events we do not track."""
    handler = _HANDLERS.get(event_name(payload))
    if handler is None:
        return Batch()
    if payload.get("timestamp") is not None:
        _event_time(payload)  # when the event happened: read by some events only, refused by every one when wrong
    return handler(payload, base_url)


def _event_time(payload: Mapping[str, Any]) -> datetime:
    value = payload.get("timestamp")
    if value is None:
        raise PayloadError("The Jira webhook payload has no timestamp field.")
    try:
        return parse_time(value, field_name="timestamp")
    except PayloadError as exc:
        raise PayloadError(f"The Jira webhook's timestamp must be epoch milliseconds, not {value!r:.40}.") from exc


def _issue_created(payload: Mapping[str, Any], base_url: str | None) -> Batch:
    # Cloud's changelog on jira:issue_created lists the initial values (status "To Do", priority...),
    # which are the item's starting state, not changes after creation: read the issue only.
    issue = as_mapping(payload.get("issue"), "issue")
    batch = normalize_rest_issue(issue, base_url=base_url)
    batch.activities.extend(_embedded_comments(issue, batch.work_items[0], base_url))
    return batch


def _issue_updated(payload: Mapping[str, Any], base_url: str | None) -> Batch:
    issue = as_mapping(payload.get("issue"), "issue")
    base = base_url or base_url_from_self(issue.get("self"))
    batch = normalize_rest_issue(issue, base_url=base)
    item = batch.work_items[0]
    changelog = payload.get("changelog")
    if isinstance(changelog, Mapping) and changelog.get("items"):
        # A move to another project (Data Center also names it issue_moved) arrives under the new key, its
        # changelog's Key item naming the old one.
        batch.extend(_webhook_changelog(payload, issue, item.key, changelog))
    seen: set[str] = set()
    comment = payload.get("comment")
    if isinstance(comment, Mapping):
        # Data Center: jira:issue_updated + issue_commented/_edited/_deleted carries the comment too.
        deleted = payload.get("issue_event_type_name") == "issue_comment_deleted"
        act = _webhook_comment(payload, item.key, comment, base, deleted=deleted)
        batch.activities.append(act)
        seen.add(act.external_id)
    batch.activities.extend(a for a in _embedded_comments(issue, item, base) if a.external_id not in seen)
    return batch


def _webhook_comment(
    payload: Mapping[str, Any], item_key: str, comment: Mapping[str, Any], base_url: str | None, *, deleted: bool
) -> Activity:
    if not deleted:
        return comment_activity(item_key, comment, base_url)
    # The top-level user is whoever caused the event: on a deletion, the deleter (comment.author and
    # comment.updateAuthor only wrote it). Cloud's comment_deleted carries no user at all, so the deleter
    # is known only from Data Center's jira:issue_updated + issue_comment_deleted.
    deleter = actor_from(payload.get("user"))
    return comment_activity(
        item_key, comment, base_url, deleted_at=_event_time(payload), deleted_by=deleter.id if deleter else None
    )


def _webhook_changelog(
    payload: Mapping[str, Any], issue: Mapping[str, Any], key: str, changelog: Mapping[str, Any]
) -> Batch:
    fields = issue.get("fields") if isinstance(issue.get("fields"), Mapping) else {}
    status = fields.get("status") if isinstance(fields.get("status"), Mapping) else {}
    category = status.get("statusCategory") if isinstance(status.get("statusCategory"), Mapping) else {}
    categories = {str(status["id"]): category["key"]} if status.get("id") and category.get("key") else {}
    aliases: dict[str, str] = {}
    for user in [payload.get("user")] + [fields.get(name) for name in _USER_FIELDS]:
        actor = actor_from(user)
        if actor is not None:
            aliases.update(dict.fromkeys(user_ids(user), actor.id))
    ctx = HistoryContext(
        issue_key=key,
        history_id=required_str(changelog, "id", "changelog"),
        at=_event_time(payload),
        actor=actor_from(payload.get("user")),
        status_categories=categories,
        user_aliases=aliases,
    )
    items = history_items(changelog, "changelog")
    return Batch(activities=history_activities(ctx, items), moves=history_moves(ctx, items))


def _embedded_comments(issue: Mapping[str, Any], item: WorkItem, base_url: str | None) -> list[Activity]:
    fields = issue.get("fields") if isinstance(issue.get("fields"), Mapping) else {}
    base = base_url or base_url_from_self(issue.get("self"))
    return [comment_activity(item.key, c, base) for c in embedded_comment_list(fields.get("comment"))]


def embedded_comment_list(value: Any) -> list[Mapping[str, Any]]:
    """Return the comments a ``fields.comment`` value embeds (a page object, or a bare list)."""
    comments = value.get("comments") if isinstance(value, Mapping) else value
    return [c for c in comments or () if isinstance(c, Mapping)] if isinstance(comments, list) else []


def _issue_deleted(payload: Mapping[str, Any], base_url: str | None) -> Batch:
    issue = as_mapping(payload.get("issue"), "issue")
    base = base_url or base_url_from_self(issue.get("self"))
    return Batch(work_items=[work_item(issue, base, deleted=True)])


def _comment_event(deleted: bool) -> Callable[[Mapping[str, Any], str | None], Batch]:
    def handle(payload: Mapping[str, Any], base_url: str | None) -> Batch:
        comment = as_mapping(payload.get("comment"), "comment")
        issue = payload.get("issue")
        base = base_url or base_url_from_self(comment.get("self"))
        batch = Batch()
        if isinstance(issue, Mapping) and issue.get("key"):
            # Cloud sends a minimal issue (summary, status, type, priority): a partial item.
            base = base or base_url_from_self(issue.get("self"))
            batch.work_items.append(work_item(issue, base, partial=True))
            item_key = batch.work_items[0].key
        else:
            ref = issue_ref_from_self(comment.get("self"))
            if ref is None:
                raise PayloadError("The Jira comment payload has neither issue.key nor a comment.self URL.")
            item_key = item_key_for_ref(ref)
        batch.activities.append(_webhook_comment(payload, item_key, comment, base, deleted=deleted))
        return batch

    return handle


_HANDLERS: dict[str, Callable[[Mapping[str, Any], str | None], Batch]] = {
    "jira:issue_created": _issue_created,
    "jira:issue_updated": _issue_updated,
    "jira:issue_deleted": _issue_deleted,
    "comment_created": _comment_event(deleted=False),
    "comment_updated": _comment_event(deleted=False),
    "comment_deleted": _comment_event(deleted=True),
}
