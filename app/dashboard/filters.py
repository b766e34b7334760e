"""The dashboard's filters: period, client and developer, read from the query string and written back into links."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from app.contracts import Contracts
from app.reports.clocks import person_name, storable
from app.reports.scorecards import Period

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
PERIOD_WORDS = {"7d": "last 7 days", "30d": "last 30 days", "90d": "last 90 days", "365d": "last 12 months"}
DEFAULT_PERIOD = "30d"
MAX_PARAM = 200


@dataclass(frozen=True)
class Filters:
    """What the page is narrowed to; `notices` say which given values were not understood and were dropped."""

    period: str = DEFAULT_PERIOD
    client: str | None = None
    developer: str | None = None
    notices: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return PERIODS[self.period]

    @property
    def period_words(self) -> str:
        return PERIOD_WORDS[self.period]

    def span(self, now: datetime) -> Period:
        """Return the period ending now, to the second."""
        end = now.replace(microsecond=0)
        return Period(end - timedelta(days=self.days), end)

    def query(self, **changes: str | None) -> str:
        """Write the filters (with some changed) as a query string, defaults left out: '?period=7d&client=acme'."""
        chosen = replace(self, **changes)  # type: ignore[arg-type]
        pairs = [("period", chosen.period if chosen.period != DEFAULT_PERIOD else None),
                 ("client", chosen.client), ("developer", chosen.developer)]
        text = urlencode([(k, v) for k, v in pairs if v])
        return f"?{text}" if text else ""


def read_filters(
    params: Mapping[str, str], contracts: Contracts, is_developer: Callable[[str], bool]
) -> Filters:
    """Read the filters from query parameters; unknown values are dropped with a notice, never an error page."""
    notices = []
    period = params.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        notices.append(f"The period {period[:MAX_PARAM]!r} is not one the dashboard offers; showing the "
                       f"{PERIOD_WORDS[DEFAULT_PERIOD]}.")
        period = DEFAULT_PERIOD
    client = params.get("client") or None
    if client is not None and client not in contracts.clients:
        notices.append(f"There is no client named {client[:MAX_PARAM]!r}; showing every client.")
        client = None
    developer = params.get("developer") or None
    if developer is not None and not (len(developer) <= MAX_PARAM and storable(developer) and is_developer(developer)):
        notices.append(f"There is no developer with id {developer[:MAX_PARAM]!r}; showing everyone.")
        developer = None
    return Filters(period, client, developer, tuple(notices))


def week_start(now: datetime) -> datetime:
    """Return Monday 00:00 UTC of the ISO week holding `now` (the weeks of the scorecards' trend)."""
    day = now.astimezone(UTC).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time(), UTC)


def this_week(now: datetime) -> Period:
    return Period(week_start(now), now.replace(microsecond=0))


def last_week(now: datetime) -> Period:
    start = week_start(now)
    return Period(start - timedelta(days=7), start)


def developer_choices(contracts: Contracts, extra: str | None = None) -> list[tuple[str, str]]:
    """List (id, name) of the roster's developers for the filter, plus a chosen id from outside the roster."""
    people = [(p.id, p.name) for p in contracts.developers()]
    if extra is not None and extra not in {pid for pid, _ in people}:
        people.append((extra, person_name(extra, contracts)))
    return sorted(people, key=lambda p: p[1].lower())
