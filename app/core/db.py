"""Database engine and sessions; built on demand, never at import time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, create_engine, event, false, or_
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so concurrent writers wait."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session


def pairs_in(first: ColumnElement[Any], second: ColumnElement[Any], pairs: Iterable[tuple[Any, Any]]) -> Any:
    """``(first, second) IN pairs``, written so that an index on (first, second) serves it on SQLite too.

    SQLite reads a row-value IN list (``(a, b) IN (VALUES ...)``) by scanning the whole table, which made
    every recompute cost a pass over all activities; ``first = x AND second IN (...)``, once per distinct
    ``first`` (a source: there are two), is an index search on both databases.
    """
    by_first: dict[Any, list[Any]] = defaultdict(list)
    for a, b in pairs:
        by_first[a].append(b)
    terms = [and_(first == a, second.in_(bs)) for a, bs in sorted(by_first.items())]
    return or_(*terms) if terms else false()
