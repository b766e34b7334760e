"""Webhook intake after verification: store the raw delivery and its records durably, then clocks."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.db import transaction
from app.models import RawDelivery, utcnow
from app.recompute import recompute_clocks
from app.store import dialect_insert, store_batch
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


def ingest_many(
    factory: sessionmaker[Session], contracts: Contracts, deliveries: Sequence[tuple[Delivery, Batch]]
) -> list[IntakeResult]:
    """Store raw deliveries, their records and the recomputed clocks in one transaction (a group commit).

    A delivery seen before (same source and delivery id, earlier or in this group) changes nothing and
    is answered as a duplicate. Database errors propagate, so the caller answers 503 and senders retry.
    """
    firsts: dict[tuple[str, str], int] = {}
    for index, (delivery, _) in enumerate(deliveries):
        firsts.setdefault((delivery.source, delivery.delivery_id), index)
    rows = [
        {"source": d.source, "delivery_id": d.delivery_id, "event": d.event[:64],
         "action": (d.action or "")[:64] or None, "body": d.body,
         "status": "processed", "received_at": utcnow()}
        for i, (d, _) in enumerate(deliveries) if firsts[(d.source, d.delivery_id)] == i
    ]
    with transaction(factory) as session:
        table = RawDelivery.__table__
        stmt = dialect_insert(session, table).values(rows).on_conflict_do_nothing(
            index_elements=["source", "delivery_id"]
        ).returning(table.c.source, table.c.delivery_id)
        new = {(r.source, r.delivery_id) for r in session.execute(stmt)}
        merged = Batch()
        for index, (delivery, batch) in enumerate(deliveries):
            key = (delivery.source, delivery.delivery_id)
            if key in new and firsts[key] == index:
                merged.extend(batch)
        touched = store_batch(session, merged)
        recompute_clocks(session, contracts, touched)
    results = []
    for index, (delivery, batch) in enumerate(deliveries):
        key = (delivery.source, delivery.delivery_id)
        if key in new and firsts[key] == index:
            results.append(IntakeResult("accepted", delivery.delivery_id, len(batch.work_items), len(batch.activities)))
        else:
            results.append(IntakeResult("duplicate", delivery.delivery_id))
    return results
