"""Normalize a delivery into records and check them, in one place, for the webhook, the sweep and replay.

The table below is the only gate: an event it does not normalize is not used (None), a payload it cannot
normalize, or whose records the checks refuse, raises ``IntakeError`` (permanent, see ``app.intake.errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

import orjson

from app.intake.checks import checked_batch
from app.intake.deliveries import Delivery
from app.intake.errors import intake_error
from connectors.github.normalize import normalize_event as normalize_github
from connectors.github.webhook import is_supported as github_supports
from connectors.jira.normalize import normalize_webhook as normalize_jira
from connectors.jira.webhook import SUPPORTED_EVENTS as JIRA_EVENTS
from connectors.records import Batch


class Normalizer(Protocol):
    """Turn a delivery (and its stored received time) into records; None for an event not used."""

    def __call__(self, delivery: Delivery, received_at: datetime | None = None) -> Batch | None: ...


def github_batch(delivery: Delivery, received_at: datetime | None = None) -> Batch | None:
    """Normalize a GitHub delivery, or None for an event we do not use."""
    if not github_supports(delivery.event, delivery.action):
        return None
    return normalize_github(delivery.event, delivery.payload, received_at=received_at)


def jira_batch(delivery: Delivery, received_at: datetime | None = None) -> Batch | None:
    """Normalize a Jira delivery, or None for an event we do not use (Jira stamps every event itself)."""
    if delivery.event not in JIRA_EVENTS:
        return None
    return normalize_jira(delivery.payload)


NORMALIZERS: Mapping[str, Normalizer] = {"github": github_batch, "jira": jira_batch}


def normalized(delivery: Delivery, now: datetime | None = None, *, received_at: datetime | None = None) -> Batch | None:
    """Return a delivery's checked records (None: an event not used); raise IntakeError if they are unusable.

    ``received_at`` is the delivery's received time as its raw row stores it (``raw_deliveries.received_at``):
    pass the same value on the webhook, the sweep and replay, so a GitHub deletion, which carries no time of
    its own, gets the same ``deleted_at`` every time. Without it a GitHub deletion has no ``deleted_at``.
    """
    try:
        batch = NORMALIZERS[delivery.source](delivery, received_at)
        return checked_batch(batch, now or datetime.now(UTC)) if batch is not None else None
    except Exception as exc:
        raise intake_error(exc, stage="normalizing", source=delivery.source) from exc


def renormalize(
    source: str,
    delivery_id: str,
    event: str,
    action: str | None,
    body: bytes,
    *,
    received_at: datetime | None = None,
) -> Batch | None:
    """Normalize a stored raw delivery again from its body and received time (see ``normalized``; a body that no
    longer parses too)."""
    try:
        payload = orjson.loads(body)
    except Exception as exc:
        raise intake_error(exc, stage="normalizing", source=source) from exc
    return normalized(Delivery(source, delivery_id, event, action, body, payload), received_at=received_at)
