"""Moves keep history: a work item moved to another project or repository lives on under its new key.

A move is recorded once (``item_moves``: old key -> new key, with its moment); every activity filed under an old
key, stored before the move or arriving after it, is filed under the key the item has now, and the old key's own
work item is dropped, so its clocks are counted once, under the new key. Keys are followed forward in time: an item
moved A -> B and later B -> A is at A again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.db import pairs_in
from app.core.tables import ActivityRow, Alert, ItemMoveRow, MessageScore, WorkItemRow
from connectors.moves import names_item, refiled
from connectors.records import Activity, Actor, ItemMove

Key = tuple[str, str]  # (source, item key)
_CHUNK = 400
_MAX_HOPS = 50  # a chain of moves longer than this is a loop in bad data, not a history


@dataclass(frozen=True, slots=True)
class Arrival:
    """How a work item came to its key: the key it had before, the container it left, and when."""

    old_key: str
    old_container: str
    at: datetime


def _by_source(keys: Iterable[Key]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for source, key in keys:
        out[source].add(key)
    return out


def _edges(session: Session, source: str, keys: Iterable[str], column: str) -> list[ItemMoveRow]:
    keys = sorted(set(keys))
    rows: list[ItemMoveRow] = []
    attribute = getattr(ItemMoveRow, column)
    for start in range(0, len(keys), _CHUNK):
        rows += session.scalars(
            select(ItemMoveRow).where(ItemMoveRow.source == source, attribute.in_(keys[start : start + _CHUNK]))
        ).all()
    return rows


def current_keys(session: Session, keys: Iterable[Key]) -> dict[Key, str]:
    """Return the key each of these work items has now, for those that moved away from it."""
    out: dict[Key, str] = {}
    for source, wanted in _by_source(keys).items():
        known: dict[str, ItemMoveRow] = {}
        frontier = set(wanted)
        for _ in range(_MAX_HOPS):
            found = _edges(session, source, frontier - known.keys(), "old_key")
            known.update((e.old_key, e) for e in found)
            frontier = {e.new_key for e in found} - known.keys()
            if not frontier:
                break
        for key in wanted:
            now = _follow(known, key)
            if now != key:
                out[(source, key)] = now
    return out


def _follow(edges: Mapping[str, ItemMoveRow], key: str) -> str:
    """Follow the moves out of ``key``, each no earlier than the one before (a key moved back is current again)."""
    current, since, seen = key, None, {key}
    for _ in range(_MAX_HOPS):
        edge = edges.get(current)
        if edge is None or (since is not None and edge.moved_at < since):
            break
        current, since = edge.new_key, edge.moved_at
        if current in seen:
            break
        seen.add(current)
    return current


def arrivals(session: Session, keys: Iterable[Key]) -> dict[Key, tuple[Arrival, ...]]:
    """Return, for each work item that came from elsewhere, the moves that brought it to its key, oldest first."""
    out: dict[Key, tuple[Arrival, ...]] = {}
    for source, wanted in _by_source(keys).items():
        into: dict[str, list[ItemMoveRow]] = defaultdict(list)
        frontier = set(wanted)
        for _ in range(_MAX_HOPS):
            found = _edges(session, source, frontier - into.keys(), "new_key")
            if not found:
                break
            for edge in found:
                into[edge.new_key].append(edge)
            frontier = {e.old_key for e in found} - into.keys()
        for key in wanted:
            chain = _back(into, key)
            if chain:
                out[(source, key)] = chain
    return out


def _back(into: Mapping[str, list[ItemMoveRow]], key: str) -> tuple[Arrival, ...]:
    """Walk back from ``key``: the latest move into it, then the latest move into that key before it, and so on."""
    chain: list[Arrival] = []
    current, before, seen = key, None, {key}
    for _ in range(_MAX_HOPS):
        edges = [e for e in into.get(current, ()) if (before is None or e.moved_at <= before) and e.old_key not in seen]
        if not edges:
            break
        edge = max(edges, key=lambda e: (e.moved_at, e.old_key))
        chain.append(Arrival(edge.old_key, edge.old_container, edge.moved_at))
        current, before = edge.old_key, edge.moved_at
        seen.add(current)
    return tuple(reversed(chain))


def save_moves(session: Session, moves: Sequence[ItemMove]) -> set[Key]:
    """Record moves, the earliest report of a key's move winning; return both ends of each."""
    wanted: dict[Key, ItemMove] = {}
    for move in moves:
        key = (move.source, move.old_key)
        if move.old_key != move.new_key and (key not in wanted or _earlier(move, wanted[key])):
            wanted[key] = move
    for (source, old_key), move in sorted(wanted.items()):
        row = session.get(ItemMoveRow, (source, old_key))
        if row is None:
            session.add(ItemMoveRow(source=source, old_key=old_key, new_key=move.new_key,
                                    old_container=move.old_container, moved_at=move.at))
        elif _earlier(move, ItemMove(source, old_key, row.new_key, row.moved_at, row.old_container)):
            row.new_key, row.old_container, row.moved_at = move.new_key, move.old_container, move.at
    session.flush()
    return {(m.source, k) for m in wanted.values() for k in (m.old_key, m.new_key)}


def _earlier(move: ItemMove, other: ItemMove) -> bool:
    return (move.at, move.new_key) < (other.at, other.new_key)


def follow_moves(session: Session, current: Mapping[Key, str]) -> list[Activity]:
    """Leave nothing under keys that moved away: drop their work items, hand their alerts on to the key each item
    has now, and return their activities filed under it (see ``take_activities``), for the caller to upsert."""
    if not current:
        return []
    drop_items(session, current)
    _follow_alerts(session, current)
    return take_activities(session, current)


def _follow_alerts(session: Session, current: Mapping[Key, str]) -> None:
    """Give alerts already queued or sent for an old key's clocks the clock's new id, so none is sent twice."""
    for (source, old), new in sorted(current.items()):
        prefix = f"{source}:{old}:"
        for alert in session.scalars(select(Alert).where(Alert.clock_id.startswith(prefix, autoescape=True))).all():
            moved_id = f"{source}:{new}:{alert.clock_id[len(prefix):]}"
            taken = session.scalar(select(Alert.id).where(
                Alert.clock_id == moved_id, Alert.stage == alert.stage, Alert.destination == alert.destination))
            if taken is None:
                alert.clock_id = moved_id
            else:
                session.delete(alert)
    session.flush()


def drop_items(session: Session, keys: Iterable[Key]) -> None:
    """Delete the work items of keys that moved away: each item lives on under its new key."""
    for source, wanted in sorted(_by_source(keys).items()):
        names = sorted(wanted)
        for start in range(0, len(names), _CHUNK):
            session.execute(delete(WorkItemRow).where(WorkItemRow.source == source,
                                                      WorkItemRow.key.in_(names[start : start + _CHUNK])))


def take_activities(session: Session, current: Mapping[Key, str]) -> list[Activity]:
    """Return the stored activities of old keys filed under the key each item has now, for the caller to upsert.

    Rows whose natural key names the old key (``names_item``) are deleted here, since they come back under a
    natural key that names the new one; the plain-language scores of every activity taken are dropped (the worker
    scores them again, as the new item's client sees them).
    """
    out: list[Activity] = []
    stale: list[int] = []
    taken: set[Key] = set()
    for source, wanted in sorted(_by_source(current).items()):
        names = sorted(wanted)
        for start in range(0, len(names), _CHUNK):
            rows = session.scalars(select(ActivityRow).where(
                ActivityRow.source == source, ActivityRow.item_key.in_(names[start : start + _CHUNK]))).all()
            for row in rows:
                taken.add((row.source, row.external_id))
                out.append(refiled(_as_activity(row), current[(source, row.item_key)]))
                if names_item(row.external_id, row.item_key):
                    stale.append(row.id)
    for start in range(0, len(stale), _CHUNK):
        session.execute(delete(ActivityRow).where(ActivityRow.id.in_(stale[start : start + _CHUNK])))
    forget_message_scores(session, sorted(taken))
    return out


def _as_activity(row: ActivityRow) -> Activity:
    actor = (Actor(row.source, row.actor_id, row.actor_name, row.actor_is_bot, row.actor_email)
             if row.actor_id is not None else None)
    return Activity(
        source=row.source, external_id=row.external_id, item_key=row.item_key, kind=row.kind, at=row.at,
        actor=actor, body=row.body, url=row.url, data=dict(row.data or {}), updated_at=row.updated_at,
        deleted=row.deleted,
    )


def forget_message_scores(session: Session, ids: Sequence[Key]) -> None:
    """Drop the plain-language scores of these messages (source, external id); the worker scores them again."""
    for start in range(0, len(ids), _CHUNK):
        session.execute(delete(MessageScore).where(
            pairs_in(MessageScore.source, MessageScore.external_id, ids[start : start + _CHUNK])))
