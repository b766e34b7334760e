"""Bundled demo: contracts and a realistic history, loaded through the same intake as real webhooks."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts, parse_contracts
from app.core.tables import RawDelivery
from app.demo.history import build_history
from app.intake.deliveries import Delivery
from app.intake.normalize import NORMALIZERS
from app.intake.processor import ingest_many
from app.reports.feedback import load_demo_feedback
from app.reports.plain_language import score_pending
from connectors.records import Batch

DEMO_GROUP = 50


def demo_contracts_text() -> str:
    return resources.files("app.demo").joinpath("pulse.yaml").read_text(encoding="utf-8")


def demo_contracts() -> Contracts:
    """Return the bundled demo contracts."""
    return parse_contracts(demo_contracts_text(), "demo pulse.yaml")


def demo_contracts_path() -> Path:
    return Path(str(resources.files("app.demo").joinpath("pulse.yaml")))


def load_demo(factory: sessionmaker[Session], contracts: Contracts, now: datetime) -> tuple[int, int]:
    """Feed the demo history through the intake once; return (new deliveries, already present).

    The history is laid out relative to ``now``, so a database that already holds it keeps it as it is
    rather than mixing two differently timed copies.
    """
    with factory() as session:
        present = session.scalar(
            select(func.count()).select_from(RawDelivery).where(RawDelivery.delivery_id.like("demo:%"))
        )
    if present:
        return 0, int(present)
    group: list[tuple[Delivery, Batch]] = []
    for demo in build_history(now):
        body = json.dumps(demo.payload, separators=(",", ":")).encode()
        delivery = Delivery(demo.source, f"demo:{demo.delivery_id}", demo.event, demo.payload.get("action"),
                            body, demo.payload)
        batch = NORMALIZERS[demo.source](delivery)
        if batch is not None:
            group.append((delivery, batch))
    results = []
    for start in range(0, len(group), DEMO_GROUP):  # groups, as webhooks arriving together are stored
        results += ingest_many(factory, contracts, group[start : start + DEMO_GROUP])
    added = sum(r.status == "accepted" for r in results)
    _score_and_rate(factory, contracts, now)
    return added, len(results) - added


def _score_and_rate(factory: sessionmaker[Session], contracts: Contracts, now: datetime) -> None:
    """Score the demo's developer messages for plain language and add the clients' own ratings."""
    resume = None
    while True:
        with factory() as session, session.begin():
            run = score_pending(session, contracts, limit=500, resume=resume)
        if not run.more:
            break
        resume = run.resume
    load_demo_feedback(factory, contracts, now)
