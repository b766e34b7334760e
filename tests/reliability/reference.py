"""The reference: the same history ingested in order, one delivery at a time, in-process, into a fresh database."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.intake.deliveries import Delivery
from app.intake.normalize import NORMALIZERS
from app.intake.processor import ingest
from connectors.jira import webhook as jira_webhook
from tests.reliability.corpus import Signed


def as_delivery(signed: Signed) -> Delivery:
    """Return the Delivery the webhook endpoint makes of this request (same id, event and action)."""
    payload = json.loads(signed.body)
    if signed.path == "/webhooks/github":
        guid = f"{signed.headers['X-GitHub-Hook-ID']}:{signed.headers['X-GitHub-Delivery']}"
        return Delivery("github", guid, signed.headers["X-GitHub-Event"], payload.get("action"), signed.body, payload)
    return Delivery("jira", jira_webhook.delivery_id(signed.headers, signed.body), jira_webhook.event_name(payload),
                    payload.get("issue_event_type_name"), signed.body, payload)


def ingest_in_order(factory: sessionmaker[Session], contracts: Contracts, history: Sequence[Signed]) -> None:
    """Store each delivery in its own transaction, oldest first: the plainest way to the right answer."""
    for signed in history:
        delivery = as_delivery(signed)
        batch = NORMALIZERS[delivery.source](delivery)
        assert batch is not None, f"{signed.key} is not a delivery the storm should send"
        result = ingest(factory, contracts, delivery, batch)
        assert result.status == "accepted", (signed.key, result)
