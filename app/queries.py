"""Read stored clocks and turn them into grouped figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.history import row_to_clock
from app.models import ClockRow, WorkItemRow
from metrics.model import Clock, ClockKind
from metrics.stats import group_clocks, iso_week, summarize


@dataclass(frozen=True)
class ClockFilter:
    kind: ClockKind | None = None
    client: str | None = None
    developer: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.kind is not None:
            stmt = stmt.where(ClockRow.kind == self.kind.value)
        if self.client is not None:
            stmt = stmt.where(ClockRow.client == self.client)
        if self.developer is not None:
            stmt = stmt.where(ClockRow.developer == self.developer)
        if self.since is not None:
            stmt = stmt.where(ClockRow.started_at >= self.since)
        if self.until is not None:
            stmt = stmt.where(ClockRow.started_at < self.until)
        return stmt


def load_clocks(session: Session, flt: ClockFilter) -> list[Clock]:
    """Return the stored clocks matching a filter."""
    rows = session.scalars(flt.apply(select(ClockRow))).all()
    return [row_to_clock(r) for r in rows]


def _titles(session: Session, clocks: Sequence[Clock]) -> dict[str, str]:
    keys = sorted({c.item_key for c in clocks})
    out: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(WorkItemRow.key, WorkItemRow.title).where(WorkItemRow.key.in_(keys[start : start + 500]))
        )
        out.update({k: t or k for k, t in rows})
    return out


def group_key(clock: Clock, group_by: str) -> str:
    if group_by == "developer":
        return clock.developer or "unassigned"
    if group_by == "client":
        return clock.client
    if group_by == "work_item":
        return clock.item_key
    return iso_week(clock.started_at)


def group_stats(
    clocks: Sequence[Clock], group_by: str, contracts: Contracts, now: datetime, session: Session | None = None
) -> list[dict[str, Any]]:
    """Summarize clocks per group, in a stable order (by key)."""
    titles = _titles(session, clocks) if session is not None and group_by == "work_item" else {}
    groups = group_clocks(clocks, lambda c: group_key(c, group_by))
    out = []
    for key in sorted(groups):
        members = groups[key]
        stats = summarize(members, now)
        targets = {c.target_seconds for c in members}
        out.append(
            {
                "key": key,
                "name": _name(key, group_by, contracts, titles),
                "clocks": stats.clocks,
                "met": stats.met,
                "breached": stats.breached,
                "running": stats.running,
                "at_risk": stats.at_risk,
                "attainment": stats.attainment,
                "median_seconds": _round(stats.median_seconds),
                "p90_seconds": _round(stats.p90_seconds),
                "mean_seconds": _round(stats.mean_seconds),
                "target_seconds": targets.pop() if len(targets) == 1 else None,
            }
        )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _name(key: str, group_by: str, contracts: Contracts, titles: dict[str, str]) -> str:
    if group_by == "developer":
        if key == "unassigned":
            return "Unassigned"
        person = contracts.people.get(key)
        return person.name if person else key.split(":", 1)[-1]
    if group_by == "work_item":
        return titles.get(key, key)
    return key
