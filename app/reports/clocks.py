"""Read stored clocks (filtered in SQL), page through them, and turn them into figures."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Date,
    Select,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from app.contracts import Contracts
from app.core.tables import ClockRow, WorkItemRow
from app.store.histories import row_to_clock
from metrics.calendar import Calendar, working_seconds_between
from metrics.model import Clock, ClockKind, ClockState
from metrics.stats import GroupStats, group_clocks, percentile_between, percentile_ranks, summarize
from metrics.wording import human_duration, week_name

_ITEM_JOIN = and_(WorkItemRow.source == ClockRow.source, WorkItemRow.key == ClockRow.item_key)


def storable(*values: str | None) -> bool:
    """Tell whether strings can be compared in SQL (PostgreSQL text holds no NUL character)."""
    return not any(v is not None and "\x00" in v for v in values)


def state_expr(now: datetime | ColumnElement[datetime]) -> ColumnElement[str]:
    """Decide a clock's state at `now` in SQL, exactly as Clock.state_at does."""
    c = ClockRow
    return case(
        (and_(c.stopped_at.is_not(None), c.elapsed_seconds <= c.target_seconds), ClockState.MET.value),
        (c.stopped_at.is_not(None), ClockState.BREACHED.value),
        (c.elapsed_seconds > c.target_seconds, ClockState.BREACHED.value),
        (c.running_since.is_(None), ClockState.PAUSED.value),
        (and_(c.deadline.is_not(None), c.deadline < now), ClockState.BREACHED.value),
        (and_(c.at_risk_at.is_not(None), c.at_risk_at <= now), ClockState.AT_RISK.value),
        else_=ClockState.RUNNING.value,
    )


@dataclass(frozen=True)
class ClockFilter:
    kind: ClockKind | None = None
    client: str | None = None
    developer: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    state: ClockState | None = None
    open_only: bool = False

    def apply(self, stmt: Select[Any], now: datetime | None = None) -> Select[Any]:
        if not storable(self.client, self.developer):
            return stmt.where(false())
        if self.kind is not None:
            stmt = stmt.where(ClockRow.kind == self.kind.value)
        else:  # lets the (kind, started_at) index serve a plain time window
            stmt = stmt.where(ClockRow.kind.in_([k.value for k in ClockKind]))
        if self.client is not None:
            stmt = stmt.where(ClockRow.client == self.client)
        if self.developer is not None:
            stmt = stmt.where(ClockRow.developer == self.developer)
        if self.since is not None:
            stmt = stmt.where(ClockRow.started_at >= self.since)
        if self.until is not None:
            stmt = stmt.where(ClockRow.started_at < self.until)
        if self.open_only:
            stmt = stmt.where(ClockRow.stopped_at.is_(None))
        if self.state is not None:
            if now is None:
                raise ValueError("filtering by state needs the moment `now`")
            stmt = stmt.where(state_expr(now) == self.state.value)
        return stmt


_FIGURE_COLUMNS = (ClockRow.kind, ClockRow.source, ClockRow.item_key, ClockRow.client, ClockRow.seq,
                   ClockRow.developer, ClockRow.started_at, ClockRow.stopped_at, ClockRow.elapsed_seconds,
                   ClockRow.target_seconds, ClockRow.running_since, ClockRow.deadline, ClockRow.at_risk_at)


def load_clocks(session: Session, flt: ClockFilter, now: datetime | None = None) -> list[Clock]:
    """Return the stored clocks matching a filter, for figures: without their evidence (not read, so faster)."""
    kinds = {k.value: k for k in ClockKind}
    return [
        Clock(kinds[kind], *rest, evidence=())
        for kind, *rest in session.execute(flt.apply(select(*_FIGURE_COLUMNS), now))
    ]


@dataclass(frozen=True)
class ClockView:
    """A clock as shown to people: its work item's link and title, its state and elapsed time right now."""

    clock: Clock
    url: str | None
    title: str | None
    state: ClockState
    elapsed_seconds: int


def clock_calendar(clock: Clock, contracts: Contracts) -> Calendar:
    client = contracts.clients.get(clock.client)
    if client is None:  # the client left the contracts file; its stored clocks still show, counted 24/7
        return Calendar.always_on()
    return client.policy.calendar_for(clock.kind)


def live_elapsed(clock: Clock, contracts: Contracts, now: datetime) -> int:
    """Return a clock's working seconds so far: stored ones, plus the running segment up to `now`."""
    return live_elapsed_all([clock], contracts, now)[0]


def live_elapsed_all(clocks: Sequence[Clock], contracts: Contracts, now: datetime) -> list[int]:
    """Return each clock's working seconds so far, walking each calendar back from `now` only once.

    Working time is additive, w(a, now) = w(a, b) + w(b, now), so running clocks sorted by the start of
    their running segment share the count from the later ones: a page of long-open clocks costs one pass
    over the oldest span instead of one per clock.
    """
    out = [c.elapsed_seconds for c in clocks]
    running: dict[Calendar, list[int]] = defaultdict(list)
    for i, clock in enumerate(clocks):
        if not clock.stopped and clock.running_since is not None:
            running[clock_calendar(clock, contracts)].append(i)
    for calendar, members in running.items():
        members.sort(key=lambda i: clocks[i].running_since or now, reverse=True)
        counted, mark = 0, now
        for i in members:
            since = clocks[i].running_since or now
            if since < mark:
                counted += working_seconds_between(since, mark, calendar)
                mark = since
            out[i] = clocks[i].elapsed_seconds + counted
    return out


_Found = tuple[Clock, str | None, str | None]


def _found(session: Session, stmt: Select[Any]) -> list[_Found]:
    return [(row_to_clock(row), url, title) for row, url, title in session.execute(stmt)]


def _as_views(found: Sequence[_Found], contracts: Contracts, now: datetime) -> list[ClockView]:
    elapsed = live_elapsed_all([clock for clock, _, _ in found], contracts, now)
    return [ClockView(clock, url, title, clock.state_at(now), seconds)
            for (clock, url, title), seconds in zip(found, elapsed, strict=True)]


def _views(session: Session, stmt: Select[Any], contracts: Contracts, now: datetime) -> list[ClockView]:
    return _as_views(_found(session, stmt), contracts, now)


def _view_select() -> Select[Any]:
    return select(ClockRow, WorkItemRow.url, WorkItemRow.title).outerjoin(WorkItemRow, _ITEM_JOIN)


def encode_cursor(clock: Clock) -> str:
    raw = json.dumps([clock.started_at.isoformat(), clock.clock_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Read a cursor this API gave out; raise ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        started, clock_id = json.loads(raw)
        if not isinstance(started, str) or not isinstance(clock_id, str) or not storable(clock_id):
            raise ValueError
        moment = datetime.fromisoformat(started)
        if moment.tzinfo is None:
            raise ValueError
        return moment, clock_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("is not a cursor this API gave out; start again without it") from exc


def clock_page(
    session: Session, flt: ClockFilter, contracts: Contracts, now: datetime, *, limit: int, cursor: str | None
) -> tuple[list[ClockView], str | None]:
    """Return one page of clocks, newest start first, and the cursor of the next page (None at the end).

    Each promise is read on its own and the pages merged: the (kind, started_at) indexes then hand over
    the newest rows directly, where one query over both kinds would sort the whole table.
    """
    after = decode_cursor(cursor) if cursor is not None else None
    # Ties on the start are broken by id in byte order, the same in SQL and in Python.
    tie = ClockRow.id.collate("C") if session.get_bind().dialect.name == "postgresql" else ClockRow.id
    found: list[_Found] = []
    for kind in [flt.kind] if flt.kind is not None else list(ClockKind):
        stmt = replace(flt, kind=kind).apply(_view_select(), now)
        if after is not None:
            started, clock_id = after
            stmt = stmt.where(or_(ClockRow.started_at < started, and_(ClockRow.started_at == started, tie < clock_id)))
        found += _found(session, stmt.order_by(ClockRow.started_at.desc(), tie.desc()).limit(limit + 1))
    found.sort(key=lambda f: (f[0].started_at, f[0].clock_id), reverse=True)
    page = found[:limit]
    next_cursor = encode_cursor(page[-1][0]) if len(found) > limit and page else None
    return _as_views(page, contracts, now), next_cursor


def open_clock_views(session: Session, flt: ClockFilter, contracts: Contracts, now: datetime) -> list[ClockView]:
    """Return the clocks not stopped yet, oldest first (the most urgent on top)."""
    stmt = flt.apply(_view_select().where(ClockRow.stopped_at.is_(None)), now)
    return _views(session, stmt.order_by(ClockRow.started_at, ClockRow.id), contracts, now)


def item_clock_views(session: Session, source: str, key: str, contracts: Contracts, now: datetime) -> list[ClockView]:
    stmt = _view_select().where(ClockRow.source == source, ClockRow.item_key == key)
    return _views(session, stmt.order_by(ClockRow.kind.desc(), ClockRow.seq), contracts, now)


def has_clocks(session: Session, developer: str) -> bool:
    """Tell whether any clock was ever credited to this person id."""
    if not storable(developer):
        return False
    return session.scalar(select(ClockRow.id).where(ClockRow.developer == developer).limit(1)) is not None


def figures(clocks: Sequence[Clock], now: datetime) -> dict[str, Any]:
    """Count and time a group of clocks at `now`: seconds, and the same in words."""
    targets = {c.target_seconds for c in clocks}
    return describe(summarize(clocks, now), targets.pop() if len(targets) == 1 else None)


def describe(stats: GroupStats, target: int | None) -> dict[str, Any]:
    """Turn a group's statistics into figures: seconds, and the same in words."""
    out: dict[str, Any] = {
        "clocks": stats.clocks, "met": stats.met, "breached": stats.breached, "running": stats.running,
        "at_risk": stats.at_risk, "paused": stats.paused,
        "attainment": None if stats.attainment is None else round(stats.attainment, 4),
    }
    for name, value in (("median", stats.median_seconds), ("p90", stats.p90_seconds), ("mean", stats.mean_seconds)):
        out[f"{name}_seconds"] = None if value is None else round(value, 1)
        out[name] = human_duration(value)
    out["target_seconds"] = target
    out["target"] = human_duration(target)
    return out


def group_key(clock: Clock, group_by: str) -> str:
    if group_by == "developer":
        return clock.developer or "unassigned"
    if group_by == "client":
        return clock.client
    if group_by == "work_item":
        return clock.item_key
    return week_name(clock.started_at)


def _titles(session: Session, keys: Iterable[str]) -> dict[str, str]:
    keys = sorted(set(keys))
    out: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(WorkItemRow.key, WorkItemRow.title).where(WorkItemRow.key.in_(keys[start : start + 500]))
        )
        out.update({k: t or k for k, t in rows})
    return out


def group_stats(
    clocks: Sequence[Clock], group_by: str, contracts: Contracts, now: datetime, session: Session | None = None
) -> list[dict[str, Any]]:
    """Summarize clocks per group, in a stable order (by key)."""
    titles = _titles(session, (c.item_key for c in clocks)) if session is not None and group_by == "work_item" else {}
    groups = group_clocks(clocks, lambda c: group_key(c, group_by))
    return [
        {"key": key, "name": _name(key, group_by, contracts, titles), **figures(groups[key], now)}
        for key in sorted(groups)
    ]


def person_name(person: str | None, contracts: Contracts) -> str:
    """Name a credited person: the roster name, else the raw identity, else 'Unassigned'."""
    if person is None or person == "unassigned":
        return "Unassigned"
    spec = contracts.people.get(person)
    return spec.name if spec else person.split(":", 1)[-1]


def _name(key: str, group_by: str, contracts: Contracts, titles: dict[str, str]) -> str:
    if group_by == "developer":
        return person_name(key, contracts)
    if group_by == "work_item":
        return titles.get(key, key)
    return key



# --- figures computed in SQL ----------------------------------------------------------------------------
# The stopped clocks of a group are counted and ranked (the values at the ranks the median and p90 need,
# picked exactly), the open ones counted by their state at `now` with state_expr in SQL; Python only does
# summarize()'s last arithmetic on those few numbers, so the figures are identical to it.
# PostgreSQL ranks in SQL. SQLite has no ordered aggregate, and its window functions cost more than
# reading the durations (two integers a clock, through a covering index) and sorting them in Python:
# 1.1 to 2.9 times more on a year of 790,000 clocks, so it reads them (see _durations).
# Statements are built once per shape of filter and grouping, values bound at each call: building them
# cost more than running them on a developer's month.


@dataclass(frozen=True)
class Tally:
    """One group's statistics at `now`, and its target when all its clocks share one."""

    stats: GroupStats
    target: int | None

    def figures(self) -> dict[str, Any]:
        return describe(self.stats, self.target)


EMPTY = Tally(GroupStats(0, 0, 0, 0, 0, 0, None, None, None, None), None)
_Part = tuple[GroupStats, int, int]  # a group's stopped clocks: their statistics, lowest and highest target
_Shape = tuple[bool, ...]  # which of a ClockFilter's conditions apply


def key_column(name: str, dialect: str) -> ColumnElement[Any]:
    """Return the SQL expression clocks are grouped by: a column, whom they are credited to, or their week."""
    if name == "credited":  # as group_key names it: 'unassigned' when nobody
        return func.coalesce(func.nullif(ClockRow.developer, ""), "unassigned")
    if name == "week":  # the Monday (UTC) of the ISO week the clock started in
        if dialect == "postgresql":
            return cast(func.date_trunc("week", func.timezone("UTC", ClockRow.started_at)), Date)
        # SQLite stores UTC as text; 'weekday 0' moves to the coming Sunday (or stays), then back to Monday.
        return func.date(ClockRow.started_at, "weekday 0", "-6 days")
    return {"kind": ClockRow.kind, "client": ClockRow.client, "developer": ClockRow.developer,
            "work_item": ClockRow.item_key}[name]


def _with_week_dates(found: dict[tuple[Any, ...], Tally], keys: Sequence[str]) -> dict[tuple[Any, ...], Tally]:
    """Make the week in each key a date on both databases: SQLite hands the Monday back as ISO text."""
    if "week" not in keys:
        return found
    i = list(keys).index("week")
    return {(*key[:i], date.fromisoformat(key[i]) if isinstance(key[i], str) else key[i], *key[i + 1:]): value
            for key, value in found.items()}


def _bound(flt: ClockFilter, now: datetime) -> tuple[_Shape, dict[str, Any]]:
    """Split a filter into its shape (which conditions apply) and the values they compare with."""
    values = {"kind": flt.kind and flt.kind.value, "client": flt.client, "developer": flt.developer,
              "since": flt.since, "until": flt.until, "state": flt.state and flt.state.value}
    shape = (*(value is not None for value in values.values()), flt.open_only)
    return shape, {name: value for name, value in values.items() if value is not None} | {"now": now}


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite never narrows an index by a term under a unary plus: the window is then checked row by row
    # while the planner walks a developer's durations in order (https://sqlite.org/optoverview.html).
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _terms(shape: _Shape, walk: bool = False) -> list[ColumnElement[bool]]:
    """The conditions of a filter of this shape, on bound values (see ClockFilter.apply)."""
    kind, client, developer, since, until, state, open_only = shape
    started = _unindexed(ClockRow.started_at) if walk else ClockRow.started_at
    terms = [ClockRow.kind == bindparam("kind") if kind else ClockRow.kind.in_([k.value for k in ClockKind])]
    terms += [ClockRow.client == bindparam("client")] if client else []
    terms += [ClockRow.developer == bindparam("developer")] if developer else []
    terms += [started >= bindparam("since")] if since else []
    terms += [started < bindparam("until")] if until else []
    terms += [ClockRow.stopped_at.is_(None)] if open_only else []
    terms += [state_expr(bindparam("now")) == bindparam("state")] if state else []
    return terms


# The figures' percentiles: the median, then the p90.
_PERCENTILES = (50, 90)


def _ranks(n: Any, least: Callable[[Any, Any], Any] = min) -> list[Any]:
    """The 0-based ranks of the durations the median and the p90 are made of, in a group of n (see percentile_ranks)."""
    return [rank for q in _PERCENTILES for rank in percentile_ranks(n, q, least)]


@lru_cache(maxsize=256)
def _ranked(keys: tuple[str, ...], shape: _Shape) -> Select[Any]:
    """PostgreSQL: count the stopped clocks per group, sort each group's durations into an array and read
    the values at the median's and p90's ranks from it."""
    value, target = ClockRow.elapsed_seconds, ClockRow.target_seconds
    columns = [key_column(key, "postgresql").label(f"k{i}") for i, key in enumerate(keys)]
    grouped = select(
        *columns, func.count().label("n"), func.sum(case((value <= target, 1), else_=0)).label("met"),
        func.sum(value).label("total"), func.min(target).label("low"), func.max(target).label("high"),
        func.array_agg(aggregate_order_by(value, value), type_=ARRAY(BigInteger)).label("durations"),
    ).where(ClockRow.stopped_at.is_not(None), *_terms(shape)).group_by(*(c.element for c in columns)).subquery()
    c = grouped.c
    return select(*(c[column.name] for column in columns), c.n, c.met, c.total, c.low, c.high,
                  *(c.durations[rank + 1] for rank in _ranks(c.n, func.least)))  # arrays count from 1


@lru_cache(maxsize=256)
def _duration_rows(keys: tuple[str, ...], shape: _Shape) -> Select[Any]:
    columns = [key_column(key, "sqlite") for key in keys]
    return select(*columns, ClockRow.elapsed_seconds, ClockRow.target_seconds).where(
        ClockRow.stopped_at.is_not(None), *_terms(shape)
    )


@dataclass
class _Durations:
    """A group's stopped clocks read on SQLite: their durations in order, how many met their target, the
    durations' sum, the lowest and the highest target."""

    values: list[int]
    met: int
    total: int
    low: int
    high: int


def _durations(session: Session, keys: tuple[str, ...], shape: _Shape,
               params: dict[str, Any]) -> dict[tuple[Any, ...], _Durations]:
    """SQLite: read the duration and target of every stopped clock matching the filter, per group."""
    read: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    width = len(keys)
    for row in session.execute(_duration_rows(keys, shape), params):
        read[row[:width]].append(row[width:])
    out = {}
    for key, found in read.items():
        values, targets = [value for value, _ in found], [target for _, target in found]
        values.sort()
        met = sum(1 for value, target in found if value <= target)
        out[key] = _Durations(values, met, sum(values), min(targets), max(targets))
    return out


def _ranked_part(groups: Sequence[_Durations]) -> _Part:
    """Count and rank the stopped clocks of one or more groups together, as the ranking statement does."""
    # Several groups: their sorted runs, merged by the sort.
    values = groups[0].values if len(groups) == 1 else sorted(value for group in groups for value in group.values)
    return _stopped_stats([len(values), sum(g.met for g in groups), sum(g.total for g in groups),
                           min(g.low for g in groups), max(g.high for g in groups),
                           *(values[rank] for rank in _ranks(len(values)))])


def _regroup(found: dict[tuple[Any, ...], Any], keys: tuple[str, ...], within: Sequence[str]) -> dict[tuple, list]:
    """Gather groups keyed by `keys` into the coarser groups keyed by `within` (a subset of `keys`)."""
    if tuple(within) == keys:
        return {key: [value] for key, value in found.items()}
    positions = [keys.index(key) for key in within]
    out: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for key, value in found.items():
        out[tuple(key[i] for i in positions)].append(value)
    return out


@lru_cache(maxsize=256)
def _open_states(dialect: str, keys: tuple[str, ...], shape: _Shape) -> Select[Any]:
    columns = [key_column(key, dialect) for key in keys]
    state = state_expr(bindparam("now")).label("state")
    target = ClockRow.target_seconds
    return select(*columns, state, func.count(), func.min(target), func.max(target)).where(
        ClockRow.stopped_at.is_(None), *_terms(shape)
    ).group_by(*columns, state)


def _stopped_stats(row: Sequence[Any]) -> _Part:
    n, met, total, low, high, *found = row
    median, p90 = (percentile_between(n, q, low_value, high_value)
                   for q, low_value, high_value in zip(_PERCENTILES, found[::2], found[1::2], strict=True))
    stats = GroupStats(n, 0, met, n - met, 0, 0, met / n, median, p90, float(int(total)) / n)
    return stats, low, high


_Open = tuple[Counter[str], int, int]  # a group's open clocks: counted by state, lowest and highest target


def _open_parts(session: Session, keys: tuple[str, ...], shape: _Shape, params: dict[str, Any]) -> dict[tuple, _Open]:
    out: dict[tuple[Any, ...], _Open] = {}
    stmt = _open_states(session.get_bind().dialect.name, keys, shape)
    for *key, state, count, low, high in session.execute(stmt, params):
        states, old_low, old_high = out.get(tuple(key), (Counter(), low, high))
        states[state] += count
        out[tuple(key)] = (states, min(old_low, low), max(old_high, high))
    return out


def _merged_open(parts: list[_Open]) -> _Open:
    states: Counter[str] = Counter()
    for found, _, _ in parts:
        states.update(found)
    return states, min(low for _, low, _ in parts), max(high for _, _, high in parts)


def _combine(
    stopped: dict[tuple[Any, ...], _Part], opened: dict[tuple[Any, ...], tuple[Counter[str], int, int]]
) -> dict[tuple[Any, ...], Tally]:
    out = {}
    for group in stopped.keys() | opened.keys():
        stats, *limits = stopped.get(group, (EMPTY.stats,))
        states, *more = opened.get(group, (Counter(),))
        low, high = min(limits[:1] + more[:1]), max(limits[1:] + more[1:])
        out[group] = Tally(_merge(stats, states), low if low == high else None)
    return out


def _merge(stopped: GroupStats, states: Counter[str]) -> GroupStats:
    """Add the open clocks, counted by state, to the stopped ones' statistics."""
    running = sum(states.values())
    met, breached = stopped.met, stopped.breached + states[ClockState.BREACHED.value]
    return replace(
        stopped, clocks=stopped.clocks + running, running=running, breached=breached,
        at_risk=states[ClockState.AT_RISK.value], paused=states[ClockState.PAUSED.value],
        attainment=met / (met + breached) if met + breached else None,
    )


# PostgreSQL sorts the durations of all groups by group before ranking them: a company's 30-day window of
# responses (62,000 clocks) takes about 5 MB, past the default work_mem of 4 MB, and the sort went to disk
# (97 ms against 56 ms in memory). Raised for the rest of the transaction only.
_SORT_MEMORY = text("SET LOCAL work_mem = '32MB'")


def tally(session: Session, flt: ClockFilter, keys: Sequence[str], now: datetime) -> dict[tuple[Any, ...], Tally]:
    """Return summarize()'s statistics of the clocks matching a filter per group of `keys` (see key_column)."""
    return tallies(session, flt, [keys], now)[0]


def tallies(
    session: Session, flt: ClockFilter, groupings: Sequence[Sequence[str]], now: datetime
) -> list[dict[tuple[Any, ...], Tally]]:
    """tally() for several groupings of the same clocks; SQLite reads the clocks once for all of them."""
    if not storable(flt.client, flt.developer):
        return [{} for _ in groupings]
    shape, params = _bound(flt, now)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SORT_MEMORY)
        out = []
        for keys in groupings:
            stmt, width = _ranked(tuple(keys), shape), len(keys)
            stopped = {tuple(row[:width]): _stopped_stats(row[width:]) for row in session.execute(stmt, params)}
            out.append(_with_week_dates(_combine(stopped, _open_parts(session, tuple(keys), shape, params)), keys))
        return out
    every = tuple(dict.fromkeys(key for keys in groupings for key in keys))
    durations = _durations(session, every, shape, params)
    opened = _open_parts(session, every, shape, params)
    return [
        _with_week_dates(_combine({key: _ranked_part(parts) for key, parts in _regroup(durations, every, keys).items()},
                                  {key: _merged_open(parts) for key, parts in _regroup(opened, every, keys).items()}),
                         keys)
        for keys in groupings
    ]


# --- a developer's figures on SQLite, read in order --------------------------------------------------------

# Below this many durations per developer on average, reading them all once costs less than a read per
# developer.
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


@lru_cache(maxsize=32)
def _in_order(shape: _Shape, walk: bool) -> Select[Any]:
    """Count each developer's stopped clocks."""
    value, target, who = ClockRow.elapsed_seconds, ClockRow.target_seconds, ClockRow.developer
    return select(who, func.count(), func.sum(case((value <= target, 1), else_=0)), func.sum(value),
                  func.min(target), func.max(target)).where(ClockRow.stopped_at.is_not(None),
                                                           *_terms(shape, walk)).group_by(who)


@lru_cache(maxsize=32)
def _runs(shape: _Shape, walk: bool, count: int) -> CompoundSelect:
    """Read `count` runs of a developer's durations, longest first: run i is `take{i}` values from `skip{i}`."""
    value, who = ClockRow.elapsed_seconds, ClockRow.developer
    terms = [ClockRow.stopped_at.is_not(None), *_terms(shape, walk)]
    runs = [
        select(value).where(*terms, who.is_not_distinct_from(bindparam(f"who{i}")))
        .order_by(value.desc()).limit(bindparam(f"take{i}")).offset(bindparam(f"skip{i}")).subquery()
        for i in range(count)
    ]
    return union_all(*(select(literal_column(str(i)), run.c.elapsed_seconds) for i, run in enumerate(runs)))


def _ranked_in_order(session: Session, flt: ClockFilter, now: datetime) -> dict[tuple[Any, ...], _Part]:
    """Count each developer's stopped clocks, then read the durations at the ranks with LIMIT/OFFSET.

    A long window walks each developer's durations in order (ix_clocks_durations) and never sorts; a short
    one sorts only that developer's clocks in the window (ix_clocks_developer), keeping no more than the
    run it reads. Both read from the longest duration down, so the p90 is a few steps away. Window functions
    would cost several times the whole scan; a statement per run cost more than the reads themselves.
    """
    share = _window_share(session, flt)
    walk = share >= 0.5
    shape, params = _bound(replace(flt, since=None, until=None) if share == 1.0 else flt, now)
    groups = session.execute(_in_order(shape, walk), params).all()
    if sum(n for _, n, *_ in groups) < _FEW_PER_READ * len(groups):
        return {key: _ranked_part([found]) for key, found in _durations(session, ("developer",), shape, params).items()}
    runs = []  # (developer, count, first rank, last rank)
    for person, n, *_ in groups:
        runs += [(person, n, *percentile_ranks(n, q)) for q in _PERCENTILES]
    found: dict[tuple[str | None, int], int] = {}
    for start in range(0, len(runs), _RUNS_PER_READ):
        chunk = runs[start : start + _RUNS_PER_READ]
        values = dict(params)
        for i, (person, n, first, last) in enumerate(chunk):
            values |= {f"who{i}": person, f"skip{i}": n - 1 - last, f"take{i}": last - first + 1}
        read: dict[int, list[int]] = defaultdict(list)
        for i, value in session.execute(_runs(shape, walk, len(chunk)), values):
            read[i].append(value)
        for i, (person, _, first, _) in enumerate(chunk):  # a run's values, whatever order they came in
            found.update(((person, first + j), value) for j, value in enumerate(sorted(read[i])))
    out = {}
    for person, n, met, total, low, high in groups:
        out[(person,)] = _stopped_stats([n, met, total, low, high, *(found[person, rank] for rank in _ranks(n))])
    return out


def developer_tally(session: Session, flt: ClockFilter, now: datetime) -> dict[str | None, Tally]:
    """Tally the clocks per credited person id (None: nobody), through the indexes kept for these figures."""
    plain = flt.kind is not None and flt.client is None and flt.developer is None and flt.state is None
    if session.get_bind().dialect.name != "sqlite" or not plain or flt.open_only:
        return {key: found for (key,), found in tally(session, flt, ["developer"], now).items()}
    opened = _open_parts(session, ("developer",), *_bound(flt, now))
    return {key: found for (key,), found in _combine(_ranked_in_order(session, flt, now), opened).items()}


def _by_developer(session: Session, flt: ClockFilter, now: datetime) -> dict[str, Tally] | None:
    """Tally per developer as group_key names them; None when nobody, '' and 'unassigned' would share a row."""
    found = developer_tally(session, flt, now)
    if sum(1 for key in found if not key or key == "unassigned") > 1:
        return None
    return {key or "unassigned": value for key, value in found.items()}


_GROUP_KEYS = {"developer": "credited", "client": "client", "work_item": "work_item", "week": "week"}


def metric_groups(
    session: Session, flt: ClockFilter, group_by: str, contracts: Contracts, now: datetime
) -> list[dict[str, Any]]:
    """Summarize the stored clocks matching a filter per group in SQL; equal to group_stats over load_clocks."""
    if not storable(flt.client, flt.developer):
        return []
    found = _by_developer(session, flt, now) if group_by == "developer" else None
    if found is None:
        found = {key: value for (key,), value in tally(session, flt, [_GROUP_KEYS[group_by]], now).items()}
    if group_by == "week":
        found = {week_name(key): value for key, value in found.items()}
    titles = _titles(session, found) if group_by == "work_item" else {}
    return [
        {"key": key, "name": _name(key, group_by, contracts, titles), **found[key].figures()}
        for key in sorted(found)
    ]
