"""Database engine and sessions; built on demand, never at import time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Engine,
    and_,
    case,
    cast,
    create_engine,
    event,
    false,
    func,
    literal,
    null,
    or_,
)
from sqlalchemy.orm import Session, sessionmaker

from metrics.calendar import Calendar, local_week_monday


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so writers wait."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connection(dbapi_conn: Any, _record: Any) -> None:
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


def _local_week_monday(stored: str | None, timezone: str) -> str | None:
    """SQLite's local_week_monday(utc_time, zone): the ISO date of the Monday of its week in an IANA time zone.

    SQLite knows no time zones, so metrics.calendar answers, for the same figures PostgreSQL finds with
    date_trunc('week', timezone(zone, utc_time)).
    """
    if stored is None:
        return None
    at = datetime.fromisoformat(stored)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at  # stored as naive UTC (app.core.tables.UTCDateTime)
    return local_week_monday(at, _zone_calendar(timezone)).isoformat()


def local_week_sql(column: Any, zone: Any, dialect: str) -> Any:
    """SQL for the Monday of a UTC time's week in the IANA time zone ``zone`` (a bound value), on either database.

    PostgreSQL: date_trunc('week', timezone(zone, column)), a date. SQLite: local_week_monday(column, zone), an
    ISO date as text, registered on the query's connection by ``with_local_weeks``.
    """
    if dialect == "postgresql":
        return cast(func.date_trunc("week", func.timezone(zone, column)), Date)
    return func.local_week_monday(column, zone)


def bucket_sql(column: Any, starts: Sequence[tuple[str, datetime]]) -> Any:
    """SQL that names, for each value of ``column``, the label of the last start at or before it.

    ``starts`` are (label, UTC moment) in time order, such as each local week's Monday and the moment it begins
    (metrics.calendar.local_week_starts). The CASE is nested as a balanced tree, so each row is compared
    log2(len(starts)) times, all inside the database: on SQLite this replaces a Python call per row
    (``local_week_monday``), which cost about 5 µs a row (a year of 300,000 scores: 1.6 s of a week page's sums).
    A value before the first start gets the first label.
    """
    if not starts:
        return null()

    def tree(lo: int, hi: int) -> Any:
        if lo == hi:
            return literal(starts[lo][0])
        mid = (lo + hi + 1) // 2
        return case((column < literal(starts[mid][1], type_=column.type), tree(lo, mid - 1)), else_=tree(mid, hi))

    return tree(0, len(starts) - 1)


def with_local_weeks(session: Session) -> None:
    """Give the SQLite connection of this session local_week_monday(), for a query that groups by local weeks.

    Registered on the one connection a query needs it on, not on every connection: a connection carrying a
    Python callback is a crash risk when the garbage collector finalizes it from another thread.
    """
    dbapi = session.connection().connection.driver_connection
    dbapi.create_function("local_week_monday", 2, _local_week_monday, deterministic=True)


@lru_cache(maxsize=64)
def _zone_calendar(timezone: str) -> Calendar:
    return Calendar(timezone=timezone)


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
