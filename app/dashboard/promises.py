"""The client's own page: its contract in plain words, this month and last, every late answer and breached fix with
its evidence, and the trend; what a client token sees, and what its printable page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.dashboard.charts import trend_chart
from app.dashboard.developer import WeekLine, week_lines
from app.dashboard.views import ClockLine, PromiseCell, clock_line, promise_cell
from app.reports.clocks import ClockFilter, clock_page, week_calendar
from app.reports.feedback import describe_period
from app.reports.promises import ContractOut, contract_out
from app.reports.rated_periods import last_full_month, this_month
from app.reports.scorecards import Period, client_scorecard
from app.surveys import Links
from app.surveys.page import page_ask, page_request
from metrics.calendar import local_date
from metrics.model import ClockKind, ClockState
from metrics.wording import period_in_words

LATE_SHOWN = 100  # on the screen, with a link to the older ones
LATE_PRINTED = 1000  # on the printable page, which cannot follow links


@dataclass(frozen=True)
class MonthFigures:
    """Both promises over one calendar month of the client's own time zone."""

    label: str
    span: Period
    responsiveness: PromiseCell
    bug_fix: PromiseCell


@dataclass(frozen=True)
class PromisesPage:
    name: str
    contract: ContractOut
    months: list[MonthFigures]  # this month so far, then last month
    late_answers: list[ClockLine]
    late_fixes: list[ClockLine]
    more_late: str | None  # the cursor of the next page of late clocks
    weeks: list[WeekLine]
    week_time_zone: str
    chart: Markup
    rating: Rating | None  # where the client rates the delivery; the page hides the slot while it is None


@dataclass(frozen=True)
class Rating:
    """The rating slot: the signed survey link (None on the team's preview) and the period it rates."""

    url: str | None
    period: str  # 2026-W09 or 2026-02, as the surveys name it

    @property
    def period_words(self) -> str:
        """The period as a client reads it: 'week 2026-W09' or 'November 2026'."""
        return period_in_words(self.period)


def rating_slot(factory: sessionmaker[Session], contracts: Contracts, links: Links | None, name: str,
                now: datetime, *, own_client: bool) -> Rating | None:
    """Return the rating slot of a client's page: a link for the client's own token, none while surveys are off.

    The team's preview gets the slot without a link, so nobody rates in the client's name.
    """
    client = contracts.clients[name]
    ask = page_ask(client, now)
    if ask is None or links is None:
        return None
    if not own_client:
        return Rating(None, ask.subject)
    with transaction(factory) as session:
        request = page_request(session, client, now)
        assert request is not None
        return Rating(links.survey_url(request.id), describe_period(request.period_start, request.period_end))


def month_starts(now: datetime, contracts: Contracts, name: str) -> tuple[datetime, datetime]:
    """Return when this month and last month began, in the client's own time zone (as UTC moments)."""
    calendar = week_calendar(contracts, name)
    return this_month(calendar, now).since, last_full_month(calendar, now).since


def _month(session: Session, contracts: Contracts, name: str, span: Period, now: datetime, label: str
           ) -> MonthFigures:
    spec = contracts.clients[name].spec.alignment
    card = client_scorecard(session, contracts, name, span, now)
    return MonthFigures(label, span, promise_cell(card["responsiveness"], spec), promise_cell(card["bug_fix"], spec))


def promises_page(session: Session, contracts: Contracts, name: str, now: datetime, *, cursor: str | None = None,
                  limit: int = LATE_SHOWN, rating: Rating | None = None) -> PromisesPage:
    """Build a client's own page at `now` (`cursor` pages through the late clocks).

    Raises ValueError for a cursor this dashboard did not give out.
    """
    now = now.replace(microsecond=0)
    this_start, last_start = month_starts(now, contracts, name)
    calendar = week_calendar(contracts, name)
    this_label = f"{local_date(this_start, calendar):%B %Y} so far"
    last_label = f"{local_date(last_start, calendar):%B %Y}"
    months = [_month(session, contracts, name, Period(this_start, now), now, this_label),
              _month(session, contracts, name, Period(last_start, this_start), now, last_label)]
    both = Period(last_start, now)
    card = client_scorecard(session, contracts, name, both, now)
    flt = ClockFilter(client=name, since=both.since, until=both.until, state=ClockState.BREACHED)
    views, more = clock_page(session, flt, contracts, now, limit=limit, cursor=cursor)
    lines = [clock_line(v, contracts) for v in views]
    good = contracts.clients[name].spec.alignment.good_attainment
    return PromisesPage(
        name=name, contract=contract_out(contracts.clients[name]), months=months,
        late_answers=[line for line in lines if line.kind is ClockKind.RESPONSE],
        late_fixes=[line for line in lines if line.kind is ClockKind.BUG_FIX], more_late=more,
        weeks=week_lines(card["trend"], contracts, name), week_time_zone=card["week_time_zone"],
        chart=trend_chart(card["trend"], good=good, title=f"{name}: share on time, week by week"),
        rating=rating,
    )
