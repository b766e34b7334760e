from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from metrics.model import Clock, ClockKind
from metrics.stats import GroupStats, group_clocks, percentile, percentile_between, percentile_ranks, summarize

NOW = datetime(2026, 2, 13, 12, 0, tzinfo=UTC)


def clock(
    seq: int,
    *,
    elapsed: int = 0,
    target: int = 1800,
    stopped: bool = False,
    paused: bool = False,
    deadline_in: float | None = None,
    at_risk_in: float | None = None,
    developer: str | None = "dev",
) -> Clock:
    """A clock as of NOW; *_in are seconds from NOW (negative: already passed)."""
    running = not stopped and not paused
    return Clock(
        kind=ClockKind.RESPONSE,
        source="github",
        item_key=f"acme/app#{seq}",
        client="acme",
        seq=0,
        developer=developer,
        started_at=NOW - timedelta(hours=1),
        stopped_at=NOW - timedelta(minutes=5) if stopped else None,
        elapsed_seconds=elapsed,
        target_seconds=target,
        running_since=NOW - timedelta(hours=1) if running else None,
        deadline=NOW + timedelta(seconds=deadline_in) if running and deadline_in is not None else None,
        at_risk_at=NOW + timedelta(seconds=at_risk_in) if running and at_risk_in is not None else None,
        evidence=(),
    )


MIXED = [
    clock(1, elapsed=600, stopped=True),  # met
    clock(2, elapsed=1800, stopped=True),  # exactly at target: met
    clock(3, elapsed=2400, stopped=True),  # breached
    clock(4, deadline_in=-1200, at_risk_in=-1650),  # unanswered past its target: breached, counted
    clock(5, deadline_in=600, at_risk_in=-100),  # at risk
    clock(6, deadline_in=1000, at_risk_in=500),  # running
    clock(7, elapsed=100, paused=True),  # paused
]


def test_summarize_counts_open_clocks_honestly():
    assert summarize(MIXED, NOW) == GroupStats(
        clocks=7,
        running=4,
        met=2,
        breached=2,
        at_risk=1,
        paused=1,
        attainment=0.5,
        median_seconds=1800.0,
        p90_seconds=2280.0,
        mean_seconds=1600.0,
    )


def test_an_unanswered_message_past_its_target_counts_against_attainment():
    only_open = [clock(1, deadline_in=-1), clock(2, deadline_in=1, at_risk_in=5)]
    stats = summarize(only_open, NOW)
    assert (stats.running, stats.met, stats.breached, stats.attainment) == (2, 0, 1, 0.0)
    assert (stats.median_seconds, stats.p90_seconds, stats.mean_seconds) == (None, None, None)


@pytest.mark.parametrize(
    ("clocks", "attainment"),
    [([], None), ([clock(1, deadline_in=60, at_risk_in=30)], None), ([clock(1, elapsed=5, stopped=True)], 1.0)],
)
def test_attainment_is_none_without_met_or_breached(clocks, attainment):
    assert summarize(clocks, NOW).attainment == attainment


def test_summarize_of_nothing():
    assert summarize(iter(()), NOW) == GroupStats(0, 0, 0, 0, 0, 0, None, None, None, None)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        # Expected values worked out by hand with numpy's default ("linear") method:
        # position = (n - 1) * q / 100, interpolated between the two closest ranks.
        ([1, 2, 3, 4], 90, 3.7),
        ([15, 20, 35, 40, 50], 90, 46.0),
        ([15, 20, 35, 40, 50], 50, 35.0),
        ([15, 20, 35, 40, 50], 40, 29.0),
        ([15, 20, 35, 40, 50], 25, 20.0),
        (list(range(1, 11)), 90, 9.1),
        ([600, 1200, 1800, 2700, 7200, 86400], 90, 46800.0),
        ([10], 90, 10.0),
        ([3, 1, 2], 0, 1.0),
        ([3, 1, 2], 100, 3.0),
    ],
)
def test_percentile_matches_numpy(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(("values", "q", "message"), [([], 50, "at least one"), ([1], 101, "between 0 and 100")])
def test_percentile_refuses_nonsense(values, q, message):
    with pytest.raises(ValueError, match=message):
        percentile(values, q)


@pytest.mark.parametrize(
    ("n", "median", "p90"),
    [
        (1, (0, 0), (0, 0)),  # one value is every percentile
        (2, (0, 1), (0, 1)),
        (3, (1, 2), (1, 2)),  # odd: the middle value (the one above comes with nothing of its own)
        (10, (4, 5), (8, 9)),
        (11, (5, 6), (9, 10)),  # the p90 of 11 is exactly the tenth value
    ],
)
def test_percentile_ranks_of_the_median_and_the_p90(n, median, p90):
    assert percentile_ranks(n, 50) == median
    assert percentile_ranks(n, 90) == p90


@pytest.mark.parametrize(("n", "q", "low", "high", "expected"), [
    (1, 90, 7, 7, 7.0), (2, 50, 10, 20, 15.0), (2, 90, 10, 20, 19.0), (3, 50, 10, 20, 10.0), (3, 90, 10, 20, 18.0),
    (10, 50, 5, 6, 5.5), (10, 90, 9, 10, 9.1), (11, 50, 6, 7, 6.0), (11, 90, 10, 11, 10.0),
])
def test_percentile_between_mixes_the_two_values(n, q, low, high, expected):
    assert percentile_between(n, q, low, high) == pytest.approx(expected)


def test_percentile_ranks_take_sql_like_arguments():
    """The same arithmetic builds the database's ranks: any number-like n and any two-argument minimum."""
    calls = []

    def least(a, b):
        calls.append((a, b))
        return min(a, b)

    assert percentile_ranks(11, 90, least) == (9, 10)
    assert calls == [(10, 10)]


def test_the_50th_percentile_is_the_median_of_whole_seconds():
    rng = random.Random(7)
    for n in range(1, 40):
        values = [rng.randint(0, 10**7) for _ in range(n)]
        assert percentile(values, 50) == float(statistics.median(values)), values


def test_group_clocks_by_developer():
    clocks = [clock(1, developer="bob"), clock(2, developer=None), clock(3, developer="ann"), clock(4, developer="bob")]
    groups = group_clocks(clocks, key=lambda c: c.developer or "unassigned")
    assert list(groups) == ["ann", "bob", "unassigned"]
    assert [c.item_key for c in groups["bob"]] == ["acme/app#1", "acme/app#4"]

