"""PostgreSQL's planner statistics follow a table that grows fast, so lookups by key stay index searches.

A first sync grows the tables from nothing; with statistics that still say "empty", PostgreSQL answers "which of
these 500 activities do we have?" by reading every stored row. bench/metrics_scale.py shows the effect on speed;
these tests show the mechanism: a grown table is analyzed once, a quiet one is left alone, and the plan of the
lookup uses the unique index afterwards.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from app.core.tables import ActivityRow
from app.store import statistics
from app.store.statistics import refresh_statistics, stale_tables

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.fresh_schema  # the planner statistics of tables no earlier test filled


def _add_activities(engine, count: int, start: int = 0) -> None:
    rows = [{"source": "github", "external_id": f"comment:{n}", "item_key": f"acme/shop#{n % 50}", "kind": "comment",
             "at": AT, "actor_is_bot": False, "data": {}, "deleted": False}
            for n in range(start, start + count)]
    with engine.begin() as conn:
        conn.execute(insert(ActivityRow), rows)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_stat_force_next_flush()"))  # counters visible now, not within seconds


def _plan(engine) -> str:
    ids = ", ".join(f"'comment:{n}'" for n in range(0, 40, 2))  # 20 of 20,000
    with engine.connect() as conn:
        rows = conn.execute(text(f"EXPLAIN SELECT item_key FROM activities WHERE source = 'github' AND "
                                 f"external_id IN ({ids})")).scalars().all()
    return "\n".join(rows)


def _wait_for_counters(engine, table: str) -> None:
    """The server's activity counters arrive a moment after the commit: wait until they show the rows."""
    for _ in range(100):
        with engine.connect() as conn:
            changed = conn.execute(text("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE schemaname = "
                                        "current_schema() AND relname = :t"), {"t": table}).scalar()
        if changed:
            return
        time.sleep(0.05)


def test_a_grown_table_is_analyzed_once_and_then_looked_up_by_its_index(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans without table statistics; there is nothing to refresh")
    _add_activities(engine, 20000)
    _wait_for_counters(engine, "activities")
    assert "activities" in stale_tables(engine)
    # The planner believes the table empty: it reads every GitHub activity instead of searching the unique index.
    assert "uq_activity" not in _plan(engine)
    assert "activities" in refresh_statistics(engine, force=True)
    assert "activities" not in stale_tables(engine)
    assert "uq_activity" in _plan(engine)
    # A little more, well under half the table: no new ANALYZE.
    _add_activities(engine, 5000, start=20000)
    _wait_for_counters(engine, "activities")
    assert "activities" not in refresh_statistics(engine, force=True)


def test_it_looks_at_most_every_few_seconds_and_never_on_sqlite(engine, monkeypatch):
    looked: list[object] = []
    monkeypatch.setattr(statistics, "stale_tables", lambda eng: looked.append(eng) or [])
    monkeypatch.setattr(statistics, "_last_check", {})
    for _ in range(5):
        refresh_statistics(engine)
    assert len(looked) == (1 if engine.dialect.name == "postgresql" else 0)
