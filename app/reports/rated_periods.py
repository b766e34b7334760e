"""The periods a client rates, as the disagreement warnings read them: ISO weeks and calendar months.

A period's figures count the clocks started in it in the client's own time zone; its ratings are the ones that name
whole UTC days inside it (app.reports.feedback). Each rating is judged in the period it names, once: a week's rating
(a weekly survey, a bug-fix survey, 2026-W07) in its week, a longer one (a monthly survey, 2026-02) in its month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.reports.alignment import alignment_report
from app.reports.clocks import ClockFilter
from app.reports.disagreements import Disagreement, find_disagreements
from app.reports.feedback import FeedbackFilter, list_feedback, parse_period
from app.reports.weekly import late_clocks
from app.reports.weekly_model import LateClock, Week
from metrics.calendar import Calendar, local_date, local_day_start

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Month:
    """One calendar month in a calendar's time zone, as the UTC moments it starts and ends (exclusive)."""

    name: str  # 2026-03
    first: date
    last: date
    since: datetime
    until: datetime
    timezone: str

    @property
    def rated_since(self) -> datetime:
        """The start of the month's first day in UTC: ratings name whole UTC days (app.reports.feedback)."""
        return datetime.combine(self.first, time(), UTC)

    @property
    def rated_until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    def names_rating(self, start: datetime, end: datetime) -> bool:
        """Tell whether a rating of [start, end) is one of this month's: inside it, and longer than a week."""
        return self.rated_since <= start and end <= self.rated_until and end - start > WEEK


def month_of(first: date, calendar: Calendar) -> Month:
    """Return the month that starts on a local first day, bounded in UTC."""
    name = f"{first.year}-{first.month:02d}"
    days = parse_period(name)
    assert days is not None
    return Month(name, days[0], days[1], local_day_start(days[0], calendar),
                 local_day_start(days[1] + timedelta(days=1), calendar), calendar.timezone)


def this_month(calendar: Calendar, now: datetime) -> Month:
    """Return the month in progress at ``now`` in the calendar's time zone."""
    return month_of(local_date(now, calendar).replace(day=1), calendar)


def last_full_month(calendar: Calendar, now: datetime) -> Month:
    """Return the last whole month before ``now`` in the calendar's time zone."""
    return month_of((this_month(calendar, now).first - timedelta(days=1)).replace(day=1), calendar)


def period_disagreements(session: Session, contracts: Contracts, client: str, period: Week | Month, now: datetime,
                         public_url: str) -> tuple[list[Disagreement], list[LateClock]]:
    """Return where the client's ratings of a week or month disagree with its figures, and its late clocks."""
    ratings = list_feedback(session, FeedbackFilter(client=client, since=period.rated_since,
                                                    until=period.rated_until))
    if not any(period.names_rating(r.period_start, r.period_end) for r in ratings):
        return [], []  # nothing rated for this period: no figures to gather
    found = alignment_report(session, contracts, since=period.since, until=period.until, now=now, client=client,
                             rated=(period.rated_since, period.rated_until),
                             choose=lambda r: period.names_rating(r.period_start, r.period_end))
    disagreements = find_disagreements(period.name, [a for c in found for a in (c.team, *c.developers)])
    if not disagreements:
        return [], []
    base = public_url.rstrip("/")
    return disagreements, late_clocks(session, contracts, ClockFilter(client=client), period.since, period.until,
                                      now, base)
