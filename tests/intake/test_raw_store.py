"""The durable step: raw deliveries and their queue rows committed together, each delivery id once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.tables import IntakeQueue, RawDelivery
from app.intake.deliveries import Delivery
from app.intake.raw_store import store_raw
from connectors.records import Batch

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _delivery(guid: str, body: bytes, action: str | None = "created", minutes: int = 0) -> tuple[Delivery, Batch]:
    at = T0 + timedelta(minutes=minutes)
    return Delivery("github", f"1:{guid}", "issue_comment", action, body, {}, received_at=at), Batch()


def test_a_group_is_stored_byte_for_byte_and_queued_and_a_repeat_is_a_duplicate(factory):
    odd = b'{"x": "\x00\xff\xfe not utf-8"}'
    results, pending = store_raw(factory, [_delivery("a", b'{"a": 1}', None), _delivery("b", odd, minutes=1),
                                           _delivery("a", b'{"a": 2}')])
    assert [r.status for r in results] == ["accepted", "accepted", "duplicate"]
    assert [p.delivery_id for p in pending] == ["1:a", "1:b"]

    results, again = store_raw(factory, [_delivery("b", b"{}"), _delivery("c", b'{"c": 3}', minutes=2)])
    assert [r.status for r in results] == ["duplicate", "accepted"]
    assert [p.delivery_id for p in again] == ["1:c"]

    with factory() as s:
        rows = {r.delivery_id: r for r in s.scalars(select(RawDelivery))}
        queued = set(s.scalars(select(IntakeQueue.raw_id)))
    assert set(rows) == {"1:a", "1:b", "1:c"}
    assert rows["1:a"].body == b'{"a": 1}' and rows["1:a"].action is None  # the first of a repeated id is kept
    assert rows["1:b"].body == odd and rows["1:b"].action == "created" and rows["1:b"].status == "processed"
    assert rows["1:c"].received_at == T0 + timedelta(minutes=2)
    assert queued == {p.raw_id for p in pending + again} == {r.id for r in rows.values()}
