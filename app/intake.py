"""Webhook intake after verification: store the raw delivery and its records durably, then clocks."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.models import RawDelivery
from app.recompute import recompute_clocks
from app.store import store_batch
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
    """Store the raw delivery, its records and the recomputed clocks in one transaction.

    A delivery seen before (same source and delivery id) changes nothing. Database errors propagate,
    so the caller answers 503 and the sender retries.
    """
    with factory() as session:
        try:
            with session.begin():
                session.add(
                    RawDelivery(
                        source=delivery.source,
                        delivery_id=delivery.delivery_id,
                        event=delivery.event,
                        action=delivery.action,
                        body=delivery.body,
                        status="processed",
                    )
                )
                session.flush()
                touched = store_batch(session, batch)
                recompute_clocks(session, contracts, touched)
        except IntegrityError:
            if _already_stored(session, delivery):
                return IntakeResult("duplicate", delivery.delivery_id)
            raise
    return IntakeResult("accepted", delivery.delivery_id, len(batch.work_items), len(batch.activities))


def _already_stored(session: Session, delivery: Delivery) -> bool:
    session.rollback()
    found = (
        session.query(RawDelivery.id)
        .filter(RawDelivery.source == delivery.source, RawDelivery.delivery_id == delivery.delivery_id)
        .first()
    )
    return found is not None
