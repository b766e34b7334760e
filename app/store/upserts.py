"""Idempotent upserts of normalized records: any order, any number of times, one row per natural key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, case, delete, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.core.db import pairs_in
from app.core.locks import lock_work_items
from app.core.tables import ActivityRow, ItemLink, MessageScore, SyncCursor, UTCDateTime, WorkItemRow, utcnow
from app.store.moves import current_keys, follow_moves, forget_message_scores, save_moves
from connectors.moves import refiled
from connectors.records import ISSUE_ID_KEY_PREFIX as PLACEHOLDER_PREFIX
from connectors.records import Activity, Batch, WorkItem, issue_id_of

_EPOCH = literal(datetime(1970, 1, 1, tzinfo=UTC), UTCDateTime())
_FIRST = datetime.min.replace(tzinfo=UTC)
_CHUNK = 500


_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session, table: Any) -> Any:
    """Return an INSERT that knows ON CONFLICT for the session's database."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table: Any) -> Any:
    """Return an INSERT that knows ON CONFLICT for a database by its dialect name."""
    return _DIALECT_INSERT[dialect](table)


def web_link(url: str | None) -> str | None:
    """Keep a link from a payload only when it is an http(s) address: pages and exports show it as a link."""
    if url is None:
        return None
    scheme, _, rest = url.strip().partition("://")
    return url if scheme.lower() in ("http", "https") and rest else None


def _item_row(item: WorkItem) -> dict[str, Any]:
    return {
        "source": item.source,
        "key": item.key,
        "container": item.container,
        "kind": item.kind,
        "url": web_link(item.url),
        "title": item.title,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "author_id": item.author.id if item.author else None,
        "author_name": item.author.display_name if item.author else None,
        "author_is_bot": bool(item.author and item.author.is_bot),
        "labels": sorted(item.labels),
        "assignees": [a.id for a in item.assignees],
        "status": item.status,
        "status_category": item.status_category,
        "issue_type": item.issue_type,
        "priority": item.priority,
        "resolution": item.resolution,
        "resolved_at": item.resolved_at,
        "merged_at": item.merged_at,
        "fixes": sorted(item.fixes),
        "deleted": item.deleted,
        "partial": item.partial,
    }


def _activity_row(act: Activity) -> dict[str, Any]:
    return {
        "source": act.source,
        "external_id": act.external_id,
        "item_key": act.item_key,
        "kind": act.kind,
        "at": act.at,
        "actor_id": act.actor.id if act.actor else None,
        "actor_name": act.actor.display_name if act.actor else None,
        "actor_email": act.actor.email if act.actor else None,
        "actor_is_bot": bool(act.actor and act.actor.is_bot),
        "body": act.body,
        "url": web_link(act.url),
        "data": dict(act.data),
        "updated_at": act.updated_at or act.at,
        "deleted": act.deleted,
    }


def _newest(rows: Iterable[dict[str, Any]], key: tuple[str, str], stamp: str) -> list[dict[str, Any]]:
    """Fold rows sharing a natural key into one (the newest wins; deletion is sticky), keeping order."""
    out: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in rows:
        k = (row[key[0]], row[key[1]])
        old = out.get(k)
        if old is None:
            out[k] = row
            continue
        newer = _is_newer(row, old, stamp)
        if row["deleted"] and old["deleted"] and "external_id" in row:  # two copies of one deletion: the first
            newer = (row.get(stamp) or _FIRST) < (old.get(stamp) or _FIRST)
        merged = dict(row if newer else old)
        merged["deleted"] = row["deleted"] or old["deleted"]
        if "partial" in row:
            merged["partial"] = row["partial"] and old["partial"]
        out[k] = merged
    return list(out.values())


def _is_newer(new: dict[str, Any], old: dict[str, Any], stamp: str) -> bool:
    if old.get("partial") and not new.get("partial"):
        return True
    if new.get("partial") and not old.get("partial"):
        return False
    a, b = new.get(stamp), old.get(stamp)
    return b is None or (a is not None and a >= b)


_ITEM_COLUMNS = tuple(_item_row(WorkItem("", "", "", "", None, None, None, None)))
_ACTIVITY_COLUMNS = tuple(_activity_row(Activity("", "", "", "", datetime(1970, 1, 1, tzinfo=UTC))))


@lru_cache(maxsize=4)
def _item_upsert(dialect: str) -> Any:
    """Build the work-item upsert once per dialect, so SQLAlchemy compiles it once and caches it."""
    stmt = _DIALECT_INSERT[dialect](WorkItemRow.__table__)
    table, ex = WorkItemRow.__table__, stmt.excluded
    newer = or_(
        and_(table.c.partial, ~ex.partial),
        and_(
            or_(~ex.partial, table.c.partial),
            func.coalesce(ex.updated_at, _EPOCH) >= func.coalesce(table.c.updated_at, _EPOCH),
        ),
    )
    updates = {
        col: case((newer, ex[col]), else_=table.c[col])
        for col in _ITEM_COLUMNS
        if col not in ("source", "key", "deleted", "partial")
    }
    updates["deleted"] = or_(table.c.deleted, ex.deleted)
    updates["partial"] = and_(table.c.partial, ex.partial)
    return stmt.on_conflict_do_update(index_elements=["source", "key"], set_=updates)


@lru_cache(maxsize=4)
def _activity_upsert(dialect: str) -> Any:
    """Build the activity upsert once per dialect (see ``_item_upsert``)."""
    stmt = _DIALECT_INSERT[dialect](ActivityRow.__table__)
    table, ex = ActivityRow.__table__, stmt.excluded
    # A deletion is final and happened once: of two copies of it (a redelivery, a replay), the first stands.
    newer = or_(and_(~table.c.deleted, ex.updated_at >= table.c.updated_at),
                and_(table.c.deleted, ex.deleted, ex.updated_at < table.c.updated_at))
    updates = {
        col: case((newer, ex[col]), else_=table.c[col])
        for col in _ACTIVITY_COLUMNS
        if col not in ("source", "external_id", "deleted")
    }
    # A placeholder key (a Jira Data Center comment known only by its issue's numeric id) never
    # replaces a real one, whatever the order of arrival.
    updates["item_key"] = case(
        (ex.item_key.like(f"{PLACEHOLDER_PREFIX}%"), table.c.item_key), (newer, ex.item_key),
        else_=table.c.item_key,
    )
    updates["deleted"] = or_(table.c.deleted, ex.deleted)
    return stmt.on_conflict_do_update(index_elements=["source", "external_id"], set_=updates)


def upsert_work_items(session: Session, items: Sequence[WorkItem]) -> None:
    """Insert or update work items; an older snapshot never overwrites a newer one, a partial never a full one."""
    rows = _newest((_item_row(i) for i in items), ("source", "key"), "updated_at")
    stmt = _item_upsert(session.get_bind().dialect.name)
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])


def upsert_activities(session: Session, activities: Sequence[Activity]) -> None:
    """Insert or update activities; an older edit never overwrites a newer one, a deletion is final."""
    rows = _newest((_activity_row(a) for a in activities), ("source", "external_id"), "updated_at")
    stmt = _activity_upsert(session.get_bind().dialect.name)
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])


def _previous_items(session: Session, activities: Sequence[Activity]) -> set[tuple[str, str]]:
    """Return the items that activities are moving away from (a transferred issue), so their clocks update too."""
    incoming = {(a.source, a.external_id): a.item_key for a in activities}
    keys = sorted(incoming)
    out: set[tuple[str, str]] = set()
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(ActivityRow.source, ActivityRow.external_id, ActivityRow.item_key).where(
                pairs_in(ActivityRow.source, ActivityRow.external_id, keys[start : start + _CHUNK])
            )
        )
        out |= {(src, old) for src, ext, old in rows if old != incoming[(src, ext)]}
    return out


def _issue_ids(activities: Sequence[Activity]) -> dict[str, str]:
    """Return the Jira issue ids the batch's OPENED activities name, each with the issue's real key."""
    return {
        str(a.data["issue_id"]): a.item_key
        for a in activities
        if a.source == "jira" and a.kind == "opened" and a.data.get("issue_id") and issue_id_of(a.item_key) is None
    }


def _resolve_placeholders(session: Session, activities: Sequence[Activity]) -> list[Activity]:
    """Give activities filed under a Jira issue's numeric id the issue's key, when we know it.

    The key comes from an OPENED activity of the same batch (the issue and its comment in one intake group, in any
    order) or from one stored before.
    """
    in_batch = _issue_ids(activities)
    out = []
    for act in activities:
        issue_id = issue_id_of(act.item_key) if act.source == "jira" else None
        if issue_id is not None:
            real = in_batch.get(issue_id) or session.scalar(
                select(ActivityRow.item_key).where(
                    ActivityRow.source == "jira", ActivityRow.kind == "opened",
                    ActivityRow.data["issue_id"].as_string() == issue_id,
                ).limit(1)
            )
            if real:
                act = replace(act, item_key=real)
        out.append(act)
    return out


def _adopt_placeholders(session: Session, activities: Sequence[Activity]) -> set[tuple[str, str]]:
    """File under its issue's key what was stored under the issue's numeric id before the issue itself arrived.

    Returns the placeholder and real keys touched, so both have their clocks computed again.
    """
    known = _issue_ids(activities)
    placeholders = {f"{PLACEHOLDER_PREFIX}{issue_id}": key for issue_id, key in known.items()}
    touched: set[tuple[str, str]] = set()
    names = sorted(placeholders)
    for start in range(0, len(names), _CHUNK):
        waiting = session.scalars(
            select(ActivityRow.item_key).distinct().where(
                ActivityRow.source == "jira", ActivityRow.item_key.in_(names[start : start + _CHUNK])
            )
        ).all()
        for placeholder in waiting:
            session.execute(
                ActivityRow.__table__.update()
                .where(ActivityRow.source == "jira", ActivityRow.item_key == placeholder)
                .values(item_key=placeholders[placeholder])
            )
            touched |= {("jira", placeholder), ("jira", placeholders[placeholder])}
    return touched


def store_batch(session: Session, batch: Batch) -> set[tuple[str, str]]:
    """Upsert a batch; return the (source, item key) of every work item it touches.

    The items named in the batch are locked first (see ``lock_work_items``), before any row is written, so two
    writers of one item queue up instead of deadlocking; ``recompute_clocks`` locks the rest it touches. Moves
    are recorded first, so every record of an old key, in this batch or stored before, is filed under the key
    the item has now (see ``app.store.moves``).
    """
    named = _named_items(batch)
    # An issue's id placeholder is locked with the issue: a bare comment stored beside it by another process either
    # waits and then finds the issue, or commits first and is adopted by it (``_adopt_placeholders``).
    lock_work_items(session, named | {("jira", f"{PLACEHOLDER_PREFIX}{i}") for i in _issue_ids(batch.activities)})
    ends = save_moves(session, batch.moves) if batch.moves else set()
    activities = _resolve_placeholders(session, batch.activities) if batch.activities else []
    current = current_keys(session, named | ends | {(a.source, a.item_key) for a in activities})
    lock_work_items(session, {(source, key) for (source, _), key in current.items()})
    stored = follow_moves(session, current)
    items = [i for i in batch.work_items if (i.source, i.key) not in current]
    if items:
        upsert_work_items(session, items)
    activities = [refiled(a, current.get((a.source, a.item_key), a.item_key)) for a in activities]
    moved = _previous_items(session, activities) if activities else set()
    if stored or activities:
        upsert_activities(session, stored + activities)
    adopted = _adopt_placeholders(session, activities) if activities else set()
    # SQLite takes its one write lock at a transaction's first write, not before the reads above: a move another
    # process committed in between is seen only now, and what this batch filed under its old key follows it.
    late = current_keys(session, {(i.source, i.key) for i in items} | {(a.source, a.item_key) for a in activities})
    if late:
        upsert_activities(session, follow_moves(session, late))
        current = {**current, **late}
    _relink(session, [i for i in items if i.kind == "pull_request"])
    _forget_gone_scores(session, items, activities)
    now = {(source, key) for (source, _), key in current.items()}
    return named | ends | moved | now | adopted | {(a.source, a.item_key) for a in activities}


def _forget_gone_scores(session: Session, items: Sequence[WorkItem], activities: Sequence[Activity]) -> None:
    """Drop the plain-language scores of messages deleted or emptied, and of every message of a deleted item.

    Done as the deletion is stored, so the figures read ``message_scores`` alone and never count a deleted
    message (an emptied one that an older copy still holds is simply scored again by the worker).
    """
    gone = sorted({(a.source, a.external_id) for a in activities
                   if a.is_message and (a.deleted or not a.body)})
    if gone:
        forget_message_scores(session, gone)
    deleted = sorted({(i.source, i.key) for i in items if i.deleted})
    for start in range(0, len(deleted), _CHUNK):
        session.execute(delete(MessageScore).where(
            pairs_in(MessageScore.source, MessageScore.item_key, deleted[start : start + _CHUNK])))


def _named_items(batch: Batch) -> set[tuple[str, str]]:
    named = {(i.source, i.key) for i in batch.work_items} | {(a.source, a.item_key) for a in batch.activities}
    named |= {(m.source, key) for m in batch.moves for key in (m.old_key, m.new_key)}
    for item in batch.work_items:
        named |= {(item.source, key) for key in item.fixes}
    for act in batch.activities:
        named |= {(act.source, key) for key in act.data.get("fixes", ()) or ()}
    return named


def _relink(session: Session, prs: Sequence[WorkItem]) -> None:
    """Rewrite the PR -> fixed-issue links from the stored (newest) PR snapshots."""
    if not prs:
        return
    keys = sorted({(p.source, p.key) for p in prs})
    stored = session.execute(
        select(WorkItemRow.source, WorkItemRow.key, WorkItemRow.fixes).where(
            pairs_in(WorkItemRow.source, WorkItemRow.key, keys)
        )
    ).all()
    session.execute(delete(ItemLink).where(pairs_in(ItemLink.source, ItemLink.pr_key, keys)))
    links = [{"source": s, "pr_key": k, "item_key": f} for s, k, fixes in stored for f in set(fixes or ())]
    if links:
        session.execute(dialect_insert(session, ItemLink.__table__).values(links).on_conflict_do_nothing())


def get_cursor(session: Session, source: str, scope: str, stream: str) -> datetime | None:
    row = session.get(SyncCursor, (source, scope, stream))
    return row.cursor if row else None


def get_cursors(session: Session, source: str, scope: str) -> dict[str, datetime | None]:
    rows = session.scalars(select(SyncCursor).where(SyncCursor.source == source, SyncCursor.scope == scope))
    return {r.stream: r.cursor for r in rows}


def save_cursor(session: Session, source: str, scope: str, stream: str, cursor: datetime | None) -> None:
    """Move a stream's cursor forward (never back)."""
    row = session.get(SyncCursor, (source, scope, stream))
    if row is None:
        session.add(SyncCursor(source=source, scope=scope, stream=stream, cursor=cursor, updated_at=utcnow()))
        return
    if cursor is not None and (row.cursor is None or cursor > row.cursor):
        row.cursor = cursor
    row.updated_at = utcnow()
