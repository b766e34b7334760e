"""What a database holds, in a form two databases (SQLite or PostgreSQL) can be compared by."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, MetaData, Table, func, inspect, select

from app.core.tables import ActivityRow, ClockRow, IntakeQueue, ItemLink, RawDelivery, WorkItemRow

# Surrogate keys and arrival times differ between two runs of the same history; everything else may not.
_VOLATILE = {"id", "received_at"}
RECORD_TABLES: tuple[Table, ...] = tuple(
    m.__table__ for m in (WorkItemRow, ActivityRow, ClockRow, ItemLink, RawDelivery)  # type: ignore[misc]
)


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def records(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every work item, activity, clock, link and raw delivery, without surrogate keys, sorted."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in RECORD_TABLES:
            columns = [c for c in table.columns if c.name not in _VOLATILE]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted(
                (tuple((c.name, _plain(v)) for c, v in zip(columns, row, strict=True)) for row in rows), key=repr
            )
    return out


def processed_records(engine: Engine, timeout: float = 120.0) -> dict[str, list[tuple[Any, ...]]]:
    """Wait until no acknowledged delivery is still waiting for its records and clocks, then return ``records``."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            pending = conn.scalar(select(func.count()).select_from(IntakeQueue))
        if not pending:
            return records(engine)
        assert time.monotonic() < deadline, f"{pending} deliveries still pending after {timeout:.0f} s"
        time.sleep(0.1)


def row_counts(engine: Engine) -> dict[str, int]:
    """Return the number of rows of every table the database has (not only the ones the models know)."""
    names = inspect(engine).get_table_names()
    meta = MetaData()
    with engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(Table(name, meta))) for name in sorted(names)}


def differences(expected: dict[str, list[tuple[Any, ...]]], actual: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Describe, table by table, rows missing from ``actual`` and rows it has in excess (a few of each)."""
    out = []
    for name in expected:
        want, got = {repr(r) for r in expected[name]}, {repr(r) for r in actual.get(name, [])}
        missing, extra = want - got, got - want
        if missing or extra or len(expected[name]) != len(actual.get(name, [])):
            out.append(f"{name}: {len(expected[name])} expected, {len(actual.get(name, []))} found; "
                       f"missing {sorted(missing)[:2]}; extra {sorted(extra)[:2]}")
    return out
