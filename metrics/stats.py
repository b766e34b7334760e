"""Statistics over clocks: counts, attainment and durations, with ``now`` passed in.

Open clocks are counted honestly: a message still unanswered past its target is breached and counts
against attainment, never dropped. Durations (median, p90, mean) are over stopped clocks only, since an
open clock's final duration is not known yet. Cancelled clocks (a question withdrawn, a bug that was not
one after all) are counted apart and take no part in attainment or durations.

``summarize`` (over clocks grouped with ``group_clocks``) is the definition of the figures: the service
computes them in SQL (app.reports.figures), and tests/reports/figures hold that to this. Both pick the
median's and p90's values with ``percentile_ranks`` and mix them with ``percentile_between``.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from metrics.model import Clock, ClockState

N = TypeVar("N")  # a count of values: an int, or a SQL expression that counts them


@dataclass(frozen=True, slots=True)
class GroupStats:
    """What a group of clocks amounts to at one moment."""

    clocks: int
    running: int  # not stopped yet, whatever the state (running, at risk, paused, breached)
    met: int
    breached: int  # past the target, stopped or still running
    at_risk: int
    paused: int
    attainment: float | None  # met / (met + breached); None when both are 0
    median_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None
    cancelled: int = 0  # ended without a verdict: listed apart, in none of the counts or figures above


def summarize(clocks: Iterable[Clock], now: datetime) -> GroupStats:
    """Count the clocks by state at `now` and describe how long the stopped ones took."""
    every = list(clocks)
    clocks = [clock for clock in every if not clock.cancelled]
    states = [clock.state_at(now) for clock in clocks]
    met = states.count(ClockState.MET)
    breached = states.count(ClockState.BREACHED)
    durations = [clock.elapsed_seconds for clock in clocks if clock.stopped]
    return GroupStats(
        clocks=len(clocks),
        running=sum(1 for clock in clocks if not clock.stopped),
        met=met,
        breached=breached,
        at_risk=states.count(ClockState.AT_RISK),
        paused=states.count(ClockState.PAUSED),
        attainment=met / (met + breached) if met + breached else None,
        median_seconds=float(statistics.median(durations)) if durations else None,
        p90_seconds=percentile(durations, 90) if durations else None,
        mean_seconds=statistics.fmean(durations) if durations else None,
        cancelled=len(every) - len(clocks),
    )


def percentile(values: Iterable[float], q: int) -> float:
    """Return the q-th percentile (a whole number, 0-100), interpolating linearly between closest ranks like numpy."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("a percentile needs at least one value.")
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile must be between 0 and 100, not {q}.")
    below, above = percentile_ranks(len(ordered), q)
    return percentile_between(len(ordered), q, ordered[below], ordered[above])


def percentile_ranks(n: N, q: int, least: Callable[[N, N], N] = min) -> tuple[N, N]:
    """Return the 0-based ranks of the two sorted values, among n, that the q-th percentile lies between.

    Whole-number arithmetic only, so that n may be a SQL expression too (with least=func.least): the
    database then picks the very values percentile() would. The 50th percentile is the median (the
    middle value, or the mean of the two middle ones).
    """
    below = (n - 1) * q // 100
    return below, least(below + 1, n - 1)


def percentile_between(n: int, q: int, low: float, high: float) -> float:
    """Combine the values found at percentile_ranks(n, q) into the q-th percentile of the n values."""
    position = (n - 1) * q / 100  # a float, as numpy computes it, so the result agrees to the last bit
    return float(low + (high - low) * (position - math.floor(position)))


def group_clocks(clocks: Iterable[Clock], key: Callable[[Clock], str]) -> dict[str, list[Clock]]:
    """Group clocks by a key (developer, client, ISO week...), keys in sorted order."""
    groups: dict[str, list[Clock]] = defaultdict(list)
    for clock in clocks:
        groups[key(clock)].append(clock)
    return {name: groups[name] for name in sorted(groups)}

