"""The SQL the figures are read with: the keys clocks are grouped by, and the statements that rank the
stopped clocks (PostgreSQL), read their durations (SQLite) and count the open ones by state.

Statements are built once per shape of filter (app.reports.clocks.filter_terms) and grouping, values
bound at each call: building them cost more than running them on a developer's month.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Date,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.core.db import local_week_sql
from app.core.tables import ClockRow
from app.reports.clocks import FilterShape, cancelled_clocks, counted_stopped, filter_terms, state_expr
from app.reports.figure_parts import reported_ranks
from metrics.model import ClockState

# PostgreSQL sorts the durations of all groups by group before ranking them: a company's 30-day window of
# responses (62,000 clocks) takes about 5 MB, past the default work_mem of 4 MB, and the sort went to disk
# (97 ms against 56 ms in memory). Raised for the rest of the transaction only.
SORT_MEMORY = text("SET LOCAL work_mem = '32MB'")


def key_column(name: str, dialect: str) -> ColumnElement[Any]:
    """Return the SQL expression clocks are grouped by: a column, whom they are credited to, or their week."""
    if name == "credited":  # 'unassigned' when nobody, as the API names the group
        return func.coalesce(func.nullif(ClockRow.developer, ""), "unassigned")
    if name == "week":  # the Monday (UTC) of the ISO week the clock started in
        if dialect == "postgresql":
            return cast(func.date_trunc("week", func.timezone("UTC", ClockRow.started_at)), Date)
        # SQLite stores UTC as text; 'weekday 0' moves to the coming Sunday (or stays), then back to Monday.
        return func.date(ClockRow.started_at, "weekday 0", "-6 days")
    if name == "local_week":  # the same Monday in the IANA time zone bound as `week_zone`
        return local_week_sql(ClockRow.started_at, bindparam("week_zone", type_=String), dialect)
    return {"kind": ClockRow.kind, "client": ClockRow.client, "developer": ClockRow.developer,
            "work_item": ClockRow.item_key}[name]


@lru_cache(maxsize=256)
def ranked_stopped(keys: tuple[str, ...], shape: FilterShape) -> Select[Any]:
    """PostgreSQL: count the stopped clocks per group, sort each group's durations into an array and read
    the values at the median's and p90's ranks from it."""
    value, target = ClockRow.elapsed_seconds, ClockRow.target_seconds
    columns = [key_column(key, "postgresql").label(f"k{i}") for i, key in enumerate(keys)]
    grouped = select(
        *columns, func.count().label("n"), func.sum(case((value <= target, 1), else_=0)).label("met"),
        func.sum(value).label("total"), func.min(target).label("low"), func.max(target).label("high"),
        func.array_agg(aggregate_order_by(value, value), type_=ARRAY(BigInteger)).label("durations"),
    ).where(counted_stopped(), *filter_terms(shape)).group_by(*(c.element for c in columns)).subquery()
    c = grouped.c
    return select(*(c[column.name] for column in columns), c.n, c.met, c.total, c.low, c.high,
                  *(c.durations[rank + 1] for rank in reported_ranks(c.n, func.least)))  # arrays count from 1


@lru_cache(maxsize=256)
def stopped_durations(keys: tuple[str, ...], shape: FilterShape) -> Select[Any]:
    """SQLite: read the group keys, duration and target of every stopped clock the filter keeps."""
    columns = [key_column(key, "sqlite") for key in keys]
    return select(*columns, ClockRow.elapsed_seconds, ClockRow.target_seconds).where(
        counted_stopped(), *filter_terms(shape)
    )


@lru_cache(maxsize=256)
def stopped_counts(dialect: str, keys: tuple[str, ...], shape: FilterShape) -> Select[Any]:
    """Count the stopped clocks per group, how many met their target, their durations' sum and lowest and highest
    target: every figure but the ranked ones (median, p90), in one grouped statement on either database."""
    columns = [key_column(key, dialect) for key in keys]
    elapsed, target = ClockRow.elapsed_seconds, ClockRow.target_seconds
    return select(*columns, func.count(), func.sum(case((elapsed <= target, 1), else_=0)), func.sum(elapsed),
                  func.min(target), func.max(target)).where(counted_stopped(), *filter_terms(shape)).group_by(*columns)


@lru_cache(maxsize=256)
def open_states(dialect: str, keys: tuple[str, ...], shape: FilterShape) -> Select[Any]:
    """Count the open clocks per group and state at the bound `now`, with their lowest and highest target."""
    columns = [key_column(key, dialect) for key in keys]
    state = state_expr(bindparam("now")).label("state")
    target = ClockRow.target_seconds
    return select(*columns, state, func.count(), func.min(target), func.max(target)).where(
        ClockRow.stopped_at.is_(None), *filter_terms(shape)
    ).group_by(*columns, state)


@lru_cache(maxsize=256)
def cancelled_counts(dialect: str, keys: tuple[str, ...], shape: FilterShape) -> Select[Any]:
    """Count the cancelled clocks per group (counted apart), shaped like open_states' rows."""
    columns = [key_column(key, dialect) for key in keys]
    target = ClockRow.target_seconds
    return select(*columns, literal(ClockState.CANCELLED.value), func.count(), func.min(target),
                  func.max(target)).where(cancelled_clocks(), *filter_terms(shape)).group_by(*columns)
