"""One webhook delivery as the intake sees it: the verified request, its id when the sender gives none, its answer."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.tables import utcnow


@dataclass(frozen=True)
class Delivery:
    """One verified webhook delivery, parsed but not yet stored."""

    source: str
    delivery_id: str
    event: str
    action: str | None
    body: bytes
    payload: Mapping[str, Any]
    received_at: datetime = field(default_factory=utcnow)  # stored with the raw body, so a replay sees the same


@dataclass(frozen=True)
class IntakeResult:
    status: str  # accepted | duplicate | ignored
    delivery_id: str
    items: int = 0
    activities: int = 0


def content_id(body: bytes) -> str:
    """Name a delivery by its body, for a sender that sends no delivery id."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
