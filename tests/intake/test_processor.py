"""Acknowledge after the raw commit: records and clocks follow off the request path, and nothing is ever lost.

A 202 means the raw delivery is committed; the intake processor stores its records and clocks in chunks. A
crash, a database outage or a bad value in between leaves the delivery pending or failed, never gone.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError, OperationalError

import app.intake.processor as processor_module
from app.core.tables import ActivityRow, ClockRow, IntakeQueue, RawDelivery
from app.intake.deliveries import Delivery
from app.intake.normalize import renormalize
from app.intake.processor import IntakeProcessor, ingest_many, sweep_pending
from app.intake.raw_store import store_raw
from app.main import create_app
from tests.conftest import make_settings, post_github, settle, sign
from tests.payloads import comment_event, issue, issue_event
from tests.reliability.snapshot import records

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _history(n: int = 6) -> list[Delivery]:
    """An issue opened by the client, then comments from both sides: each one a signed GitHub delivery."""
    item = issue(7, "alice-acme", T0)
    payloads = [("issues", issue_event("opened", item, "alice-acme"))]
    for i in range(n):
        author = "olena-dev" if i % 2 else "alice-acme"
        payloads.append(("issue_comment", comment_event(item, 500 + i, author, T0 + timedelta(minutes=10 * (i + 1)))))
    out = []
    for event, payload in payloads:
        body = json.dumps(payload).encode()
        out.append(Delivery("github", f"1:{uuid.uuid4()}", event, payload.get("action"), body, orjson.loads(body)))
    return out


def _with_batches(deliveries: list[Delivery]) -> list[tuple[Delivery, object]]:
    return [(d, renormalize(d.source, d.delivery_id, d.event, d.action, d.body)) for d in deliveries]


def _statuses(factory) -> dict[str, int]:
    """How many raw deliveries are still queued, and how many there are by status."""
    with factory() as s:
        out = dict(s.execute(select(RawDelivery.status, func.count()).group_by(RawDelivery.status)).all())
        queued = s.scalar(select(func.count()).select_from(IntakeQueue))
    return out | ({"queued": queued} if queued else {})


def _reference(engine_factory, contracts, deliveries) -> dict:
    engine, factory = engine_factory
    ingest_many(factory, contracts, _with_batches(deliveries))
    return records(engine)


def test_a_delivery_is_acknowledged_once_stored_raw_and_counted_right_after(client, factory):
    item = issue(1, "alice-acme", T0)
    r = post_github(client, "issues", issue_event("opened", item, "alice-acme"))
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    settle(client.app)
    assert _statuses(factory) == {"processed": 1}
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ClockRow)) == 1


def test_deliveries_a_crash_left_pending_are_processed_when_the_server_starts(engine, factory, contracts, tmp_path):
    history = _history()
    results, pending = store_raw(factory, _with_batches(history))  # committed raw; the server died right after
    assert [r.status for r in results] == ["accepted"] * len(history) and len(pending) == len(history)
    assert _statuses(factory) == {"processed": len(history), "queued": len(history)}
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ActivityRow)) == 0

    app = create_app(make_settings(), contracts=contracts)
    app.state.engine.dispose()
    app.state.engine, app.state.sessionmaker = engine, factory
    with TestClient(app):  # start-up sweeps what was left pending
        assert app.state.intake_processor.settle(30)
    assert _statuses(factory) == {"processed": len(history)}

    from app.core.db import make_engine, make_sessionmaker
    from app.core.tables import Base

    ref_engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    Base.metadata.create_all(ref_engine)
    expected = _reference((ref_engine, make_sessionmaker(ref_engine)), contracts, history)
    assert records(engine) == expected


def test_the_worker_sweep_leaves_young_pending_deliveries_to_the_server(factory, contracts):
    history = _history(2)
    store_raw(factory, _with_batches(history[:1]))
    with factory() as s, s.begin():  # the first one waited for ten minutes: its server is gone
        s.execute(update(IntakeQueue).values(queued_at=datetime.now(UTC) - timedelta(minutes=10)))
    store_raw(factory, _with_batches(history[1:]))
    done = sweep_pending(factory, contracts, older_than=timedelta(minutes=2))
    assert done.processed == 1
    assert _statuses(factory) == {"processed": 3, "queued": 2}
    assert sweep_pending(factory, contracts).processed == 2
    assert _statuses(factory) == {"processed": 3}
    again = records_of(factory)
    sweep_pending(factory, contracts)  # nothing pending: nothing changes
    assert records_of(factory) == again


def records_of(factory) -> dict:
    return records(factory.kw["bind"])


def test_processing_a_delivery_twice_changes_nothing(factory, contracts):
    history = _history()
    _, pending = store_raw(factory, _with_batches(history))
    processor_module.process_pending(factory, contracts, pending)
    once = records_of(factory)
    processor_module.process_pending(factory, contracts, pending)
    assert records_of(factory) == once


def test_a_database_outage_while_processing_leaves_deliveries_pending_then_retries(factory, contracts, monkeypatch):
    history = _history()
    _, pending = store_raw(factory, _with_batches(history))
    real, calls = processor_module.process_pending, []

    def flaky(factory_, contracts_, work):
        calls.append(len(work))
        if len(calls) == 1:
            raise OperationalError("insert", {}, Exception("server closed the connection unexpectedly"))
        return real(factory_, contracts_, work)

    monkeypatch.setattr(processor_module, "process_pending", flaky)
    proc = IntakeProcessor(sessions=lambda: factory, contracts=lambda: contracts, retry_after=0.05)
    proc.hand_over(pending)
    assert proc.settle(10)  # left queued for the sweep...
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while _statuses(factory) != {"processed": len(history)} and datetime.now(UTC) < deadline:
        proc.settle(1)
    assert _statuses(factory) == {"processed": len(history)}, "...which stored them once the database was back"
    assert len(calls) >= 2
    assert proc.close(5)


def test_a_delivery_the_database_refuses_is_kept_as_failed_and_its_neighbours_are_stored(factory, contracts,
                                                                                        monkeypatch):
    history = _history()
    _, pending = store_raw(factory, _with_batches(history))
    poison = pending[3].raw_id
    real = processor_module.process_pending

    def fussy(factory_, contracts_, work):
        if any(p.raw_id == poison for p in work):
            raise DataError("insert", {}, Exception("value too long"))
        return real(factory_, contracts_, work)

    monkeypatch.setattr(processor_module, "process_pending", fussy)
    proc = IntakeProcessor(sessions=lambda: factory, contracts=lambda: contracts)
    proc.hand_over(pending)
    assert proc.close(10)
    assert _statuses(factory) == {"processed": len(history) - 1, "failed": 1}
    with factory() as s:
        failed = s.scalars(select(RawDelivery).where(RawDelivery.status == "failed")).one()
    assert failed.id == poison and "DataError" in (failed.error or "")


def test_a_stored_body_that_no_longer_parses_is_marked_failed_not_retried_forever(factory, contracts):
    body = b'{"action": "opened", "issue": 12}'
    delivery = Delivery("github", "1:broken", "issues", "opened", body, orjson.loads(body))
    from connectors.records import Batch

    store_raw(factory, [(delivery, Batch())])
    summary = sweep_pending(factory, contracts)
    assert summary.failed == 1 and _statuses(factory) == {"failed": 1}


def test_the_signature_is_still_checked_before_anything_is_stored(client, factory):
    body = json.dumps(issue_event("opened", issue(2, "alice-acme", T0), "alice-acme")).encode()
    r = client.post("/webhooks/github", content=body, headers={
        "X-GitHub-Event": "issues", "X-GitHub-Delivery": "d-1", "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(body, "not-the-secret")})
    assert r.status_code == 401
    settle(client.app)
    assert _statuses(factory) == {}


def test_the_worker_stores_what_a_stopped_server_left_queued(factory, contracts):
    import httpx

    from app.sync.runner import Connectors
    from app.sync.worker import Worker

    history = _history(3)
    store_raw(factory, _with_batches(history))
    settings = make_settings()
    worker = Worker(settings, factory, contracts, Connectors(settings, factory), http=httpx.Client())
    assert "pending-deliveries" in [job.name for job in worker.scheduler().jobs]
    assert worker.sweep_deliveries(datetime.now(UTC)) == 0  # just queued: the server that took them is on it
    with factory() as s, s.begin():
        s.execute(update(IntakeQueue).values(queued_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert worker.sweep_deliveries(datetime.now(UTC)) == len(history)
    assert _statuses(factory) == {"processed": len(history)}
