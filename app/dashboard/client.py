"""The client page: the contract in plain words, how each promise held, the breaches with their evidence, and
whether the client's own scores agree with the figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.dashboard.charts import trend_chart
from app.dashboard.developer import WeekLine, week_lines
from app.dashboard.filters import Filters
from app.dashboard.overview import RUNNING_SHOWN, PersonLine
from app.dashboard.views import (
    ClockLine,
    PromiseCell,
    clock_line,
    developer_href,
    most_urgent,
    percent,
    promise_cell,
)
from app.reports.alignment import Alignment, PromiseAlignment, Verdict, alignment_report
from app.reports.clocks import ClockFilter, clock_page
from app.reports.promises import ContractOut, contract_out
from app.reports.scorecards import Period, client_scorecard
from metrics.model import ClockState

BREACHES_SHOWN = 25
VERDICT_TEXT = {
    Verdict.AGREE: ("=", "Both sides agree"),
    Verdict.DELIVERY_FINE_CLIENT_UNHAPPY: ("!", "Client unhappy, figures fine"),
    Verdict.CLIENT_HAPPY_DELIVERY_POOR: ("!", "Client content, figures poor"),
    Verdict.NOT_ENOUGH_DATA: ("–", "Not enough data"),
}
ALIGNMENT_NAMES = {"responsiveness": "Responsiveness", "fix_speed": "Fix speed", "clarity": "Clarity"}


@dataclass(frozen=True)
class VerdictLine:
    """One promise seen from both sides: the delivery figure, the client's score and the verdict."""

    promise: str
    delivery: str
    basis: int
    score: str
    ratings: int
    verdict: Verdict
    explanation: str

    @property
    def icon(self) -> str:
        return VERDICT_TEXT[self.verdict][0]

    @property
    def label(self) -> str:
        return VERDICT_TEXT[self.verdict][1]


@dataclass(frozen=True)
class AlignmentGroup:
    name: str
    href: str | None
    lines: list[VerdictLine]
    disagreements: int


@dataclass(frozen=True)
class ClientPage:
    name: str
    contract: ContractOut
    span: Period
    responsiveness: PromiseCell
    bug_fix: PromiseCell
    developers: list[PersonLine]
    weeks: list[WeekLine]
    week_time_zone: str
    chart: Markup
    breaches: list[ClockLine]
    more_breaches: str | None  # the cursor of the next page of breaches
    team: AlignmentGroup
    alignment: list[AlignmentGroup]
    running: list[ClockLine]
    running_hidden: int


def _verdict(p: PromiseAlignment) -> VerdictLine:
    score = "–" if p.client_score is None else f"{p.client_score:.1f}".removesuffix(".0") + " / 5"
    return VerdictLine(ALIGNMENT_NAMES[p.promise], percent(p.delivery.value), p.delivery.basis, score, p.ratings,
                       p.verdict, p.explanation)


def alignment_group(a: Alignment) -> AlignmentGroup:
    """Show one alignment (the team's or a developer's) as rows."""
    href = developer_href(a.developer) if a.developer else None
    return AlignmentGroup(a.name, href, [_verdict(p) for p in a.promises], len(a.disagreements))


def breaches(session: Session, contracts: Contracts, name: str, filters: Filters, span: Period, now: datetime,
             cursor: str | None) -> tuple[list[ClockLine], str | None]:
    """Return one page of the period's breached clocks, newest first, and the cursor of the next page.

    Raises ValueError for a cursor this dashboard did not give out.
    """
    flt = ClockFilter(client=name, developer=filters.developer, since=span.since, until=span.until,
                      state=ClockState.BREACHED)
    views, following = clock_page(session, flt, contracts, now, limit=BREACHES_SHOWN, cursor=cursor)
    return [clock_line(v, contracts) for v in views], following


def client_page(session: Session, contracts: Contracts, name: str, filters: Filters, now: datetime,
                cursor: str | None = None) -> ClientPage:
    """Build one client's page for the filters at `now` (`cursor` pages through the breaches)."""
    span = filters.span(now)
    card = client_scorecard(session, contracts, name, span, now)
    spec = contracts.clients[name].spec.alignment
    developers = [
        PersonLine(d["id"], d["name"], developer_href(d["id"]) if d["id"] != "unassigned" else "",
                   promise_cell(d["responsiveness"], spec), promise_cell(d["bug_fix"], spec), None)
        for d in card["developers"] if filters.developer in (None, d["id"])
    ]
    listed, more = breaches(session, contracts, name, filters, span, now, cursor)
    report = alignment_report(session, contracts, since=span.since, until=span.until, now=now, client=name)[0]
    mine = [v for v in card["open_clocks"] if filters.developer in (None, v.clock.developer)]
    running, hidden = most_urgent(mine, contracts, now, RUNNING_SHOWN)
    return ClientPage(
        name=name, contract=contract_out(contracts.clients[name]), span=span,
        responsiveness=promise_cell(card["responsiveness"], spec), bug_fix=promise_cell(card["bug_fix"], spec),
        developers=developers, weeks=week_lines(card["trend"], contracts, name), week_time_zone=card["week_time_zone"],
        chart=trend_chart(card["trend"], good=spec.good_attainment, title=f"{name}: share on time, week by week"),
        breaches=listed, more_breaches=more,
        team=alignment_group(report.team),
        alignment=[alignment_group(d) for d in report.developers if filters.developer in (None, d.developer)],
        running=running, running_hidden=hidden,
    )
