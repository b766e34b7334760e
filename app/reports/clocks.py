"""Read stored clocks (filtered in SQL), page through them, and count their working time up to now.

Figures over them (counts, attainment, median, p90) are computed in SQL: see app.reports.figures.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, false, not_, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from app.contracts import Contracts
from app.core.tables import ClockRow, WorkItemRow
from app.store.histories import row_to_clock
from metrics.calendar import Calendar, working_seconds_between
from metrics.model import Clock, ClockKind, ClockState

_ITEM_JOIN = and_(WorkItemRow.source == ClockRow.source, WorkItemRow.key == ClockRow.item_key)


def storable(*values: str | None) -> bool:
    """Tell whether strings can be compared in SQL (PostgreSQL text holds no NUL character)."""
    return not any(v is not None and "\x00" in v for v in values)


def counted_stopped() -> ColumnElement[bool]:
    """The stopped clocks that count in figures: not cancelled (written as the partial indexes expect)."""
    return and_(ClockRow.stopped_at.is_not(None), not_(ClockRow.cancelled))


def cancelled_clocks() -> ColumnElement[bool]:
    """The cancelled clocks: counted apart, in no figure (written as their partial index expects)."""
    return ClockRow.cancelled == true()


def state_expr(now: datetime | ColumnElement[datetime]) -> ColumnElement[str]:
    """Decide a clock's state at `now` in SQL, exactly as Clock.state_at does."""
    c = ClockRow
    return case(
        (c.cancelled == true(), ClockState.CANCELLED.value),
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
    """Which stored clocks an answer is about: each condition applies when set."""

    kind: ClockKind | None = None
    client: str | None = None
    developer: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    state: ClockState | None = None
    open_only: bool = False

    def apply(self, stmt: Select[Any], now: datetime | None = None) -> Select[Any]:
        """Narrow a statement over the clocks to the ones this filter keeps (a state filter needs `now`)."""
        if not storable(self.client, self.developer):
            return stmt.where(false())
        if self.state is not None and now is None:
            raise ValueError("filtering by state needs the moment `now`")
        shape, values = bound_filter(self, now)
        return stmt.where(*filter_terms(shape)).params(values)


FilterShape = tuple[bool, ...]  # which of a ClockFilter's conditions apply, in bound_filter's order


def bound_filter(flt: ClockFilter, now: datetime | None) -> tuple[FilterShape, dict[str, Any]]:
    """Split a filter into its shape (which conditions apply) and the values they compare with."""
    values = {"kind": flt.kind and flt.kind.value, "client": flt.client, "developer": flt.developer,
              "since": flt.since, "until": flt.until, "state": flt.state and flt.state.value}
    shape = (*(value is not None for value in values.values()), flt.open_only)
    return shape, {name: value for name, value in values.items() if value is not None} | {"now": now}


def _unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite never narrows an index by a term under a unary plus: the window is then checked row by row
    # while the planner walks a developer's durations in order (https://sqlite.org/optoverview.html).
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def filter_terms(shape: FilterShape, walk: bool = False) -> list[ColumnElement[bool]]:
    """Return the conditions of a filter of this shape, on values bound by name (see bound_filter)."""
    kind, client, developer, since, until, state, open_only = shape
    started = _unindexed(ClockRow.started_at) if walk else ClockRow.started_at
    # Every kind listed when none is chosen: the (kind, started_at) index then serves a plain time window.
    terms = [ClockRow.kind == bindparam("kind") if kind else ClockRow.kind.in_([k.value for k in ClockKind])]
    terms += [ClockRow.client == bindparam("client")] if client else []
    terms += [ClockRow.developer == bindparam("developer")] if developer else []
    terms += [started >= bindparam("since")] if since else []
    terms += [started < bindparam("until")] if until else []
    terms += [ClockRow.stopped_at.is_(None)] if open_only else []
    terms += [state_expr(bindparam("now")) == bindparam("state")] if state else []
    return terms


_COLUMNS_BUT_EVIDENCE = (ClockRow.kind, ClockRow.source, ClockRow.item_key, ClockRow.client, ClockRow.seq,
                   ClockRow.developer, ClockRow.started_at, ClockRow.stopped_at, ClockRow.elapsed_seconds,
                   ClockRow.target_seconds, ClockRow.running_since, ClockRow.deadline, ClockRow.at_risk_at)


def load_clocks(session: Session, flt: ClockFilter, now: datetime | None = None) -> list[Clock]:
    """Return the stored clocks matching a filter without their evidence (not read, so faster).

    The input of the reference figures (metrics.stats.summarize) that tests and benchmarks hold the
    figures in SQL to.
    """
    kinds = {k.value: k for k in ClockKind}
    return [
        Clock(kinds[kind], *rest, evidence=(), cancelled=bool(cancelled))
        for kind, *rest, cancelled in session.execute(
            flt.apply(select(*_COLUMNS_BUT_EVIDENCE, ClockRow.cancelled), now))
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


def week_calendar(contracts: Contracts, client: str | None) -> Calendar:
    """Return the calendar whose ISO weeks figures are grouped in: one client's own, else (several clients) UTC."""
    known = contracts.clients.get(client) if client is not None else None
    return known.calendar if known is not None else Calendar.always_on()


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


class _ClockAndItem(NamedTuple):
    """A stored clock with its work item's link and title, before its state and time so far are known."""

    clock: Clock
    url: str | None
    title: str | None


def _clocks_and_items(session: Session, stmt: Select[Any]) -> list[_ClockAndItem]:
    return [_ClockAndItem(row_to_clock(row), url, title) for row, url, title in session.execute(stmt)]


def _as_views(found: Sequence[_ClockAndItem], contracts: Contracts, now: datetime) -> list[ClockView]:
    elapsed = live_elapsed_all([f.clock for f in found], contracts, now)
    return [ClockView(f.clock, f.url, f.title, f.clock.state_at(now), seconds)
            for f, seconds in zip(found, elapsed, strict=True)]


def _views(session: Session, stmt: Select[Any], contracts: Contracts, now: datetime) -> list[ClockView]:
    return _as_views(_clocks_and_items(session, stmt), contracts, now)


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
        return moment.astimezone(UTC), clock_id  # a moment past the calendar's edge in UTC overflows here
    # A tampered cursor may hold any JSON (nested past the parser's depth) and any date (out of range in UTC).
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError, OverflowError) as exc:
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
    found: list[_ClockAndItem] = []
    for kind in [flt.kind] if flt.kind is not None else list(ClockKind):
        stmt = replace(flt, kind=kind).apply(_view_select(), now)
        if after is not None:
            started, clock_id = after
            stmt = stmt.where(or_(ClockRow.started_at < started, and_(ClockRow.started_at == started, tie < clock_id)))
        found += _clocks_and_items(session, stmt.order_by(ClockRow.started_at.desc(), tie.desc()).limit(limit + 1))
    found.sort(key=lambda f: (f.clock.started_at, f.clock.clock_id), reverse=True)
    page = found[:limit]
    next_cursor = encode_cursor(page[-1].clock) if len(found) > limit and page else None
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


def person_name(person: str | None, contracts: Contracts) -> str:
    """Name a credited person: the roster name, else the raw identity, else 'Unassigned'."""
    if person is None or person == "unassigned":
        return "Unassigned"
    spec = contracts.people.get(person)
    return spec.name if spec else person.split(":", 1)[-1]
