"""One rule for a delivery that cannot be used: permanent (its own fault) is refused or marked failed with the
reason, transient (the database's) is retried; the webhook, the sweep and replay all follow it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

import app.intake.group_commit as group_commit_module
import app.intake.normalize as normalize_module
import app.intake.processor as processor_module
import app.intake.replay as replay_module
from app.core.tables import IntakeQueue, RawDelivery
from app.intake.deliveries import Delivery
from app.intake.errors import MAX_REASON, IntakeError, intake_error
from app.intake.normalize import normalized, renormalize
from app.intake.processor import sweep_pending
from app.intake.raw_store import store_raw
from app.intake.replay import replay
from connectors.records import Batch, PayloadError
from tests.conftest import post_github
from tests.payloads import issue, issue_event

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LOST = OperationalError("insert", {}, Exception("server closed the connection unexpectedly"))
LOCKED = OperationalError("insert", {}, Exception("database is locked"))
TOO_LONG = DataError("insert", {}, Exception("value too long for type character varying(300)"))
NOT_NULL = IntegrityError("insert", {}, Exception("null value in column violates not-null constraint"))


class _UniqueViolation(Exception):
    sqlstate = "23505"  # as psycopg's errors.UniqueViolation carries it


RACED_PG = IntegrityError("insert", {}, _UniqueViolation('duplicate key value violates unique constraint "x"'))
RACED_SQLITE = IntegrityError("insert", {}, Exception("UNIQUE constraint failed: clocks.id"))


@pytest.mark.parametrize(
    ("exc", "stage", "permanent", "words"),
    [
        (PayloadError("work item 'x'.title must be text, not int."), "normalizing", True, "is not usable: work item"),
        (KeyError("issue"), "normalizing", True, "unexpected type or shape (KeyError)"),
        (orjson.JSONDecodeError("bad", "{", 0), "normalizing", True, "unexpected type or shape (JSONDecodeError)"),
        (TOO_LONG, "storing", True, "cannot store"),
        (NOT_NULL, "storing", True, "cannot store"),
        (LOST, "storing", False, "unavailable"),
        (LOCKED, "storing", False, "unavailable"),
        (RACED_PG, "storing", False, "unavailable"),
        (RACED_SQLITE, "storing", False, "unavailable"),
        (RuntimeError("pool exhausted"), "storing", False, "unavailable"),
    ],
)
def test_the_rule_decides_permanent_or_transient_in_one_place(exc, stage, permanent, words):
    error = intake_error(exc, stage=stage, source="github")
    assert error.permanent is permanent
    assert words in error.detail
    assert error.reason.startswith(f"{type(exc).__name__}: ")


def test_an_intake_error_passes_through_and_reasons_are_one_short_line():
    already = IntakeError("PayloadError: x", permanent=True, detail="x")
    assert intake_error(already, stage="storing") is already
    long = DataError("insert", {}, Exception("y" * 5000))
    reason = intake_error(long, stage="storing").reason
    assert "\n" not in reason and len(reason) <= MAX_REASON


def _delivery(payload: dict, event: str = "issues") -> Delivery:
    body = json.dumps(payload).encode()
    return Delivery("github", f"1:{uuid.uuid4()}", event, payload.get("action"), body, orjson.loads(body))


def test_normalizing_raises_only_the_one_error():
    bad = _delivery({"action": "opened", "repository": {"full_name": "acme/shop"}})
    with pytest.raises(IntakeError) as caught:
        normalized(bad)
    assert caught.value.permanent and "has no issue;" in caught.value.detail
    with pytest.raises(IntakeError) as unreadable:
        renormalize("github", "1:x", "issues", "opened", b"{not json")
    assert unreadable.value.permanent and unreadable.value.reason.startswith("JSONDecodeError: ")
    assert normalized(_delivery({"action": "created"}, event="deployment")) is None  # not used: no error


# The webhook: permanent -> 400 and nothing stored; transient -> 503 with Retry-After.

def _opened() -> dict:
    return issue_event("opened", issue(1, "alice-acme", T0), "alice-acme")


@pytest.mark.parametrize(("exc", "status"), [(TOO_LONG, 400), (NOT_NULL, 400), (LOST, 503), (LOCKED, 503)])
def test_the_webhook_refuses_a_permanent_error_and_asks_for_a_retry_on_a_transient_one(client, factory,
                                                                                      monkeypatch, exc, status):
    def failing(factory_, group):
        raise exc

    monkeypatch.setattr(group_commit_module, "store_raw", failing)
    r = post_github(client, "issues", _opened())
    assert r.status_code == status
    assert r.json()["detail"] == intake_error(exc, stage="storing").detail
    assert ("retry-after" in r.headers) is (status == 503)


def test_the_webhook_refuses_a_payload_the_normalizer_cannot_use(client, factory, monkeypatch):
    def broken(delivery, received_at=None):
        raise IndexError("list index out of range")

    monkeypatch.setitem(normalize_module.NORMALIZERS, "github", broken)
    r = post_github(client, "issues", _opened())
    assert r.status_code == 400 and "unexpected type or shape (IndexError)" in r.json()["detail"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(RawDelivery)) == 0


# The sweep: permanent -> marked failed with the reason and dequeued; transient -> propagates, stays queued.

def _queued(factory, body: bytes) -> int:
    delivery = Delivery("github", f"1:{uuid.uuid4()}", "issues", "opened", body, {})  # stored raw: body only
    _, pending = store_raw(factory, [(delivery, Batch())])
    return pending[0].raw_id


def _row(factory, raw_id: int) -> tuple[str, str | None, bool]:
    with factory() as s:
        row = s.get(RawDelivery, raw_id)
        queued = s.get(IntakeQueue, raw_id) is not None
        return row.status, row.error, queued


def test_the_sweep_marks_a_body_that_no_longer_normalizes_failed_with_the_reason(factory, contracts):
    raw_id = _queued(factory, json.dumps({"action": "opened", "repository": {"full_name": "acme/shop"}}).encode())
    assert sweep_pending(factory, contracts).failed == 1
    status, error, queued = _row(factory, raw_id)
    assert (status, queued) == ("failed", False)
    assert error == "PayloadError: The GitHub payload has no issue; expected it for this event."


def test_the_sweep_marks_a_delivery_the_database_refuses_failed(factory, contracts, monkeypatch):
    raw_id = _queued(factory, json.dumps(_opened()).encode())

    def refusing(factory_, contracts_, work):
        raise TOO_LONG

    monkeypatch.setattr(processor_module, "process_pending", refusing)
    assert sweep_pending(factory, contracts).failed == 1
    status, error, queued = _row(factory, raw_id)
    assert (status, queued) == ("failed", False) and error.startswith("DataError: ")


@pytest.mark.parametrize("exc", [LOST, LOCKED])
def test_the_sweep_leaves_a_delivery_queued_when_the_database_is_away(factory, contracts, monkeypatch, exc):
    raw_id = _queued(factory, json.dumps(_opened()).encode())

    def away(factory_, contracts_, work):
        raise exc

    monkeypatch.setattr(processor_module, "process_pending", away)
    with pytest.raises(OperationalError):
        sweep_pending(factory, contracts)
    assert _row(factory, raw_id) == ("processed", None, True)
    monkeypatch.undo()
    assert sweep_pending(factory, contracts).processed == 1  # the next sweep stores it
    assert _row(factory, raw_id) == ("processed", None, False)


# Replay: permanent -> marked failed with the same reason as the sweep; transient -> propagates, nothing marked.

def test_replay_marks_what_the_sweep_marks_with_the_same_reason(factory, contracts):
    raw_id = _queued(factory, json.dumps({"action": "opened", "repository": {"full_name": "acme/shop"}}).encode())
    sweep_pending(factory, contracts)
    swept = _row(factory, raw_id)
    with factory() as s, s.begin():
        s.get(RawDelivery, raw_id).status = "processed"
    summary = replay(factory, contracts)
    assert summary.failed == 1 and _row(factory, raw_id) == swept


def test_replay_marks_failed_whatever_the_normalizer_raises(factory, contracts, monkeypatch):
    raw_id = _queued(factory, json.dumps(_opened()).encode())

    def broken(delivery, received_at=None):
        raise IndexError("list index out of range")

    monkeypatch.setitem(normalize_module.NORMALIZERS, "github", broken)
    assert replay(factory, contracts).failed == 1
    assert _row(factory, raw_id)[:2] == ("failed", "IndexError: list index out of range")


def test_replay_stops_on_a_lost_connection_and_marks_nothing(factory, contracts, monkeypatch):
    good = _queued(factory, json.dumps(_opened()).encode())
    bad = _queued(factory, b"{not json")

    def away(session, batch):
        raise LOST

    monkeypatch.setattr(replay_module, "store_batch", away)
    with pytest.raises(OperationalError):
        replay(factory, contracts)
    assert _row(factory, good)[:2] == ("processed", None) and _row(factory, bad)[:2] == ("processed", None)
