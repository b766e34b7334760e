"""The reference: the same history ingested in order, one delivery at a time, in-process, into a fresh database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts, parse_contracts
from app.core.db import make_engine, make_sessionmaker
from app.core.migrate import upgrade
from app.intake.deliveries import Delivery
from app.intake.normalize import NORMALIZERS
from app.intake.processor import ingest
from connectors.jira import webhook as jira_webhook
from tests.conftest import CONTRACTS_YAML
from tests.reliability.corpus import Signed
from tests.reliability.snapshot import records


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


def reference_records(path: Path, history: Sequence[Signed]) -> dict[str, list[tuple[Any, ...]]]:
    """Return the records of ``history`` ingested in order, one delivery at a time, into a fresh SQLite file."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    ingest_in_order(make_sessionmaker(engine), parse_contracts(CONTRACTS_YAML), history)
    try:
        return records(engine)
    finally:
        engine.dispose()
