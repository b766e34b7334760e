"""The quarantine: records a sync listed but could not read, kept raw with the reason so nothing is lost.

A sync never stops for one odd record (``connectors.records.kept``): the record comes back as a ``Rejected`` and is
kept here, one row per (source, scope, kind, ref), in the same transaction as the page it came with. Meeting it
again updates the row (its newest body and reason, how often it was seen, the last run); `pulse replay` reads every
unresolved row again with the connector's ``reread`` and, once it reads, stores its records and marks it resolved.
`pulse quarantine` and ``GET /v1/sync/runs`` show what is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from app.core.tables import QuarantinedRecord, utcnow
from app.store.upserts import insert_for
from connectors.records import Rejected

MAX_REASON = 2000


def as_rejected(row: QuarantinedRecord) -> Rejected:
    """Return a stored quarantine row as the connector's Rejected, ready for ``reread``."""
    return Rejected(row.source, row.scope, row.kind, row.ref, row.body, row.context or {}, row.reason)


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Any:
    table = QuarantinedRecord.__table__
    stmt = insert_for(dialect, table)
    ex = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["source", "scope", "kind", "ref"],
        set_={
            "body": ex.body, "context": ex.context, "reason": ex.reason, "last_seen_at": ex.last_seen_at,
            "times_seen": table.c.times_seen + 1, "last_run_id": ex.last_run_id, "resolved_at": None,
        },
    )


def keep(session: Session, rejected: Sequence[Rejected], *, run_id: int | None, now: datetime | None = None) -> int:
    """Keep rejected records in quarantine (one row each, newest body wins); return how many distinct ones."""
    now = now or utcnow()
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for r in rejected:
        key = (r.source, r.scope[:250], r.kind[:32], r.ref[:250])
        rows[key] = {
            "source": key[0], "scope": key[1], "kind": key[2], "ref": key[3], "body": dict(r.body),
            "context": dict(r.context), "reason": r.reason[:MAX_REASON], "first_seen_at": now, "last_seen_at": now,
            "times_seen": 1, "last_run_id": run_id, "resolved_at": None,
        }
    if rows:
        # Sorted, so two writers meeting the same records lock their rows in the same order.
        session.execute(_upsert(session.get_bind().dialect.name), [rows[k] for k in sorted(rows)])
    return len(rows)


def has_waiting(session: Session, source: str, scope: str) -> bool:
    """Say whether records of this repository or project wait in quarantine."""
    q = QuarantinedRecord
    row = session.scalar(select(q.id).where(q.source == source, q.scope == scope, q.resolved_at.is_(None)).limit(1))
    return row is not None


def resolve_read(session: Session, source: str, scope: str, read: Sequence[tuple[str, str]]) -> int:
    """Mark resolved the waiting records of this scope that a sync has now read (corrected at the source, or read by
    a newer parser); return how many."""
    q, done = QuarantinedRecord, 0
    pairs = sorted(set(read))
    for start in range(0, len(pairs), 500):
        result = session.execute(
            update(q).where(q.source == source, q.scope == scope, q.resolved_at.is_(None),
                            tuple_(q.kind, q.ref).in_(pairs[start : start + 500]))
            .values(resolved_at=utcnow()).execution_options(synchronize_session=False)
        )
        done += result.rowcount or 0
    return done


def unresolved(session: Session, *, source: str | None = None, limit: int | None = None) -> list[QuarantinedRecord]:
    """Return the records still waiting in quarantine, oldest first."""
    query = select(QuarantinedRecord).where(QuarantinedRecord.resolved_at.is_(None))
    if source is not None:
        query = query.where(QuarantinedRecord.source == source)
    query = query.order_by(QuarantinedRecord.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_unresolved(session: Session) -> int:
    """Return how many records wait in quarantine."""
    query = select(func.count()).select_from(QuarantinedRecord).where(QuarantinedRecord.resolved_at.is_(None))
    return int(session.scalar(query) or 0)


def for_runs(session: Session, run_ids: Sequence[int], *, per_run: int = 20) -> dict[int, list[QuarantinedRecord]]:
    """Return, for each run, up to ``per_run`` of the records it last met unreadable (still unresolved)."""
    out: dict[int, list[QuarantinedRecord]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return out
    q = QuarantinedRecord
    rank = func.row_number().over(partition_by=q.last_run_id, order_by=q.id).label("rank")
    ranked = (
        select(q.id, rank).where(q.last_run_id.in_(list(run_ids)), q.resolved_at.is_(None)).subquery()
    )
    rows = session.scalars(
        select(q).join(ranked, ranked.c.id == q.id).where(ranked.c.rank <= per_run).order_by(q.id)
    )
    for row in rows:
        out[int(row.last_run_id or 0)].append(row)
    return out
