"""The overview: per client, each promise this week and last; the clocks running now; the period's people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.core.tables import ClockRow, WorkItemRow
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
    worst,
)
from app.reports.clocks import ClockFilter, ClockView, live_elapsed_all, state_expr
from app.reports.figures import NO_CLOCKS
from app.reports.promises import promise_words
from app.reports.recommend import NONE, Recommendation, recommendations
from app.reports.scorecards import Period, client_rows, developer_rows, developer_scorecard
from app.store.histories import row_to_clock
from metrics.model import ClockState

RUNNING_SHOWN = 50
CLIENT_SUMMARY = {Status.HOLDING: "All promises holding", Status.SLIPPING: "A promise is slipping",
                  Status.BROKEN: "A promise is broken", Status.NO_DATA: "No clocks this week"}
PROMISES = ("responsiveness", "bug_fix")
_ITEM = and_(WorkItemRow.source == ClockRow.source, WorkItemRow.key == ClockRow.item_key)


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
    recommend: Recommendation = NONE

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


def _week_rows(session: Session, contracts: Contracts, span: Period, now: datetime,
               filters: Filters) -> dict[str, dict[str, Any]]:
    """Return each shown client's figures over a week; for one developer, that developer's share of them."""
    if filters.developer is None:
        rows = {r["name"]: r for r in client_rows(session, contracts, span, now)}
    else:
        # One scorecard holds the developer's figures per client: one read instead of one per client.
        card = developer_scorecard(session, contracts, filters.developer, span, now)
        open_now = Counter(v.clock.client for v in card["open_clocks"])
        rows = {c["client"]: {**c, "open_clocks": open_now[c["client"]]} for c in card["clients"]}
        rows |= {name: {**_no_clocks(), "open_clocks": n} for name, n in open_now.items() if name not in rows}
    return {name: row for name, row in rows.items()
            if name in contracts.clients and filters.client in (None, name)}


def _no_clocks() -> dict[str, Any]:
    return {p: NO_CLOCKS.as_dict() for p in PROMISES}


def client_weeks(session: Session, contracts: Contracts, filters: Filters, now: datetime) -> list[ClientWeeks]:
    """Per client, each promise this week (so far) and last week, colour-coded by the client's thresholds."""
    current = _week_rows(session, contracts, this_week(now), now, filters)
    previous = _week_rows(session, contracts, last_week(now), now, filters)
    out = []
    scores = recommendations(session, current.keys() | previous.keys(), now)
    for name in sorted(current.keys() | previous.keys()):
        client = contracts.clients[name]
        spec = client.spec.alignment
        empty = {**_no_clocks(), "open_clocks": 0}
        now_row, before_row = current.get(name, empty), previous.get(name, empty)
        open_now = (current.get(name) or previous[name])["open_clocks"]  # counted now, the same in both
        words = promise_words(client)
        promises = tuple(PromiseWeeks(p, PROMISE_NAMES[p], words[p], promise_cell(now_row[p], spec),
                                      promise_cell(before_row[p], spec)) for p in PROMISES)
        out.append(ClientWeeks(name, client_href(name), promises, open_now, scores[name]))
    return out


def running_now(session: Session, contracts: Contracts, filters: Filters, now: datetime,
                limit: int = RUNNING_SHOWN) -> tuple[list[ClockLine], int]:
    """Return the most urgent clocks running now (at most `limit`) and how many more are running."""
    # Overdue and paused clocks pile up on a large history (thousands), so the database ranks them, in the
    # order `urgency` gives, and only the shown ones are read and have their working time counted.
    flt = ClockFilter(client=filters.client, developer=filters.developer, open_only=True)
    state = state_expr(now)
    rank = case((state == ClockState.AT_RISK.value, 0), (state == ClockState.BREACHED.value, 1),
                (state == ClockState.RUNNING.value, 2), else_=3)
    soonest = case((rank.in_([0, 2]), ClockRow.deadline))
    freshest = case((rank == 1, func.coalesce(ClockRow.deadline, ClockRow.started_at)))
    stmt = flt.apply(select(ClockRow, WorkItemRow.url, WorkItemRow.title).outerjoin(WorkItemRow, _ITEM), now)
    stmt = stmt.order_by(rank, soonest, freshest.desc(), ClockRow.started_at.desc(), ClockRow.id).limit(limit)
    found = [(row_to_clock(row), url, title) for row, url, title in session.execute(stmt)]
    elapsed = live_elapsed_all([clock for clock, _, _ in found], contracts, now)
    lines = [clock_line(ClockView(clock, url, title, clock.state_at(now), seconds), contracts)
             for (clock, url, title), seconds in zip(found, elapsed, strict=True)]
    total = session.scalar(flt.apply(select(func.count()).select_from(ClockRow), now)) or 0
    return lines, max(0, total - len(lines))


def developer_lines(session: Session, contracts: Contracts, filters: Filters, span: Period,
                    now: datetime) -> list[PersonLine]:
    """Both promises per developer over the period (narrowed by the filters)."""
    spec = thresholds(contracts, filters.client)
    rows = developer_rows(session, contracts, span, now, client=filters.client, developer=filters.developer)
    return [PersonLine(r["id"], r["name"], developer_href(r["id"]), promise_cell(r["responsiveness"], spec),
                       promise_cell(r["bug_fix"], spec), r["open_clocks"]) for r in rows]


def overview(session: Session, contracts: Contracts, filters: Filters, now: datetime) -> Overview:
    """Build the overview page for the filters at `now`."""
    span = filters.span(now)
    running, hidden = running_now(session, contracts, filters, now)
    return Overview(
        span=span, this_week=this_week(now), last_week=last_week(now),
        clients=client_weeks(session, contracts, filters, now), running=running, running_hidden=hidden,
        developers=developer_lines(session, contracts, filters, span, now),
    )
