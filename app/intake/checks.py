"""Check normalized records against what the database can hold, before anything is stored.

Normalizers turn payloads into records; this is the last gate on the way in, shared by webhooks, the
sync and replay, so a record the database would refuse (text that is not text, an identifier longer than
its column, a NUL byte, a time in the far future) is refused with a clear message instead of failing a
transaction, and the sender is told not to retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.records import Activity, Actor, Batch, ItemMove, PayloadError, WorkItem

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks of senders run a little fast; a year ahead is a broken payload

# Column sizes in app/models.py; text columns without a size only need to be text.
_LIMITS = {
    "source": 16, "key": 300, "container": 250, "kind": 32, "external_id": 300, "item_key": 300,
    "status": 200, "status_category": 32, "issue_type": 200, "priority": 200, "resolution": 200,
    "id": 200, "display_name": 300, "email": 300, "old_key": 300, "new_key": 300, "old_container": 250,
}


def clean_text(value: str) -> str:
    """Return text the database can store: no NUL bytes, no lone surrogates."""
    if value.isascii():  # CPython knows this without a scan, and ASCII holds no surrogates: only a NUL to look for
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _text(value: Any, name: str, where: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{name} must be text, not {type(value).__name__}.")
    value = clean_text(value)
    limit = _LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise PayloadError(f"{where}.{name} is longer than {limit} characters.")
    return value


def _time(value: Any, name: str, where: str, now: datetime) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise PayloadError(f"{where}.{name} must be a date and time with a time zone.")
    if value < EARLIEST or value > now + FUTURE_SLACK:
        raise PayloadError(f"{where}.{name} is {value.isoformat()}, which is not a plausible time for an event.")
    return value


def _plain(value: Any, where: str) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _plain(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, where) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    raise PayloadError(f"{where} holds a value that is not JSON: {type(value).__name__}.")


def _same(obj: Any, changes: Mapping[str, Any]) -> bool:
    """Tell whether every checked value is the one the record already holds (then it is kept as it is)."""
    for name, value in changes.items():
        old = getattr(obj, name)
        if value is old:
            continue
        if isinstance(value, tuple) and isinstance(old, tuple) and len(value) == len(old) and all(
            a is b for a, b in zip(value, old, strict=True)
        ):
            continue
        return False
    return True


def _kept(obj: Any, changes: dict[str, Any]) -> Any:
    return obj if _same(obj, changes) else replace(obj, **changes)


def _actor(actor: Actor | None, where: str) -> Actor | None:
    if actor is None:
        return None
    return _kept(actor, {
        "id": _text(actor.id, "id", where, optional=False),
        "display_name": _text(actor.display_name, "display_name", where),
        "email": _text(actor.email, "email", where),
    })


_ITEM_TEXT = ("source", "key", "container", "kind", "url", "title", "status", "status_category", "issue_type",
              "priority", "resolution")
_ITEM_TIMES = ("created_at", "updated_at", "resolved_at", "merged_at")


def _item(item: WorkItem, now: datetime) -> WorkItem:
    where = f"work item {str(item.key)[:80]!r}"
    changes: dict[str, Any] = {n: _text(getattr(item, n), n, where, optional=n not in ("source", "key", "container",
                                                                                        "kind")) for n in _ITEM_TEXT}
    changes |= {n: _time(getattr(item, n), n, where, now) for n in _ITEM_TIMES}
    changes["author"] = _actor(item.author, f"{where}.author")
    changes["assignees"] = tuple(_actor(a, f"{where}.assignee") for a in item.assignees)
    changes["labels"] = tuple(_text(label, "label", where, optional=False) for label in item.labels)
    changes["fixes"] = tuple(_text(key, "key", where, optional=False) for key in item.fixes)
    return _kept(item, changes)


def _activity(act: Activity, now: datetime) -> Activity:
    where = f"activity {str(act.external_id)[:80]!r}"
    changes: dict[str, Any] = {
        n: _text(getattr(act, n), n, where, optional=n in ("body", "url"))
        for n in ("source", "external_id", "item_key", "kind", "body", "url")
    }
    at = _time(act.at, "at", where, now)
    if at is None:
        raise PayloadError(f"{where} has no time.")
    changes["at"] = at
    changes["updated_at"] = _time(act.updated_at, "updated_at", where, now)
    changes["actor"] = _actor(act.actor, f"{where}.actor")
    data = _plain(act.data, f"{where}.data")
    changes["data"] = act.data if data == act.data else data
    return _kept(act, changes)


def _move(move: ItemMove, now: datetime) -> ItemMove:
    where = f"move of {str(move.old_key)[:80]!r}"
    changes: dict[str, Any] = {n: _text(getattr(move, n), n, where, optional=False)
                               for n in ("source", "old_key", "new_key", "old_container")}
    changes["at"] = _time(move.at, "at", where, now)
    if changes["at"] is None:
        raise PayloadError(f"{where} has no time.")
    return _kept(move, changes)


def checked_batch(batch: Batch, now: datetime) -> Batch:
    """Return the batch with its text made storable, or raise PayloadError naming what cannot be stored."""
    return Batch([_item(i, now) for i in batch.work_items], [_activity(a, now) for a in batch.activities],
                 [_move(m, now) for m in batch.moves], list(batch.rejected), list(batch.read))

