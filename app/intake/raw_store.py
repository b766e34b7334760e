"""The durable step of a webhook: its raw delivery committed and queued, or kept marked failed.

A queued raw row holds the whole body, so nothing is lost before its records are stored: the processor stores
them and takes it off the queue, or sweeps it up again from the body after a crash (``app.intake.processor``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import transaction
from app.core.tables import IntakeQueue, RawDelivery, UTCDateTime, utcnow
from app.intake.deliveries import Delivery, IntakeResult
from app.store.upserts import insert_for
from connectors.records import Batch

MAX_ERROR = 2000  # raw_deliveries.error is text; a reason longer than this is cut


@dataclass(frozen=True)
class Pending:
    """A raw delivery committed and queued: its row id and the records still to be stored from it."""

    raw_id: int
    delivery_id: str
    batch: Batch


def _firsts(deliveries: Sequence[tuple[Delivery, Batch]]) -> dict[tuple[str, str], int]:
    """The index of each (source, delivery id)'s first appearance: a repeat inside one group is a duplicate."""
    firsts: dict[tuple[str, str], int] = {}
    for index, (delivery, _) in enumerate(deliveries):
        firsts.setdefault((delivery.source, delivery.delivery_id), index)
    return firsts


@lru_cache(maxsize=4)
def _raw_insert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING for raw deliveries, built once and run with a list of rows:
    SQLAlchemy then sends them in as few statements as the driver allows, without compiling a new one per group."""
    table = RawDelivery.__table__
    return insert_for(dialect, table).on_conflict_do_nothing(
        index_elements=["source", "delivery_id"]
    ).returning(table.c.id, table.c.source, table.c.delivery_id)


_QUEUE_INSERT = IntakeQueue.__table__.insert()  # Core, not the ORM's bulk insert: a third of the cost per group

# PostgreSQL: the group's raw rows and their queue rows in one statement, each column sent as one array in
# psycopg's binary format (a bytea array in text format is escaped byte by byte). A multi-row VALUES is a
# statement as long as the group, which psycopg parses and splits again for every group, and the queue rows
# took a second round trip; this text is always the same, so the server prepares it once.
_POSTGRESQL_STORE = """
WITH raw AS (
    INSERT INTO raw_deliveries (source, delivery_id, event, action, body, status, received_at)
    SELECT source, delivery_id, event, action, body, 'processed', received_at
    FROM unnest(%(source)b::varchar[], %(delivery_id)b::varchar[], %(event)b::varchar[], %(action)b::varchar[],
                %(body)b::bytea[], %(received_at)b::timestamptz[])
         AS given(source, delivery_id, event, action, body, received_at)
    ON CONFLICT (source, delivery_id) DO NOTHING
    RETURNING id, source, delivery_id
), queued AS (
    INSERT INTO intake_queue (raw_id, queued_at) SELECT id, %(queued_at)b::timestamptz FROM raw
)
SELECT id, source, delivery_id FROM raw
"""
_UTC = UTCDateTime()


def _store_postgresql(session: Session, rows: Sequence[dict[str, Any]], queued_at: datetime) -> Any:
    columns: dict[str, Any] = {name: [row[name] for row in rows]
                               for name in ("source", "delivery_id", "event", "action", "body")}
    columns["received_at"] = [_UTC.process_bind_param(row["received_at"], None) for row in rows]
    columns["queued_at"] = _UTC.process_bind_param(queued_at, None)
    return session.connection().exec_driver_sql(_POSTGRESQL_STORE, columns)


def insert_raw(
    session: Session, deliveries: Sequence[tuple[Delivery, Batch]], *, queue: bool = False
) -> tuple[list[IntakeResult], list[Pending]]:
    """Insert the raw deliveries not seen before (their payloads normalized: ``processed``), and with ``queue``
    a queue row for each; answer each one and return the new ones with their row ids."""
    firsts = _firsts(deliveries)
    rows = [
        {"source": d.source, "delivery_id": d.delivery_id, "event": d.event[:64],
         "action": (d.action or "")[:64] or None, "body": d.body, "status": "processed", "received_at": d.received_at}
        for i, (d, _) in enumerate(deliveries) if firsts[(d.source, d.delivery_id)] == i
    ]
    dialect = session.get_bind().dialect.name
    queued_at = utcnow()
    if queue and dialect == "postgresql":
        inserted = _store_postgresql(session, rows, queued_at)
    else:
        inserted = session.execute(_raw_insert(dialect), rows)
    new = {(r.source, r.delivery_id): r.id for r in inserted}
    if queue and dialect != "postgresql" and new:
        session.execute(_QUEUE_INSERT, [{"raw_id": raw_id, "queued_at": queued_at} for raw_id in new.values()])
    results, pending = [], []
    for index, (delivery, batch) in enumerate(deliveries):
        key = (delivery.source, delivery.delivery_id)
        if key in new and firsts[key] == index:
            results.append(IntakeResult("accepted", delivery.delivery_id, len(batch.work_items),
                                        len(batch.activities)))
            pending.append(Pending(new[key], delivery.delivery_id, batch))
        else:
            results.append(IntakeResult("duplicate", delivery.delivery_id))
    return results, pending


def store_raw(
    factory: sessionmaker[Session], deliveries: Sequence[tuple[Delivery, Batch]]
) -> tuple[list[IntakeResult], list[Pending]]:
    """Commit the raw deliveries and queue them (one transaction for the group): the webhook's durable step.

    A delivery seen before (same source and delivery id, earlier or in this group) changes nothing and is
    answered as a duplicate. Database errors propagate, so the caller answers 503 and senders retry.
    """
    with transaction(factory) as session:
        return insert_raw(session, deliveries, queue=True)


def dequeue(session: Session, raw_ids: Sequence[int]) -> None:
    """Take raw deliveries off the queue (their records are stored, or they are marked failed)."""
    for start in range(0, len(raw_ids), 500):
        session.execute(delete(IntakeQueue).where(IntakeQueue.raw_id.in_(raw_ids[start : start + 500])))


def mark_failed(factory: sessionmaker[Session], raw_id: int, reason: str) -> None:
    """Keep a delivery whose records cannot be stored, marked ``failed`` with the reason, for `pulse replay`."""
    with transaction(factory) as session:
        session.execute(update(RawDelivery).where(RawDelivery.id == raw_id).values(status="failed",
                                                                                   error=reason[:MAX_ERROR]))
        dequeue(session, [raw_id])
