"""The overview: per client, each promise this week and last; the clocks running now; the period's people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.dashboard.filters import Filters, last_week, this_week
from app.dashboard.views import (
    PROMISE_NAMES,
    STATUS_TEXT,
    ClockLine,
    PromiseCell,
    Status,
    client_href,
    clock_line,
    developer_href,
    promise_cell,
    thresholds,
    urgency,
    worst,
)
from app.formats import promise_words
from app.queries import ClockFilter, open_clock_views
from app.scorecards import Period, client_rows, developer_rows

RUNNING_SHOWN = 50
CLIENT_SUMMARY = {Status.HOLDING: "All promises holding", Status.SLIPPING: "A promise is slipping",
                  Status.BROKEN: "A promise is broken", Status.NO_DATA: "No clocks this week"}
PROMISES = ("responsiveness", "bug_fix")


@dataclass(frozen=True)
class PromiseWeeks:
    """One promise of one client: this week beside last week."""

    promise: str
    name: str
    words: str
    this_week: PromiseCell
    last_week: PromiseCell

    @property
    def change(self) -> str:
        """Say whether attainment rose or fell since last week: better, worse, same, or '' when unknown."""
        now, before = self.this_week.attainment, self.last_week.attainment
        if now is None or before is None:
            return ""
        if abs(now - before) < 0.005:
            return "same"
        return "better" if now > before else "worse"


@dataclass(frozen=True)
class ClientWeeks:
    name: str
    href: str
    promises: tuple[PromiseWeeks, ...]
    open_clocks: int

    @property
    def status(self) -> Status:
        return worst([p.this_week.status for p in self.promises])

    @property
    def icon(self) -> str:
        return STATUS_TEXT[self.status][0]

    @property
    def summary(self) -> str:
        return CLIENT_SUMMARY[self.status]


@dataclass(frozen=True)
class PersonLine:
    """A developer or client over the filter's period."""

    key: str
    name: str
    href: str
    responsiveness: PromiseCell
    bug_fix: PromiseCell
    open_clocks: int | None  # None where the scorecard does not count them (a client's developers)


@dataclass(frozen=True)
class Overview:
    span: Period
    this_week: Period
    last_week: Period
    clients: list[ClientWeeks]
    running: list[ClockLine]
    running_hidden: int
    developers: list[PersonLine]
    client_lines: list[PersonLine]


def _week_rows(session: Session, contracts: Contracts, span: Period, now: datetime,
               filters: Filters) -> dict[str, dict[str, Any]]:
    """Return each shown client's figures over a week; for one developer, that developer's share of them."""
    names = [filters.client] if filters.client else sorted(contracts.clients)
    if filters.developer is None:
        return {r["name"]: r for r in client_rows(session, contracts, span, now) if r["name"] in names}
    out = {}
    for name in names:
        rows = developer_rows(session, contracts, span, now, client=name, developer=filters.developer)
        if rows:
            out[name] = rows[0]
    return out


def client_weeks(session: Session, contracts: Contracts, filters: Filters, now: datetime) -> list[ClientWeeks]:
    """Per client, each promise this week (so far) and last week, colour-coded by the client's thresholds."""
    current = _week_rows(session, contracts, this_week(now), now, filters)
    previous = _week_rows(session, contracts, last_week(now), now, filters)
    out = []
    for name in sorted(current.keys() | previous.keys()):
        client = contracts.clients[name]
        spec = client.spec.alignment
        now_row, before_row = current.get(name), previous.get(name)
        if now_row is None or before_row is None:
            continue
        if filters.developer and not (now_row["responsiveness"]["clocks"] + now_row["bug_fix"]["clocks"]
                                      + before_row["responsiveness"]["clocks"] + before_row["bug_fix"]["clocks"]
                                      + now_row["open_clocks"]):
            continue  # this developer did no work for this client in either week
        words = promise_words(client)
        promises = tuple(PromiseWeeks(p, PROMISE_NAMES[p], words[p], promise_cell(now_row[p], spec),
                                      promise_cell(before_row[p], spec)) for p in PROMISES)
        out.append(ClientWeeks(name, client_href(name), promises, now_row["open_clocks"]))
    return out


def running_now(session: Session, contracts: Contracts, filters: Filters, now: datetime,
                limit: int = RUNNING_SHOWN) -> tuple[list[ClockLine], int]:
    """Return the clocks running now, most urgent first, and how many more were left out."""
    views = open_clock_views(session, ClockFilter(client=filters.client, developer=filters.developer), contracts, now)
    lines = sorted((clock_line(v, contracts) for v in views), key=urgency)
    return lines[:limit], max(0, len(lines) - limit)


def developer_lines(session: Session, contracts: Contracts, filters: Filters, span: Period,
                    now: datetime) -> list[PersonLine]:
    """Both promises per developer over the period (narrowed by the filters)."""
    spec = thresholds(contracts, filters.client)
    rows = developer_rows(session, contracts, span, now, client=filters.client, developer=filters.developer)
    return [PersonLine(r["id"], r["name"], developer_href(r["id"]), promise_cell(r["responsiveness"], spec),
                       promise_cell(r["bug_fix"], spec), r["open_clocks"]) for r in rows]


def client_lines(session: Session, contracts: Contracts, filters: Filters, span: Period,
                 now: datetime) -> list[PersonLine]:
    """Both promises per client over the period (all developers: the client's view)."""
    out = []
    for r in client_rows(session, contracts, span, now):
        if filters.client and r["name"] != filters.client:
            continue
        spec = thresholds(contracts, r["name"])
        out.append(PersonLine(r["name"], r["name"], client_href(r["name"]), promise_cell(r["responsiveness"], spec),
                              promise_cell(r["bug_fix"], spec), r["open_clocks"]))
    return out


def overview(session: Session, contracts: Contracts, filters: Filters, now: datetime) -> Overview:
    """Build the overview page for the filters at `now`."""
    span = filters.span(now)
    running, hidden = running_now(session, contracts, filters, now)
    return Overview(
        span=span, this_week=this_week(now), last_week=last_week(now),
        clients=client_weeks(session, contracts, filters, now), running=running, running_hidden=hidden,
        developers=developer_lines(session, contracts, filters, span, now),
        client_lines=client_lines(session, contracts, filters, span, now),
    )
