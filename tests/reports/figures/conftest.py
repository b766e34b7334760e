"""Random stored clocks for comparing the figures computed in SQL with summarize() over the same clocks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from app.core.db import transaction
from app.core.tables import ClockRow
from app.store.histories import clock_to_row
from metrics.model import Clock, ClockKind

NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)  # a Monday, so weeks start exactly at a window's edge
DEVELOPERS = ["olena", "marco", "github:stranger", None, "unassigned", ""]
CLIENTS = ["acme", "acme", "acme", "globex"]
TARGETS = {"acme": 1800, "globex": 3600}
# Ties, a duration exactly at its target and just past it, and long ones.
DURATIONS = [0, 1, 60, 60, 900, 1800, 1801, 3600, 3601, 7200, 10800, 86400]


def _moment(rng: random.Random, edges: list[datetime]) -> datetime:
    if rng.random() < 0.15:
        return rng.choice(edges)
    return NOW - timedelta(seconds=rng.randint(-2 * 86400, 45 * 86400))


def random_clock(rng: random.Random, index: int, developers: list[str | None] = DEVELOPERS) -> Clock:
    """Build one stored clock in any state: stopped, running, paused, at risk, breached at NOW, or cancelled."""
    edges = [NOW, NOW - timedelta(days=7), NOW - timedelta(days=30), NOW - timedelta(seconds=1)]
    client = rng.choice(CLIENTS)
    target = TARGETS[client] if rng.random() < 0.85 else rng.choice([1800, 3600, 10800])
    started = _moment(rng, edges)
    elapsed = rng.choice(DURATIONS) if rng.random() < 0.6 else rng.randint(0, 5 * target)
    stopped = rng.random() < 0.7
    running_since = deadline = at_risk = None
    if not stopped and rng.random() < 0.75:
        running_since = started + timedelta(seconds=rng.randint(0, 3600))
        deadline = _moment(rng, edges) if rng.random() < 0.9 else None
        at_risk = deadline - timedelta(seconds=rng.choice([0, 1, 600])) if deadline and rng.random() < 0.8 else None
    return Clock(
        kind=rng.choice(list(ClockKind)), source="github", item_key=f"acme/shop#{index // 3}", client=client,
        seq=index % 3, developer=rng.choice(developers), started_at=started,
        stopped_at=started + timedelta(seconds=elapsed) if stopped else None, elapsed_seconds=elapsed,
        target_seconds=target, running_since=running_since, deadline=deadline, at_risk_at=at_risk, evidence=(),
        cancelled=stopped and rng.random() < 0.08,
    )


def store_random_clocks(factory, seed: int, count: int, developers: list[str | None] = DEVELOPERS) -> list[Clock]:
    """Store `count` random clocks and return them as they read back (figures carry no evidence)."""
    rng = random.Random(seed)
    clocks = [random_clock(rng, i, developers) for i in range(count)]
    if clocks:
        with transaction(factory) as session:
            session.execute(insert(ClockRow), [clock_to_row(c) for c in clocks])
    return clocks


@pytest.fixture(params=[1, 2, 3])
def stored(request, factory) -> list[Clock]:
    """A few hundred random clocks, different for each seed, stored in a fresh database."""
    return store_random_clocks(factory, request.param, 300)
