"""The two parts a group's figures are found in by SQL: its stopped clocks, counted and ranked, and its
open ones, counted by their state at `now`."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.stats import GroupStats, percentile_between, percentile_ranks

# The percentiles the figures report: the median, then the p90.
PERCENTILES = (50, 90)


def reported_ranks(n: Any, least: Callable[[Any, Any], Any] = min) -> list[Any]:
    """Return the 0-based ranks of the durations the median and the p90 of n are made of (or SQL for them)."""
    return [rank for q in PERCENTILES for rank in percentile_ranks(n, q, least)]


@dataclass(frozen=True)
class StoppedClocks:
    """A group's stopped clocks: their statistics, and the lowest and highest of their targets."""

    stats: GroupStats
    lowest_target: int
    highest_target: int

    @classmethod
    def from_ranked(cls, n: int, met: int, total: int, lowest_target: int, highest_target: int,
                    at_ranks: Sequence[int]) -> StoppedClocks:
        """Summarize n stopped clocks from their counts, their durations' sum and the durations at reported_ranks(n)."""
        median, p90 = (percentile_between(n, q, low, high)
                       for q, low, high in zip(PERCENTILES, at_ranks[::2], at_ranks[1::2], strict=True))
        stats = GroupStats(n, 0, met, n - met, 0, 0, met / n, median, p90, float(int(total)) / n)
        return cls(stats, lowest_target, highest_target)

    @classmethod
    def counted(cls, n: int, met: int, total: int, lowest_target: int, highest_target: int) -> StoppedClocks:
        """Summarize n stopped clocks from their counts alone: no median or p90 (for attainment only)."""
        stats = GroupStats(n, 0, met, n - met, 0, 0, met / n, None, None, float(int(total)) / n)
        return cls(stats, lowest_target, highest_target)


@dataclass
class OpenClocks:
    """A group's clocks not stopped yet: how many are in each state, and the lowest and highest target."""

    states: Counter[str]
    lowest_target: int
    highest_target: int

    def add(self, state: str, count: int, lowest_target: int, highest_target: int) -> None:
        self.states[state] += count
        self.lowest_target = min(self.lowest_target, lowest_target)
        self.highest_target = max(self.highest_target, highest_target)

    @classmethod
    def merged(cls, parts: Iterable[OpenClocks]) -> OpenClocks:
        """Count the open clocks of several groups as one."""
        parts = list(parts)
        states: Counter[str] = Counter()
        for part in parts:
            states.update(part.states)
        return cls(states, min(p.lowest_target for p in parts), max(p.highest_target for p in parts))


def regroup(found: dict[tuple[Any, ...], Any], keys: Sequence[str],
            within: Sequence[str]) -> dict[tuple[Any, ...], list[Any]]:
    """Gather groups keyed by `keys` into the coarser groups keyed by `within` (a subset of `keys`)."""
    if tuple(within) == tuple(keys):
        return {key: [value] for key, value in found.items()}
    positions = [list(keys).index(key) for key in within]
    out: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for key, value in found.items():
        out[tuple(key[i] for i in positions)].append(value)
    return out
