"""Replay rebuilds exactly what intake built, from the raw deliveries alone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from app.core.tables import ActivityRow, ClockRow, ItemLink, RawDelivery, WorkItemRow
from app.demo import demo_contracts, load_demo
from app.intake.replay import replay

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def _state(factory):
    with factory() as s:
        return (
            sorted((r.key, r.title, r.updated_at, r.deleted) for r in s.scalars(select(WorkItemRow))),
            sorted((r.external_id, r.item_key, r.at, r.body) for r in s.scalars(select(ActivityRow))),
            sorted((r.id, r.started_at, r.stopped_at, r.elapsed_seconds, r.developer)
                   for r in s.scalars(select(ClockRow))),
        )


def test_replay_after_wiping_records_rebuilds_the_same_state(factory):
    contracts = demo_contracts()
    load_demo(factory, contracts, NOW)
    before = _state(factory)
    with factory() as s, s.begin():
        for model in (ClockRow, ActivityRow, WorkItemRow, ItemLink):
            s.execute(delete(model))
    summary = replay(factory, contracts)
    assert summary.failed == 0
    with factory() as s:
        assert summary.deliveries == len(s.scalars(select(RawDelivery.id)).all())
    assert summary.clocks == len(before[2])
    assert _state(factory) == before
    assert replay(factory, contracts).clocks == len(before[2])  # safe to repeat
    assert _state(factory) == before


def test_a_delivery_that_cannot_be_read_is_marked_and_counted(factory, contracts):
    with factory() as s, s.begin():
        s.add(RawDelivery(source="github", delivery_id="x", event="issues", action="opened", body=b"{not json",
                          status="processed"))
    summary = replay(factory, contracts)
    assert summary.failed == 1
    with factory() as s:
        row = s.scalars(select(RawDelivery)).one()
    assert row.status == "failed" and row.error
