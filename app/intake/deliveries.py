"""Webhook intake after verification: store the raw delivery and its records durably, then clocks."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import IntakeQueue, RawDelivery, utcnow
from app.intake.checks import checked_batch
from app.store.recompute import recompute_clocks
from app.store.upserts import insert_for, store_batch
from connectors.github.normalize import normalize_event as normalize_github
from connectors.github.webhook import is_supported as github_supports
from connectors.jira.normalize import normalize_webhook as normalize_jira
from connectors.jira.webhook import SUPPORTED_EVENTS as JIRA_EVENTS
from connectors.records import Batch

log = logging.getLogger("pulse.intake")


@dataclass(frozen=True)
class Delivery:
    """One verified webhook delivery, parsed but not yet stored."""

    source: str
    delivery_id: str
    event: str
    action: str | None
    body: bytes
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class IntakeResult:
    status: str  # accepted | duplicate | ignored
    delivery_id: str
    items: int = 0
    activities: int = 0


def content_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def github_batch(delivery: Delivery) -> Batch | None:
    """Normalize a GitHub delivery, or None for an event we do not use."""
    if not github_supports(delivery.event, delivery.action):
        return None
    return normalize_github(delivery.event, delivery.payload)


def jira_batch(delivery: Delivery) -> Batch | None:
    """Normalize a Jira delivery, or None for an event we do not use."""
    if delivery.event not in JIRA_EVENTS:
        return None
    return normalize_jira(delivery.payload)


NORMALIZERS: Mapping[str, Callable[[Delivery], Batch | None]] = {"github": github_batch, "jira": jira_batch}


def ingest(factory: sessionmaker[Session], contracts: Contracts, delivery: Delivery, batch: Batch) -> IntakeResult:
    """Store one delivery with its records and clocks (see ``ingest_many``)."""
    return ingest_many(factory, contracts, [(delivery, batch)])[0]


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


def _insert_raw(
    session: Session, deliveries: Sequence[tuple[Delivery, Batch]]
) -> tuple[list[IntakeResult], list[Pending]]:
    """Insert the raw deliveries not seen before (their payloads normalized: ``processed``); answer each one and
    return the new ones with their row ids."""
    firsts = _firsts(deliveries)
    received = utcnow()
    rows = [
        {"source": d.source, "delivery_id": d.delivery_id, "event": d.event[:64],
         "action": (d.action or "")[:64] or None, "body": d.body, "status": "processed", "received_at": received}
        for i, (d, _) in enumerate(deliveries) if firsts[(d.source, d.delivery_id)] == i
    ]
    new = {(r.source, r.delivery_id): r.id for r in session.execute(_raw_insert(session.get_bind().dialect.name), rows)}
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


def ingest_many(
    factory: sessionmaker[Session], contracts: Contracts, deliveries: Sequence[tuple[Delivery, Batch]]
) -> list[IntakeResult]:
    """Store raw deliveries, their records and the recomputed clocks in one transaction (a group commit).

    A delivery seen before (same source and delivery id, earlier or in this group) changes nothing and
    is answered as a duplicate. Database errors propagate, so the caller answers 503 and senders retry.
    """
    with transaction(factory) as session:
        results, pending = _insert_raw(session, deliveries)
        _store_records(session, contracts, pending)
    return results


def store_raw(
    factory: sessionmaker[Session], deliveries: Sequence[tuple[Delivery, Batch]]
) -> tuple[list[IntakeResult], list[Pending]]:
    """Commit the raw deliveries and queue them (one transaction for the group): the webhook's durable step.

    Their records and clocks follow with ``process_pending``; until then nothing is lost, since the queued
    raw row holds the whole body and is processed again after a crash (``app.intake.processor.sweep_pending``).
    """
    with transaction(factory) as session:
        results, pending = _insert_raw(session, deliveries)
        if pending:
            queued = utcnow()
            session.execute(insert(IntakeQueue), [{"raw_id": p.raw_id, "queued_at": queued} for p in pending])
        return results, pending


def _store_records(session: Session, contracts: Contracts, pending: Sequence[Pending]) -> None:
    merged = Batch()
    for item in pending:
        merged.extend(item.batch)
    touched = store_batch(session, merged)
    recompute_clocks(session, contracts, touched)


def process_pending(factory: sessionmaker[Session], contracts: Contracts, pending: Sequence[Pending]) -> None:
    """Store the records of queued raw deliveries, recompute their clocks and take them off the queue, at once.

    Records and the dequeue share one transaction, so a crash leaves them queued, never half-done; storing
    a delivery again changes nothing, so processing one twice is harmless.
    """
    if not pending:
        return
    with transaction(factory) as session:
        _store_records(session, contracts, pending)
        _dequeue(session, [item.raw_id for item in pending])


def _dequeue(session: Session, raw_ids: Sequence[int]) -> None:
    for start in range(0, len(raw_ids), 500):
        session.execute(delete(IntakeQueue).where(IntakeQueue.raw_id.in_(raw_ids[start : start + 500])))


def mark_failed(factory: sessionmaker[Session], raw_id: int, error: str) -> None:
    """Keep a delivery whose records cannot be stored, marked ``failed`` with the reason, for `pulse replay`."""
    with transaction(factory) as session:
        session.execute(update(RawDelivery).where(RawDelivery.id == raw_id).values(status="failed",
                                                                                   error=error[:2000]))
        _dequeue(session, [raw_id])


def renormalize(source: str, delivery_id: str, event: str, action: str | None, body: bytes) -> Batch | None:
    """Normalize a stored raw delivery again from its body (None: an event not used). Raises on a bad payload."""
    delivery = Delivery(source, delivery_id, event, action, body, orjson.loads(body))
    batch = NORMALIZERS[source](delivery)
    return checked_batch(batch, datetime.now(UTC)) if batch is not None else None
