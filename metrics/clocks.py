"""Clocks: a work item's history in, its promises (response, production-bug fix) out.

``compute_clocks`` is deterministic and takes no ``now``: a clock that is still running carries the UTC
moments it becomes at risk and breaches, so a query decides its state with ``Clock.state_at(now)``.
The rules live in ``metrics.response`` and ``metrics.bug_fix``; ``metrics.timer`` is what both build on.
"""

from __future__ import annotations

from metrics.bug_fix import bug_fix_clocks
from metrics.model import Clock, ClockPolicy, ItemHistory
from metrics.response import response_clocks


def compute_clocks(item: ItemHistory, policy: ClockPolicy) -> list[Clock]:
    """Return every clock of one work item: response clocks first, then production-bug clocks."""
    if item.deleted:
        return []  # nothing can answer or fix a deleted item any more
    clocks = response_clocks(item, policy) + bug_fix_clocks(item, policy)
    if policy.since is not None:  # the contract's start: what began before it is not counted
        clocks = [clock for clock in clocks if clock.started_at >= policy.since]
    return clocks
