"""The developer page: the scorecard (answers, bug fixes, plain language, the clients' own score) and its trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.dashboard.charts import trend_chart
from app.dashboard.filters import Filters
from app.dashboard.overview import RUNNING_SHOWN, PersonLine
from app.dashboard.views import (
    STATUS_TEXT,
    ClockLine,
    PromiseCell,
    Status,
    client_href,
    most_urgent,
    percent,
    promise_cell,
    thresholds,
)
from app.reports.alignment import mean_scores
from app.reports.clocks import ClockFilter, open_clock_views, week_calendar
from app.reports.feedback import FeedbackFilter, list_feedback
from app.reports.figures import NO_CLOCKS
from app.reports.language_figures import ScoreFilter, plain_language_figures
from app.reports.scorecards import Period, developer_rows, developer_scorecard, trend

PLAIN_LABELS = {Status.HOLDING: "Plain", Status.SLIPPING: "Too technical", Status.BROKEN: "Too technical",
                Status.NO_DATA: "Too little to judge"}
SCORE_NAMES = {"responsiveness": "Responsiveness", "fix_speed": "Fix speed", "clarity": "Clarity"}


@dataclass(frozen=True)
class PlainLanguage:
    """The plain-language figures of a developer's messages over the period."""

    messages: int
    scored: int
    passed: int
    pass_share: float | None
    note: str | None
    top_flagged: list[dict[str, Any]]
    status: Status

    @property
    def share_text(self) -> str:
        return percent(self.pass_share)

    @property
    def icon(self) -> str:
        return STATUS_TEXT[self.status][0]

    @property
    def label(self) -> str:
        return PLAIN_LABELS[self.status]


@dataclass(frozen=True)
class ClientScore:
    """The clients' mean rating of one promise (1-5) over the period."""

    name: str
    score: float | None
    ratings: int

    @property
    def text(self) -> str:
        return "–" if self.score is None else f"{self.score:.1f}".removesuffix(".0") + " / 5"


@dataclass(frozen=True)
class WeekLine:
    week: str
    starts_on: date
    responsiveness: PromiseCell
    bug_fix: PromiseCell


@dataclass(frozen=True)
class DeveloperPage:
    person: dict[str, Any]
    span: Period
    responsiveness: PromiseCell
    bug_fix: PromiseCell
    plain: PlainLanguage
    scores: list[ClientScore]
    per_client: list[PersonLine]
    weeks: list[WeekLine]
    week_time_zone: str
    chart: Markup
    running: list[ClockLine]
    running_hidden: int


def plain_language(session: Session, contracts: Contracts, flt: ScoreFilter) -> PlainLanguage:
    """Summarize a developer's scored messages, judged against the contract's plain-language share."""
    fig = plain_language_figures(session, flt)
    good = thresholds(contracts, flt.client).plain_pass_share
    share = fig["pass_share"]
    status = Status.NO_DATA if share is None else Status.HOLDING if share >= good else Status.SLIPPING
    return PlainLanguage(fig["messages"], fig["scored_messages"], fig["passed_messages"], share, fig["note"],
                         fig["top_flagged"], status)


def client_scores(session: Session, person_id: str, client: str | None, span: Period) -> list[ClientScore]:
    """Return the clients' mean ratings of this developer, per promise, over the period."""
    ratings = list_feedback(session, FeedbackFilter(client=client, developer=person_id, since=span.since,
                                                    until=span.until))
    means = mean_scores(ratings)
    return [ClientScore(SCORE_NAMES[p], score, count) for p, (score, count) in means.items()]


def week_lines(weeks: list[dict[str, Any]], contracts: Contracts, client: str | None) -> list[WeekLine]:
    spec = thresholds(contracts, client)
    return [WeekLine(w["week"], w["starts_on"], promise_cell(w["responsiveness"], spec),
                     promise_cell(w["bug_fix"], spec)) for w in weeks]


def _for_client(session: Session, contracts: Contracts, card: dict[str, Any], client: str, span: Period,
                now: datetime) -> dict[str, Any]:
    """Narrow a developer's scorecard to one client, with the same functions the scorecard uses."""
    person_id = card["developer"]["id"]
    rows = developer_rows(session, contracts, span, now, client=client, developer=person_id)
    empty = NO_CLOCKS.as_dict()
    totals = rows[0] if rows else {"responsiveness": empty, "bug_fix": empty}
    return {
        **card,
        "responsiveness": totals["responsiveness"], "bug_fix": totals["bug_fix"],
        "clients": [c for c in card["clients"] if c["client"] == client],
        "trend": trend(session, contracts, span, now, developer=person_id, client=client),
        "week_time_zone": week_calendar(contracts, client).timezone,
        "open_clocks": open_clock_views(session, ClockFilter(developer=person_id, client=client), contracts, now),
    }


def developer_page(session: Session, contracts: Contracts, person_id: str, filters: Filters,
                   now: datetime) -> DeveloperPage:
    """Build one developer's page for the filters at `now`."""
    span = filters.span(now)
    card = developer_scorecard(session, contracts, person_id, span, now)
    if filters.client is not None:
        card = _for_client(session, contracts, card, filters.client, span, now)
    spec = thresholds(contracts, filters.client)
    per_client = [
        PersonLine(c["client"], c["client"], client_href(c["client"]),
                   promise_cell(c["responsiveness"], thresholds(contracts, c["client"])),
                   promise_cell(c["bug_fix"], thresholds(contracts, c["client"])), None)
        for c in card["clients"]
    ]
    name = card["developer"]["name"]
    running, hidden = most_urgent(card["open_clocks"], contracts, now, RUNNING_SHOWN)
    return DeveloperPage(
        person=card["developer"], span=span,
        responsiveness=promise_cell(card["responsiveness"], spec), bug_fix=promise_cell(card["bug_fix"], spec),
        plain=plain_language(session, contracts, ScoreFilter(client=filters.client, developer=person_id,
                                                             since=span.since, until=span.until)),
        scores=client_scores(session, person_id, filters.client, span),
        per_client=per_client,
        weeks=week_lines(card["trend"], contracts, filters.client), week_time_zone=card["week_time_zone"],
        chart=trend_chart(card["trend"], good=spec.good_attainment, title=f"{name}: share on time, week by week"),
        running=running, running_hidden=hidden,
    )
