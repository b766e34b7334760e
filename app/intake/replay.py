"""Replay: normalize every stored raw delivery and quarantined sync record again (after a parser fix), then
recompute every clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import QuarantinedRecord, RawDelivery
from app.intake.checks import checked_batch
from app.intake.errors import IntakeError
from app.intake.normalize import renormalize
from app.store.quarantine import MAX_REASON, as_rejected
from app.store.recompute import recompute_all
from app.store.statistics import refresh_statistics
from app.store.upserts import store_batch
from connectors.github.streams import reread as reread_github
from connectors.jira.quarantine import reread as reread_jira
from connectors.records import Batch, Check, Rejected, reason_of

# How each source reads a quarantined sync record again.
REREADERS: Mapping[str, Callable[[Rejected, Check | None], Batch]] = {"github": reread_github, "jira": reread_jira}

CHUNK = 500


@dataclass
class ReplaySummary:
    deliveries: int = 0
    failed: int = 0
    quarantine_read: int = 0  # quarantined sync records read into records this time
    quarantine_left: int = 0  # still unreadable, kept with the new reason
    clocks: int = 0


def replay(factory: sessionmaker[Session], contracts: Contracts) -> ReplaySummary:
    """Re-normalize all raw deliveries in arrival order and read the quarantine again, then recompute all clocks.
    Safe to repeat.

    A delivery whose body no longer normalizes (a permanent ``IntakeError``) is marked ``failed`` with the
    reason and counted; a database error propagates, leaving the chunk as it was for the next run. A quarantined
    record that now reads is stored and marked resolved; one still unreadable keeps its row with the new reason.
    """
    summary = ReplaySummary()
    _replay_deliveries(factory, summary)
    _replay_quarantine(factory, summary)
    with transaction(factory) as session:
        summary.clocks = recompute_all(session, contracts)
    return summary


def _replay_deliveries(factory: sessionmaker[Session], summary: ReplaySummary) -> None:
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
        refresh_statistics(factory.kw["bind"])


def _replay_quarantine(factory: sessionmaker[Session], summary: ReplaySummary) -> None:
    last_id = 0
    now = datetime.now(UTC)
    check: Check = lambda batch: checked_batch(batch, now)  # noqa: E731
    while True:
        with transaction(factory) as session:
            rows = session.scalars(
                select(QuarantinedRecord).where(QuarantinedRecord.id > last_id, QuarantinedRecord.resolved_at.is_(None))
                .order_by(QuarantinedRecord.id).limit(CHUNK)
            ).all()
            if not rows:
                return
            merged = Batch()
            for row in rows:
                last_id = row.id
                reader = REREADERS.get(row.source)
                try:
                    if reader is None:
                        raise LookupError(f"no reader for {row.source} records")
                    merged.extend(reader(as_rejected(row), check))
                except Exception as exc:  # noqa: BLE001 - still unreadable, whatever the reason: keep it
                    row.reason = reason_of(exc)[:MAX_REASON]
                    summary.quarantine_left += 1
                    continue
                row.resolved_at = now
                summary.quarantine_read += 1
            store_batch(session, merged)
