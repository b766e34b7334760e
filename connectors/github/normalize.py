"""Turn GitHub webhook payloads and REST listings into normalized records (pure, no I/O).

Webhook and REST objects share shapes (see ``shapes``), and every natural key is built from data
both paths carry, so the store keeps one row per fact whichever path delivers it first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.github.fields import (
    SOURCE,
    integer,
    mapping,
    optional_mapping,
    optional_string,
    path,
    string,
    time_field,
    user,
)
from connectors.github.shapes import (
    Deletion,
    comment_activity,
    fact_activity,
    item_key,
    opened_activity,
    parse_fixes,
    review_activity,
    review_comment_activity,
    work_item,
)
from connectors.github.webhook import SUPPORTED_EVENTS, is_supported
from connectors.records import Activity, ActivityKind, Actor, Batch, ItemMove, PayloadError, WorkItem

__all__ = [
    "normalize_event",
    "normalize_rest_comment",
    "normalize_rest_issue",
    "normalize_rest_issue_event",
    "normalize_rest_review",
    "normalize_rest_review_comment",
    "parse_fixes",
]

_ISSUE_URL_RE = re.compile(r"/issues/(\d+)$")
_PULL_URL_RE = re.compile(r"/pulls/(\d+)$")

# Webhook action or REST issue-event name -> (activity kind, what the detail names).
_FACTS: Mapping[str, tuple[ActivityKind, str | None]] = {
    "labeled": (ActivityKind.LABELED, "label"),
    "unlabeled": (ActivityKind.UNLABELED, "label"),
    "assigned": (ActivityKind.ASSIGNED, "assignee"),
    "unassigned": (ActivityKind.UNASSIGNED, "assignee"),
    "reopened": (ActivityKind.REOPENED, None),
    "ready_for_review": (ActivityKind.READY_FOR_REVIEW, None),
    "converted_to_draft": (ActivityKind.CONVERTED_TO_DRAFT, None),
    "convert_to_draft": (ActivityKind.CONVERTED_TO_DRAFT, None),  # the REST issue-event spelling
}


def normalize_event(event: str, payload: Mapping[str, Any], *, received_at: datetime | None = None) -> Batch:
    """Return the records a webhook delivery describes; empty for ping and unsupported events.

    ``received_at`` is the delivery's received time as stored with its raw body, so a replay gives the same
    records: a deleted comment carries no deletion time of its own and is stamped with it (nothing else is).
    """
    if received_at is not None and received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware (UTC).")
    if event not in SUPPORTED_EVENTS:
        return Batch()
    if not isinstance(payload, Mapping):
        raise PayloadError(f"The GitHub {event} payload is not a JSON object.")
    action = payload.get("action")
    if not is_supported(event, action):
        return Batch()
    repo = string(mapping(payload, "repository", "payload"), "full_name", "repository")
    return _HANDLERS[event](repo, str(action), payload, received_at)


def _item_batch(repo: str, obj: Mapping[str, Any], *, where: str, is_pull_request: bool = False) -> Batch:
    item = work_item(repo, obj, where=where, is_pull_request=is_pull_request)
    return Batch(work_items=[item], activities=[opened_activity(item, obj, where=where)])


def _on_issues(repo: str, action: str, payload: Mapping[str, Any], received_at: datetime | None) -> Batch:
    issue = mapping(payload, "issue", "payload")
    if action == "deleted":
        return Batch(work_items=[work_item(repo, issue, where="issue", deleted=True)])
    if action == "transferred":
        return _transferred(repo, issue, payload)
    batch = _item_batch(repo, issue, where="issue")
    batch.activities.extend(_webhook_facts(action, batch.work_items[0], issue, payload, where="issue"))
    return batch


def _transferred(repo: str, issue: Mapping[str, Any], payload: Mapping[str, Any]) -> Batch:
    # The old number stops existing (GitHub redirects it); the issue lives on under a new key, with its
    # comments and timeline. Only this webhook names both keys: the REST listings show the issue only under
    # the new one, and their transferred event does not say where from.
    changes = mapping(payload, "changes", "payload")
    new_repo = string(mapping(changes, "new_repository", "changes"), "full_name", "changes.new_repository")
    batch = _item_batch(new_repo, mapping(changes, "new_issue", "changes"), where="changes.new_issue")
    old_key = item_key(repo, integer(issue, "number", "issue"))
    # The transfer touches the old issue last: its updated_at is the moment it left.
    at = time_field(issue, "updated_at", "issue")
    batch.moves.append(ItemMove(SOURCE, old_key, batch.work_items[0].key, at, repo))
    return batch


def _on_pull_request(repo: str, action: str, payload: Mapping[str, Any], received_at: datetime | None) -> Batch:
    pull = mapping(payload, "pull_request", "payload")
    batch = _item_batch(repo, pull, where="pull_request", is_pull_request=True)
    batch.activities.extend(_webhook_facts(action, batch.work_items[0], pull, payload, where="pull_request"))
    return batch


def _webhook_facts(
    action: str, item: WorkItem, obj: Mapping[str, Any], payload: Mapping[str, Any], *, where: str
) -> list[Activity]:
    """Return the label, assignment or state fact a webhook action states (closed: also merged).

    The schemas make ``label`` and ``assignee`` optional (and ``assignee`` nullable: "the optional user who was
    assigned or unassigned"). Without them the fact is kept with what is known, its time and its sender, and no
    label or assignee: a bug clock neither starts nor ends on an unnamed label, and an assignment that names
    nobody credits nobody (never the sender, who only did it).
    """
    who = user(payload, "sender", "payload")
    if action == "closed":
        reason = optional_string(obj, "state_reason", where)
        return _closed_facts(item, time_field(obj, "closed_at", where), who, reason)
    if action not in _FACTS:
        return []
    kind, detail_name = _FACTS[action]
    # A webhook says when a label/assignment/reopen happened only through the item's updated_at.
    at = time_field(obj, "updated_at", where)
    detail = _detail(payload, detail_name, "payload") if detail_name else None
    return [_fact(kind, item, at, who, detail_name, detail)]


def _closed_facts(item: WorkItem, closed_at: datetime, who: Actor | None, reason: Any) -> list[Activity]:
    facts = [fact_activity(ActivityKind.CLOSED, item, closed_at, who, data={"reason": reason})]
    if item.merged_at is not None:
        facts.append(_merged(item, item.merged_at, who))
    return facts


def _merged(item: WorkItem, at: datetime, who: Actor | None) -> Activity:
    return fact_activity(ActivityKind.MERGED, item, at, who, data={"fixes": list(item.fixes)})


def _detail(source: Mapping[str, Any], name: str, where: str) -> str | None:
    """Return the label name or assignee login a fact names; None when the payload does not say (absent, null, "")."""
    if name == "assignee":
        assignee = user(source, name, where)
        return assignee.id if assignee is not None else None
    label = optional_mapping(source, name, where)
    # The REST issue event's label may have a null name (issue-event-label in the OpenAPI description).
    return (optional_string(label, "name", path(where, name)) or None) if label is not None else None


def _fact(
    kind: ActivityKind, item: WorkItem, at: datetime, who: Actor | None, name: str | None, detail: str | None
) -> Activity:
    data = {name: detail} if name and detail is not None else {}
    return fact_activity(kind, item, at, who, detail=detail, data=data)


def _deletion(action: str, payload: Mapping[str, Any], received_at: datetime | None) -> Deletion | None:
    """Return who deleted a comment (the sender) and when (the delivery's received time), for ``deleted`` only."""
    if action != "deleted":
        return None
    sender = user(payload, "sender", "payload")
    return Deletion(by=sender.id if sender else None, at=received_at)


def _on_issue_comment(repo: str, action: str, payload: Mapping[str, Any], received_at: datetime | None) -> Batch:
    # Also fires for PR conversations: the embedded issue then has a "pull_request" member.
    batch = _item_batch(repo, mapping(payload, "issue", "payload"), where="issue")
    comment = mapping(payload, "comment", "payload")
    key = batch.work_items[0].key
    deletion = _deletion(action, payload, received_at)
    batch.activities.append(comment_activity(key, comment, where="comment", deletion=deletion))
    return batch


def _on_review(repo: str, action: str, payload: Mapping[str, Any], received_at: datetime | None) -> Batch:
    batch = _item_batch(repo, mapping(payload, "pull_request", "payload"), where="pull_request", is_pull_request=True)
    # A review without submitted_at has no moment: the pull request is kept, no message (see review_activity).
    review = review_activity(batch.work_items[0].key, mapping(payload, "review", "payload"), where="review")
    batch.activities.extend([review] if review is not None else [])
    return batch


def _on_review_comment(repo: str, action: str, payload: Mapping[str, Any], received_at: datetime | None) -> Batch:
    batch = _item_batch(repo, mapping(payload, "pull_request", "payload"), where="pull_request", is_pull_request=True)
    comment = mapping(payload, "comment", "payload")
    key = batch.work_items[0].key
    deletion = _deletion(action, payload, received_at)
    batch.activities.append(review_comment_activity(key, comment, where="comment", deletion=deletion))
    return batch


# Each handler gets the repository, the action, the payload and the delivery's received time.
_HANDLERS: Mapping[str, Callable[[str, str, Mapping[str, Any], datetime | None], Batch]] = {
    "issues": _on_issues,
    "issue_comment": _on_issue_comment,
    "pull_request": _on_pull_request,
    "pull_request_review": _on_review,
    "pull_request_review_comment": _on_review_comment,
}


def normalize_rest_issue(repo: str, issue_json: Mapping[str, Any]) -> Batch:
    """Return the work item and its OPENED activity for an issue or PR from the ``/issues`` listing."""
    return _item_batch(repo, issue_json, where="issue")


def normalize_rest_comment(repo: str, comment_json: Mapping[str, Any]) -> Batch:
    """Return the COMMENT activity for an issue comment from the repo-wide comments listing."""
    number = _number_from_url(comment_json, "issue_url", _ISSUE_URL_RE, "comment")
    return Batch(activities=[comment_activity(item_key(repo, number), comment_json, where="comment")])


def normalize_rest_review(repo: str, pr_number: int, review_json: Mapping[str, Any]) -> Batch:
    """Return the REVIEW activity for a submitted review; a pending (unsubmitted) one yields nothing."""
    if review_json.get("state") == "PENDING":
        return Batch()
    review = review_activity(item_key(repo, pr_number), review_json, where="review")
    return Batch(activities=[review] if review is not None else [])


def normalize_rest_review_comment(repo: str, comment_json: Mapping[str, Any]) -> Batch:
    """Return the REVIEW_COMMENT activity for a comment from the repo-wide review comments listing."""
    number = _number_from_url(comment_json, "pull_request_url", _PULL_URL_RE, "review comment")
    activity = review_comment_activity(item_key(repo, number), comment_json, where="review_comment")
    return Batch(activities=[activity])


def normalize_rest_issue_event(repo: str, event_json: Mapping[str, Any]) -> Batch:
    """Return the activity for a repo-wide issue event we measure; other events yield nothing.

    The OpenAPI description lets an event's ``issue`` be null (``nullable-issue``), and nothing else in the event
    names its issue (its ``url`` is the event's own): with nothing to file it under, such an event yields nothing,
    and the item's own listing and webhooks still say where it stands. An ``assignee`` that is null and a ``label``
    without a name are kept unknown, as in ``_webhook_facts``.
    """
    name = string(event_json, "event", "issue_event")
    if name not in _FACTS and name not in ("closed", "merged"):
        return Batch()
    issue = optional_mapping(event_json, "issue", "issue_event")
    if issue is None:
        return Batch()
    item = work_item(repo, issue, where="issue_event.issue")
    at = time_field(event_json, "created_at", "issue_event")
    who = user(event_json, "actor", "issue_event")
    if name == "closed":
        activity = fact_activity(
            ActivityKind.CLOSED, item, at, who, data={"reason": _close_reason(event_json, issue, at)}
        )
    elif name == "merged":
        activity = _merged(item, at, who)
    else:
        kind, detail_name = _FACTS[name]
        detail = _detail(event_json, detail_name, "issue_event") if detail_name else None
        activity = _fact(kind, item, at, who, detail_name, detail)
    return Batch(activities=[activity])


def _close_reason(event_json: Mapping[str, Any], issue: Mapping[str, Any], at: datetime) -> Any:
    if (reason := optional_string(event_json, "state_reason", "issue_event")) is not None:
        return reason
    # Older API versions omit it on the event (or send null); the issue's own reason belongs to its latest
    # close only, and is what the webhook's issues.closed carried.
    closed_at = issue.get("closed_at")
    latest = closed_at is not None and time_field(issue, "closed_at", "issue_event.issue").replace(
        microsecond=0
    ) == at.replace(microsecond=0)
    state = optional_string(issue, "state", "issue_event.issue")
    return optional_string(issue, "state_reason", "issue_event.issue") if latest and state == "closed" else None


def _number_from_url(obj: Mapping[str, Any], name: str, pattern: re.Pattern[str], what: str) -> int:
    url = string(obj, name, what.replace(" ", "_"))
    match = pattern.search(url)
    if match is None:
        raise PayloadError(f"The GitHub {what}'s {name} does not end with the item number: {url!r}.")
    return int(match[1])
