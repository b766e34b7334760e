"""Replay: normalize every stored raw delivery again (after a parser fix) and recompute every clock."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import RawDelivery
from app.intake.errors import IntakeError
from app.intake.normalize import renormalize
from app.store.recompute import recompute_all
from app.store.upserts import store_batch
from connectors.records import Batch

CHUNK = 500


@dataclass
class ReplaySummary:
    deliveries: int = 0
    failed: int = 0
    clocks: int = 0


def replay(factory: sessionmaker[Session], contracts: Contracts) -> ReplaySummary:
    """Re-normalize all raw deliveries in arrival order, then recompute all clocks. Safe to repeat.

    A delivery whose body no longer normalizes (a permanent ``IntakeError``) is marked ``failed`` with the
    reason and counted; a database error propagates, leaving the chunk as it was for the next run.
    """
    summary = ReplaySummary()
    last_id = 0
    while True:
        with transaction(factory) as session:
            rows = session.scalars(
                select(RawDelivery).where(RawDelivery.id > last_id).order_by(RawDelivery.id).limit(CHUNK)
            ).all()
            if not rows:
                break
            merged = Batch()
            for row in rows:
                last_id = row.id
                summary.deliveries += 1
                try:
                    batch = renormalize(row.source, row.delivery_id, row.event, row.action, row.body,
                                        received_at=row.received_at)
                except IntakeError as exc:
                    if not exc.permanent:
                        raise
                    row.status, row.error = "failed", exc.reason
                    summary.failed += 1
                    continue
                row.status, row.error = ("processed" if batch is not None else "ignored"), None
                if batch is not None:
                    merged.extend(batch)
            store_batch(session, merged)
    with transaction(factory) as session:
        summary.clocks = recompute_all(session, contracts)
    return summary
