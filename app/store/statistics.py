"""Planner statistics kept fresh while the tables grow fast (a first sync, a replay), on PostgreSQL.

PostgreSQL plans every query from the statistics ANALYZE gathers. Autovacuum refreshes them only after a tenth of a
table changed and at most once a minute, and some servers run with it off. During a first sync the tables grow from
nothing while the planner still believes them empty, so the lookups by unique key that every stored page makes
(which of these activities do we have?) become scans of everything stored so far, and a backfill slows down
quadratically: 8,000 work items took 98 s to store where 2,000 took 4 s.

``refresh_statistics`` runs after a commit that stored records: at most every ``CHECK_SECONDS`` per process it reads
how much the busiest tables changed since their last ANALYZE and analyzes each that grew by half or more (so a
table is analyzed a logarithmic number of times as it grows, each time in well under a second). ``SKIP_LOCKED``
leaves a table another process is analyzing right now to that process. SQLite plans without such statistics.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine, bindparam, text

log = logging.getLogger("pulse.store")

TABLES = ("activities", "work_items", "clocks", "item_links", "item_moves", "quarantine", "message_scores",
          "flagged_terms")
CHECK_SECONDS = 5.0
MIN_CHANGES = 1000  # below this a table is small enough for any plan
GROWTH = 0.5  # analyze once the rows changed since the last ANALYZE reach this share of the table

_CHANGED = text(
    "SELECT s.relname, s.n_mod_since_analyze, c.reltuples FROM pg_stat_user_tables s "
    "JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = current_schema() AND s.relname IN :names"
).bindparams(bindparam("names", expanding=True))

_last_check: dict[int, float] = {}
_lock = threading.Lock()


def _due(engine: Engine, now: float) -> bool:
    with _lock:
        if now - _last_check.get(id(engine), float("-inf")) < CHECK_SECONDS:
            return False
        _last_check[id(engine)] = now
        return True


def stale_tables(engine: Engine) -> list[str]:
    """Return the tables whose statistics lag what they hold now (see the module doc)."""
    with engine.connect() as conn:
        rows = conn.execute(_CHANGED, {"names": list(TABLES)}).all()
    return sorted(
        name for name, changed, tuples in rows
        if changed >= MIN_CHANGES and changed >= GROWTH * max(float(tuples or 0), 0.0)
    )


def refresh_statistics(engine: Engine, *, force: bool = False) -> list[str]:
    """Analyze the tables that grew by half or more since their last ANALYZE; return them (PostgreSQL only).

    Cheap to call after every commit: it looks at most every ``CHECK_SECONDS`` (``force`` looks now). A failure
    here is logged and never fails the write that came before it.
    """
    if engine.dialect.name != "postgresql" or not (force or _due(engine, time.monotonic())):
        return []
    try:
        stale = stale_tables(engine)
        if stale:
            with engine.connect() as conn:
                for name in stale:
                    conn.execute(text(f'ANALYZE (SKIP_LOCKED) "{name}"'))
                conn.commit()
            log.debug("refreshed planner statistics of %s", ", ".join(stale))
        return stale
    except Exception:  # noqa: BLE001 - statistics are an optimization; the stored data is already committed
        log.warning("could not refresh the planner statistics", exc_info=True)
        return []
