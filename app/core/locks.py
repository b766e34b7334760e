"""One job at a time (a PostgreSQL advisory lock, or a file lock beside SQLite), and one writer per work item."""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


class JobBusy(RuntimeError):
    """Another process is running this job right now."""


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_path(engine: Engine, name: str) -> Path:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        base = Path(tempfile.gettempdir()) / "pulse-memory"
    else:
        base = Path(database).resolve()
    return base.with_name(f"{base.name}.{name}.lock")


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock for ``name`` while the block runs; raise JobBusy at once if another holder has it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            # Advisory locks span the whole database: name the schema too, so two installations
            # (or two test runs) in one database never block each other.
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            key = _advisory_key(f"{schema}:{name}")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            if not got:
                raise JobBusy(f"Another process is already running the {name} job; try again when it ends.")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    path = _lock_path(engine, name)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JobBusy(f"Another process is already running the {name} job; try again when it ends.") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- writers of one work item's clocks, serialized (PostgreSQL) --------------------------------------------
# Every transaction that rewrites clocks takes, until it ends, a lock per work item it touches (in one order,
# so two writers never wait on each other in a circle) after a shared lock on "all work items"; rewriting
# every clock (a contracts reload, a replay) or a batch too large for the lock table takes that one exclusive.
# SQLite needs none of it: it has one writer at a time.

_ALL_ITEMS = "work-items"
MANY_ITEMS = 1000  # above this, one exclusive lock costs less than a lock per item (and fits the lock table)
_schemas: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _item_key(schema: str, source: str, key: str) -> int:
    return _advisory_key(f"{schema}:item:{source}:{key}")


def _schema(session: Session) -> str:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    if engine not in _schemas:  # one installation per schema; a test or a second install never blocks another
        _schemas[engine] = str(session.execute(text("SELECT current_schema()")).scalar())
    return _schemas[engine]


def lock_work_items(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Hold, until the transaction ends, the right to rewrite the clocks of these (source, key) work items."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = set(keys)
    if not keys:
        return
    schema = _schema(session)
    if len(keys) > MANY_ITEMS:
        lock_all_work_items(session)
        return
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": _advisory_key(f"{schema}:{_ALL_ITEMS}")})
    ids = sorted({_item_key(schema, source, key) for source, key in keys})
    session.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:ids AS bigint[])) AS k "
                         "ORDER BY 1) AS ordered"), {"ids": ids})


def lock_all_work_items(session: Session) -> None:
    """Hold, until the transaction ends, the right to rewrite every clock: waits for the writers of single items."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _advisory_key(f"{_schema(session)}:{_ALL_ITEMS}")})


def lock_named(session: Session, name: str) -> None:
    """Hold, until the transaction ends, the one writer's right to a named piece of shared state (PostgreSQL;
    SQLite lets one writer at a time in anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _advisory_key(f"{_schema(session)}:{name}")})
