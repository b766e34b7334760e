"""Figures per group of stored clocks, computed in SQL: counts by state, attainment, exact median and p90.

The stopped clocks of a group are counted and ranked (the values at the ranks the median and p90 need,
picked exactly: see metrics.stats.percentile_ranks), the open ones counted by their state at `now` with
state_expr in SQL; Python only does the last arithmetic on those few numbers, so the figures are those
metrics.stats.summarize defines (tests/reports/figures hold them to it). PostgreSQL ranks in SQL; SQLite
reads the durations (app.reports.ranked_durations).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.core.db import with_local_weeks
from app.core.tables import WorkItemRow
from app.reports.clocks import ClockFilter, FilterShape, bound_filter, person_name, storable, week_calendar
from app.reports.figure_parts import OpenClocks, StoppedClocks, regroup
from app.reports.figure_statements import (
    SORT_MEMORY,
    cancelled_counts,
    open_states,
    ranked_stopped,
    stopped_counts,
)
from app.reports.ranked_durations import rank_together, read_stopped_durations, stopped_in_order
from metrics.model import ClockKind, ClockState
from metrics.stats import GroupStats
from metrics.wording import human_duration, week_name

GroupKey = tuple[Any, ...]  # the values of a grouping's keys, in its order (see key_column)


@dataclass(frozen=True)
class GroupFigures:
    """One group's statistics at `now`, and its target when all its clocks share one."""

    stats: GroupStats
    target: int | None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as the API and the pages show them: seconds, and the same in words."""
        stats = self.stats
        out: dict[str, Any] = {
            "clocks": stats.clocks, "met": stats.met, "breached": stats.breached, "running": stats.running,
            "at_risk": stats.at_risk, "paused": stats.paused, "cancelled": stats.cancelled,
            "attainment": None if stats.attainment is None else round(stats.attainment, 4),
        }
        for name, value in (("median", stats.median_seconds), ("p90", stats.p90_seconds),
                            ("mean", stats.mean_seconds)):
            out[f"{name}_seconds"] = None if value is None else round(value, 1)
            out[name] = human_duration(value)
        out["target_seconds"] = self.target
        out["target"] = human_duration(self.target)
        return out


NO_CLOCKS = GroupFigures(GroupStats(0, 0, 0, 0, 0, 0, None, None, None, None), None)


def _with_open(stopped: GroupStats, states: Counter[str]) -> GroupStats:
    """Add the open clocks, counted by state, and the cancelled ones (apart) to the stopped ones' statistics."""
    cancelled = states[ClockState.CANCELLED.value]
    running = sum(states.values()) - cancelled
    met, breached = stopped.met, stopped.breached + states[ClockState.BREACHED.value]
    return replace(
        stopped, clocks=stopped.clocks + running, running=running, breached=breached,
        at_risk=states[ClockState.AT_RISK.value], paused=states[ClockState.PAUSED.value],
        attainment=met / (met + breached) if met + breached else None, cancelled=cancelled,
    )


def _combine(stopped: dict[GroupKey, StoppedClocks],
             opened: dict[GroupKey, OpenClocks]) -> dict[GroupKey, GroupFigures]:
    """Put each group's stopped and open clocks together into its figures."""
    out = {}
    for group in stopped.keys() | opened.keys():
        closed, still_open = stopped.get(group), opened.get(group)
        parts: list[StoppedClocks | OpenClocks] = [part for part in (closed, still_open) if part is not None]
        low, high = min(p.lowest_target for p in parts), max(p.highest_target for p in parts)
        stats = _with_open(closed.stats if closed else NO_CLOCKS.stats, still_open.states if still_open else Counter())
        out[group] = GroupFigures(stats, low if low == high else None)
    return out


def _read_open(session: Session, keys: tuple[str, ...], shape: FilterShape,
               params: dict[str, Any]) -> dict[GroupKey, OpenClocks]:
    """Count the open clocks per group and state at `now`, and the cancelled ones as the state 'cancelled'."""
    out: dict[GroupKey, OpenClocks] = {}
    dialect = session.get_bind().dialect.name
    for stmt in (open_states(dialect, keys, shape), cancelled_counts(dialect, keys, shape)):
        for *key, state, count, low, high in session.execute(stmt, params):
            if (found := out.get(tuple(key))) is None:
                out[tuple(key)] = OpenClocks(Counter({state: count}), low, high)
            else:
                found.add(state, count, low, high)
    return out


def _with_week_dates(found: dict[GroupKey, GroupFigures], keys: Sequence[str]) -> dict[GroupKey, GroupFigures]:
    """Make the week in each key a date on both databases: SQLite hands the Monday back as ISO text."""
    i = next((i for i, key in enumerate(keys) if key in ("week", "local_week")), None)
    if i is None:
        return found
    return {(*key[:i], date.fromisoformat(key[i]) if isinstance(key[i], str) else key[i], *key[i + 1:]): value
            for key, value in found.items()}


def _weeks_in(zone: str, groupings: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """Name the week key of each grouping for its time zone: UTC weeks, or local ones in `zone` (key_column)."""
    week = "week" if zone == "UTC" else "local_week"
    return [tuple(week if key == "week" else key for key in keys) for keys in groupings]


def figures_by(session: Session, flt: ClockFilter, keys: Sequence[str], now: datetime, *,
               week_zone: str = "UTC") -> dict[GroupKey, GroupFigures]:
    """Return the figures of the clocks matching a filter per group of `keys` (see key_column), weeks in `week_zone`."""
    return figures_by_groupings(session, flt, [keys], now, week_zone=week_zone)[0]


def figures_by_groupings(session: Session, flt: ClockFilter, groupings: Sequence[Sequence[str]],
                         now: datetime, *, week_zone: str = "UTC") -> list[dict[GroupKey, GroupFigures]]:
    """figures_by() for several groupings of the same clocks; SQLite reads the clocks once for all of them."""
    if not storable(flt.client, flt.developer):
        return [{} for _ in groupings]
    shape, params = bound_filter(flt, now)
    groupings = _weeks_in(week_zone, groupings)
    params["week_zone"] = week_zone
    if session.get_bind().dialect.name == "postgresql":
        session.execute(SORT_MEMORY)
        out = []
        for keys in groupings:
            stmt, width = ranked_stopped(tuple(keys), shape), len(keys)
            stopped = {tuple(row[:width]): StoppedClocks.from_ranked(*row[width:width + 5], row[width + 5:])
                       for row in session.execute(stmt, params)}
            out.append(_with_week_dates(_combine(stopped, _read_open(session, tuple(keys), shape, params)), keys))
        return out
    every = tuple(dict.fromkeys(key for keys in groupings for key in keys))
    if "local_week" in every:
        with_local_weeks(session)
    durations = read_stopped_durations(session, every, shape, params)
    opened = _read_open(session, every, shape, params)
    out = []
    for keys in groupings:
        stopped = {key: rank_together(parts) for key, parts in regroup(durations, every, keys).items()}
        still_open = {key: OpenClocks.merged(parts) for key, parts in regroup(opened, every, keys).items()}
        out.append(_with_week_dates(_combine(stopped, still_open), keys))
    return out


def _counted_together(parts: Sequence[tuple[int, int, int, int, int]]) -> StoppedClocks:
    """Several groups' counts of stopped clocks (count, met, durations' sum, lowest and highest target) as one."""
    counts, met, total, lows, highs = zip(*parts, strict=True)
    return StoppedClocks.counted(sum(counts), sum(met), sum(total), min(lows), max(highs))


def attainment_by_groupings(session: Session, flt: ClockFilter, groupings: Sequence[Sequence[str]],
                            now: datetime, *, week_zone: str = "UTC") -> list[dict[GroupKey, GroupFigures]]:
    """figures_by_groupings() without the ranked figures: the same counts, attainment and mean per group, the
    median and p90 left None (nothing is ranked or read clock by clock). For callers that judge attainment alone,
    such as the alignment of ratings with delivery.

    Counts add up, so the clocks are counted once, grouped by every key any grouping names, and each grouping's
    figures are those counts summed (a year of a company's clocks by client and by client and developer: one
    grouped statement instead of two, each of which read all 240,000 clocks on SQLite)."""
    if not storable(flt.client, flt.developer):
        return [{} for _ in groupings]
    shape, params = bound_filter(flt, now)
    params["week_zone"] = week_zone
    dialect = session.get_bind().dialect.name
    groupings = _weeks_in(week_zone, groupings)
    every = tuple(dict.fromkeys(key for keys in groupings for key in keys))
    if dialect == "sqlite" and "local_week" in every:
        with_local_weeks(session)
    width = len(every)
    counted = {tuple(row[:width]): tuple(row[width:])
               for row in session.execute(stopped_counts(dialect, every, shape), params)}
    opened = _read_open(session, every, shape, params)
    out = []
    for keys in groupings:
        stopped = {key: _counted_together(parts) for key, parts in regroup(counted, every, keys).items()}
        still_open = {key: OpenClocks.merged(parts) for key, parts in regroup(opened, every, keys).items()}
        out.append(_with_week_dates(_combine(stopped, still_open), keys))
    return out


def figures_by_developer(session: Session, flt: ClockFilter, now: datetime) -> dict[str | None, GroupFigures]:
    """Return the figures per credited person id (None: nobody), through the indexes kept for them."""
    plain = flt.kind is not None and flt.client is None and flt.developer is None and flt.state is None
    if session.get_bind().dialect.name != "sqlite" or not plain or flt.open_only:
        return {key: found for (key,), found in figures_by(session, flt, ["developer"], now).items()}
    opened = _read_open(session, ("developer",), *bound_filter(flt, now))
    stopped = stopped_in_order(session, flt, now)
    return {key: found for (key,), found in _combine(stopped, opened).items()}


def figures_by_client_and_kind(session: Session, flt: ClockFilter, now: datetime) -> dict[GroupKey, GroupFigures]:
    """Return the figures per (client, kind); SQLite walks each kind's clients in index order for a plain window
    instead of reading every stopped clock (a year of a company's clocks is hundreds of thousands)."""
    plain = flt.kind is None and flt.client is None and flt.developer is None and flt.state is None
    if session.get_bind().dialect.name != "sqlite" or not plain or flt.open_only:
        return figures_by(session, flt, ["client", "kind"], now)
    out: dict[GroupKey, GroupFigures] = {}
    for kind in ClockKind:
        one = replace(flt, kind=kind)
        opened = _read_open(session, ("client",), *bound_filter(one, now))
        stopped = stopped_in_order(session, one, now, "client")
        out |= {(client, kind.value): found for (client,), found in _combine(stopped, opened).items()}
    return out


# --- the groups of GET /v1/metrics/*, named ------------------------------------------------------------------

def _credited_figures(session: Session, flt: ClockFilter, now: datetime) -> dict[str, GroupFigures] | None:
    """Figures per developer keyed as the API names them; None when nobody, '' and 'unassigned' would share one."""
    found = figures_by_developer(session, flt, now)
    if sum(1 for key in found if not key or key == "unassigned") > 1:
        return None
    return {key or "unassigned": value for key, value in found.items()}


_GROUP_KEYS = {"developer": "credited", "client": "client", "work_item": "work_item", "week": "week"}


def _titles(session: Session, keys: Iterable[str]) -> dict[str, str]:
    keys = sorted(set(keys))
    out: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(WorkItemRow.key, WorkItemRow.title).where(WorkItemRow.key.in_(keys[start : start + 500]))
        )
        out.update({k: t or k for k, t in rows})
    return out


def _group_name(key: str, group_by: str, contracts: Contracts, titles: dict[str, str]) -> str:
    if group_by == "developer":
        return person_name(key, contracts)
    if group_by == "work_item":
        return titles.get(key, key)
    return key


def metric_groups(
    session: Session, flt: ClockFilter, group_by: str, contracts: Contracts, now: datetime
) -> list[dict[str, Any]]:
    """Return the figures of the clocks matching a filter per developer, client, work item or week, named.

    Weeks are the client's own when the filter names one (week_calendar), else UTC weeks.
    """
    if not storable(flt.client, flt.developer):
        return []
    found = _credited_figures(session, flt, now) if group_by == "developer" else None
    if found is None:
        zone = week_calendar(contracts, flt.client).timezone
        found = {key: value for (key,), value in
                 figures_by(session, flt, [_GROUP_KEYS[group_by]], now, week_zone=zone).items()}
    if group_by == "week":
        found = {week_name(key): value for key, value in found.items()}
    titles = _titles(session, found) if group_by == "work_item" else {}
    return [
        {"key": key, "name": _group_name(key, group_by, contracts, titles), **found[key].as_dict()}
        for key in sorted(found)
    ]
