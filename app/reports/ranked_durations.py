"""SQLite: find the durations at the median's and p90's ranks by reading them, as it has no ordered aggregate.

Its window functions cost more than reading the durations (two integers a clock, through a covering
index) and sorting them in Python: 1.1 to 2.9 times more on a year of 790,000 clocks. So every stopped
clock's duration is read once (read_stopped_durations), or, for a developer's many clocks, only the runs
around the ranks, in index order (stopped_in_order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import CompoundSelect, Select, bindparam, case, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from app.core.tables import ClockRow
from app.reports.clocks import ClockFilter, FilterShape, bound_filter, counted_stopped, filter_terms
from app.reports.figure_parts import PERCENTILES, StoppedClocks, reported_ranks
from app.reports.figure_statements import stopped_durations
from metrics.stats import percentile_ranks


@dataclass
class StoppedDurations:
    """A group's stopped clocks as read: their durations in order, how many met their target, the
    durations' sum, the lowest and the highest target."""

    values: list[int]
    met: int
    total: int
    low: int
    high: int


def read_stopped_durations(session: Session, keys: tuple[str, ...], shape: FilterShape,
                           params: dict[str, Any]) -> dict[tuple[Any, ...], StoppedDurations]:
    """Read the duration and target of every stopped clock matching the filter, per group of `keys`."""
    read: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    width = len(keys)
    for row in session.execute(stopped_durations(keys, shape), params):
        read[row[:width]].append(row[width:])
    out = {}
    for key, found in read.items():
        values, targets = [value for value, _ in found], [target for _, target in found]
        values.sort()
        met = sum(1 for value, target in found if value <= target)
        out[key] = StoppedDurations(values, met, sum(values), min(targets), max(targets))
    return out


def rank_together(groups: Sequence[StoppedDurations]) -> StoppedClocks:
    """Count and rank the stopped clocks of one or more groups together, as PostgreSQL's ranking does."""
    # Several groups: their sorted runs, merged by the sort.
    values = groups[0].values if len(groups) == 1 else sorted(value for group in groups for value in group.values)
    return StoppedClocks.from_ranked(len(values), sum(g.met for g in groups), sum(g.total for g in groups),
                                     min(g.low for g in groups), max(g.high for g in groups),
                                     [values[rank] for rank in reported_ranks(len(values))])


# --- each developer's or client's durations, read in order -----------------------------------------------------

# Below this many durations per group on average, reading them all once costs less than a read per group.
_FEW_PER_READ = 60


@lru_cache(maxsize=1)
def _span() -> Select[Any]:
    of_kind = ClockRow.kind == bindparam("kind")  # min and max apart: each is then one step down the index
    return select(select(func.min(ClockRow.started_at)).where(of_kind).scalar_subquery(),
                  select(func.max(ClockRow.started_at)).where(of_kind).scalar_subquery())


def _window_share(session: Session, flt: ClockFilter) -> float:
    """Judge by their span how much of the stored clocks of a kind the time window holds: 1.0 when all."""
    first, last = session.execute(_span(), {"kind": flt.kind and flt.kind.value}).one()
    if first is None or last is None:
        return 1.0
    since = first if flt.since is None else max(flt.since, first)
    if since <= first and (flt.until is None or flt.until > last):
        return 1.0
    until = last if flt.until is None else min(flt.until, last)
    return min(0.99, max(0.0, (until - since) / (last - first))) if last > first else 0.0


# Runs of durations read in one statement: two per developer (the median's ranks and the p90's), each a
# branch of one UNION ALL, within SQLite's limit of 500 branches.
_RUNS_PER_READ = 200


# The column a walk groups by, each with an index of (kind, column, elapsed_seconds) over the counted stopped clocks.
WALKED = {"developer": ClockRow.developer, "client": ClockRow.client}


@lru_cache(maxsize=32)
def _group_counts(shape: FilterShape, walk: bool, column: str) -> Select[Any]:
    """Count each group's stopped clocks, those that met their target, their durations' sum and targets."""
    value, target, who = ClockRow.elapsed_seconds, ClockRow.target_seconds, WALKED[column]
    return select(who, func.count(), func.sum(case((value <= target, 1), else_=0)), func.sum(value),
                  func.min(target), func.max(target)).where(counted_stopped(),
                                                           *filter_terms(shape, walk)).group_by(who)


@lru_cache(maxsize=32)
def _duration_runs(shape: FilterShape, walk: bool, count: int, column: str) -> CompoundSelect:
    """Read `count` runs of a group's durations, longest first: run i is `take{i}` values from `skip{i}`."""
    value, who = ClockRow.elapsed_seconds, WALKED[column]
    terms = [counted_stopped(), *filter_terms(shape, walk)]
    runs = [
        select(value).where(*terms, who.is_not_distinct_from(bindparam(f"who{i}")))
        .order_by(value.desc()).limit(bindparam(f"take{i}")).offset(bindparam(f"skip{i}")).subquery()
        for i in range(count)
    ]
    return union_all(*(select(literal_column(str(i)), run.c.elapsed_seconds) for i, run in enumerate(runs)))


def stopped_in_order(session: Session, flt: ClockFilter, now: datetime,
                     column: str = "developer") -> dict[tuple[Any, ...], StoppedClocks]:
    """Count each developer's (or client's) stopped clocks of one kind, then read the durations at the ranks
    with LIMIT/OFFSET.

    A long window walks each group's durations in order (ix_clocks_durations, ix_clocks_client_durations) and
    never sorts; a short one sorts only that group's clocks in the window (ix_clocks_developer,
    ix_clocks_client), keeping no more than the run it reads. Both read from the longest duration down, so the
    p90 is a few steps away. Window functions would cost several times the whole scan; a statement per run
    cost more than the reads themselves.
    """
    share = _window_share(session, flt)
    walk = share >= 0.5
    shape, params = bound_filter(replace(flt, since=None, until=None) if share == 1.0 else flt, now)
    groups = session.execute(_group_counts(shape, walk, column), params).all()
    if sum(n for _, n, *_ in groups) < _FEW_PER_READ * len(groups):
        found_all = read_stopped_durations(session, (column,), shape, params)
        return {key: rank_together([durations]) for key, durations in found_all.items()}
    runs = []  # (developer, count, first rank, last rank)
    for person, n, *_ in groups:
        runs += [(person, n, *percentile_ranks(n, q)) for q in PERCENTILES]
    found: dict[tuple[str | None, int], int] = {}
    for start in range(0, len(runs), _RUNS_PER_READ):
        chunk = runs[start : start + _RUNS_PER_READ]
        values = dict(params)
        for i, (person, n, first, last) in enumerate(chunk):
            values |= {f"who{i}": person, f"skip{i}": n - 1 - last, f"take{i}": last - first + 1}
        read: dict[int, list[int]] = defaultdict(list)
        for i, value in session.execute(_duration_runs(shape, walk, len(chunk), column), values):
            read[i].append(value)
        for i, (person, _, first, _) in enumerate(chunk):  # a run's values, whatever order they came in
            found.update(((person, first + j), value) for j, value in enumerate(sorted(read[i])))
    return {(person,): StoppedClocks.from_ranked(n, met, total, low, high,
                                                 [found[person, rank] for rank in reported_ranks(n)])
            for person, n, met, total, low, high in groups}
