"""Normalized records: the only contract between the connectors and the rest of Delivery Pulse.

Both intake paths (webhooks and the scheduled sync) turn raw payloads into these records with the
same pure ``normalize`` functions, so a webhook and a sync that see the same thing produce equal
records. Every datetime is timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson


class Source(StrEnum):
    GITHUB = "github"
    JIRA = "jira"


class ItemKind(StrEnum):
    ISSUE = "issue"
    PULL_REQUEST = "pull_request"
    JIRA_ISSUE = "jira_issue"


class ActivityKind(StrEnum):
    OPENED = "opened"  # the opening description of an issue or PR: a message by its author
    COMMENT = "comment"  # issue/PR conversation comment, Jira comment
    REVIEW = "review"  # PR review (with a body or a state)
    REVIEW_COMMENT = "review_comment"  # PR review comment on a diff line
    STATUS = "status"  # data: {"from", "to", "category"} (category: new | indeterminate | done)
    LABELED = "labeled"  # data: {"label"}
    UNLABELED = "unlabeled"  # data: {"label"}
    ASSIGNED = "assigned"  # data: {"assignee": identity id}
    UNASSIGNED = "unassigned"  # data: {"assignee": identity id}
    CLOSED = "closed"  # data: {"reason": GitHub state_reason ("completed" | "not_planned" | "duplicate") or None}
    REOPENED = "reopened"
    MERGED = "merged"  # a PR merged; data: {"fixes": [item keys]}
    TYPE_CHANGED = "type_changed"  # data: {"from", "to"}
    PRIORITY_CHANGED = "priority_changed"  # data: {"from", "to"}
    RESOLUTION = "resolution"  # data: {"from", "to"}; "to" None means the resolution was cleared
    READY_FOR_REVIEW = "ready_for_review"
    CONVERTED_TO_DRAFT = "converted_to_draft"


# Message data keys, absent on a public message that stands: "internal" (True for a Jira Service Management
# internal note or a comment restricted to a role or group), "visibility" (the restriction, "role:Developers"),
# "deleted_at" (ISO 8601 UTC, see ``deletion_data``) and "deleted_by" (identity id, only when the source says).
MESSAGE_KINDS = frozenset(
    {ActivityKind.OPENED, ActivityKind.COMMENT, ActivityKind.REVIEW, ActivityKind.REVIEW_COMMENT}
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone who did something, as the source names them."""

    source: str
    id: str  # GitHub login, Jira accountId (Cloud) or user key/name (Data Center)
    display_name: str | None = None
    is_bot: bool = False
    email: str | None = None


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One GitHub issue or pull request, or one Jira issue, as last seen."""

    source: str
    key: str  # "owner/repo#123" or "PROJ-45"
    container: str  # "owner/repo" or "PROJ": what a client's contract lists
    kind: str  # ItemKind
    url: str | None
    title: str | None
    created_at: datetime | None
    updated_at: datetime | None
    author: Actor | None = None
    labels: tuple[str, ...] = ()
    assignees: tuple[Actor, ...] = ()
    status: str | None = None  # GitHub "open"/"closed"; Jira status name
    status_category: str | None = None  # new | indeterminate | done
    issue_type: str | None = None
    priority: str | None = None
    resolution: str | None = None  # Jira resolution name; GitHub state_reason
    resolved_at: datetime | None = None
    merged_at: datetime | None = None
    fixes: tuple[str, ...] = ()  # for a PR: keys of the issues it closes
    deleted: bool = False
    partial: bool = False  # known only from a related event (e.g. a comment): fields may be missing


@dataclass(frozen=True, slots=True)
class Activity:
    """Something that happened to a work item at a time, by an actor. Natural key: (source, external_id)."""

    source: str
    external_id: str
    item_key: str
    kind: str  # ActivityKind
    at: datetime
    actor: Actor | None = None
    body: str | None = None
    url: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None  # last edit; an older version never overwrites a newer one
    deleted: bool = False

    @property
    def is_message(self) -> bool:
        return self.kind in MESSAGE_KINDS


@dataclass(frozen=True, slots=True)
class ItemMove:
    """A work item that moved to another project or repository at a moment, and lives on under a new key.

    A Jira issue moved to another project (its changelog's ``Key`` item) or a GitHub issue transferred to
    another repository. ``old_container`` is the project or repository it left: whose contract it was under.
    """

    source: str
    old_key: str
    new_key: str
    at: datetime
    old_container: str


@dataclass(slots=True)
class Batch:
    """What one payload (or one sync page) says: work items, activities and moves to store, and the listed records
    that could not be normalized (``rejected``: kept raw in quarantine, never stored as records)."""

    work_items: list[WorkItem] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    moves: list[ItemMove] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    # (kind, ref) of the listed records read this time: one waiting in quarantine from an earlier run is resolved.
    read: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.work_items.extend(other.work_items)
        self.activities.extend(other.activities)
        self.moves.extend(other.moves)
        self.rejected.extend(other.rejected)
        self.read.extend(other.read)

    def __bool__(self) -> bool:
        return bool(self.work_items or self.activities or self.moves or self.rejected)


@dataclass(frozen=True, slots=True)
class Rejected:
    """One record of a sync listing that could not be normalized: kept raw with its reason while the sync goes on.

    ``kind`` names what the record is (``issue``, ``comment``, ``review``, ``history``...), ``ref`` identifies it
    within (source, scope, kind): its id, or a digest of its body when it has none. ``context`` holds what reading
    it again needs beside the body (the issue key of a comment, a PR's number, the site's base URL), so that after
    a parser fix the connector's ``reread(rejected)`` turns it into records (``pulse replay``).
    """

    source: str
    scope: str
    kind: str
    ref: str
    body: Mapping[str, Any]
    context: Mapping[str, Any]
    reason: str


Check = Callable[["Batch"], "Batch"]  # the app's record checks, applied per listed record by the sync


def reason_of(exc: BaseException) -> str:
    """Return why a record could not be read, in words: a PayloadError's message, else the error's type and text."""
    if isinstance(exc, PayloadError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def record_ref(body: Any) -> str:
    """Return a listed record's identity: its ``id`` when it has a plain one, else a digest of its body."""
    ident = body.get("id") if isinstance(body, Mapping) else None
    if isinstance(ident, int | str) and not isinstance(ident, bool) and str(ident).strip():
        return str(ident)[:200]
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=repr)).hexdigest()
    return f"sha256:{digest[:32]}"


def kept(
    source: str,
    scope: str,
    kind: str,
    body: Any,
    normalize: Callable[[], Batch],
    *,
    context: Mapping[str, Any] | None = None,
    check: Check | None = None,
) -> Batch:
    """Normalize (and check) one listed record; one that cannot be read comes back as a Batch holding its Rejected.

    A sync reads many records per page, and one odd record must never stop it: whatever the normalizer or the
    checks raise for this record (a PayloadError, or a parser's own mistake on an unforeseen shape) puts the record
    in quarantine with the reason, and the page goes on. Pure functions only: nothing here touches a database.
    """
    try:
        batch = normalize()
        batch = check(batch) if check is not None else batch
        batch.read.append((kind, record_ref(body)))
        return batch
    except Exception as exc:  # noqa: BLE001 - one record's failure, whatever it is, must not stop the sync
        raw = body if isinstance(body, Mapping) else {"value": body}
        rejected = Rejected(source, scope, kind, record_ref(body), raw, dict(context or {}), reason_of(exc))
        return Batch(rejected=[rejected])


def deletion_data(deleted_at: datetime | None, deleted_by: str | None = None) -> dict[str, str]:
    """Return the ``data`` keys of a deleted message: when (ISO 8601, UTC) and by whom, as far as known."""
    data: dict[str, str] = {}
    if deleted_at is not None:
        data["deleted_at"] = deleted_at.astimezone(UTC).isoformat(timespec="microseconds")
    if deleted_by:
        data["deleted_by"] = deleted_by
    return data


class PayloadError(ValueError):
    """A payload is malformed or lacks a required field; the message says which."""


def parse_time(value: Any, *, field_name: str = "time") -> datetime:
    """Parse an ISO 8601 string or an epoch number (seconds or milliseconds, told apart by magnitude) into UTC.

    Epoch numbers come in milliseconds (Jira webhooks' ``timestamp``) and in seconds (Atlassian's own
    ``changelog/bulkfetch`` example dates histories so). Their magnitudes never meet where a real time lies: below
    1e11 a number is seconds (1e11 s is the year 5138), from 1e11 on it is milliseconds (1e11 ms is 1973-03-03,
    before any time the intake's checks let in).
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = value if abs(value) < 1e11 else value / 1000
            dt = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise PayloadError(f"{field_name} is not a valid epoch time (seconds or milliseconds): {value!r}") from exc
    elif isinstance(value, str) and value:
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        # Jira writes offsets without a colon: 2019-02-16T03:11:18.321+0000
        if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
            text = text[:-2] + ":" + text[-2:]
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise PayloadError(f"{field_name} is not a valid date and time: {value!r}") from exc
    else:
        raise PayloadError(f"{field_name} is missing or not a date and time: {value!r}")
    if dt.tzinfo is None:
        raise PayloadError(f"{field_name} has no time zone: {value!r}")
    try:
        return dt.astimezone(UTC)
    except OverflowError as exc:
        raise PayloadError(f"{field_name} is out of range: {value!r}") from exc


# A Jira comment that names its issue only by numeric id (Data Center's comment events without an issue object)
# is filed under this placeholder key until the store finds the issue's real key.
ISSUE_ID_KEY_PREFIX = "jira-issue-id:"


def issue_id_of(item_key: str) -> str | None:
    """Return the numeric Jira issue id of a placeholder item key, or None for a real key.

    The app resolves the placeholder through the ``issue_id`` every OPENED activity carries in ``data``;
    the same comment also arrives under its real key (Data Center's twin ``jira:issue_updated``
    delivery, and every sync), so a stored real key must never be replaced by a placeholder.
    """
    if item_key.startswith(ISSUE_ID_KEY_PREFIX):
        return item_key[len(ISSUE_ID_KEY_PREFIX) :]
    return None
