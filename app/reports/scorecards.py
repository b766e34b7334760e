"""Scorecards: both promises over a period, per developer and per client, with a weekly trend.

A client's trend runs in the client's own weeks (its contract calendar's time zone); a developer's, over
several clients, in UTC weeks.

Each scorecard is a plain dict shaped like its API model, so new sections (plain-language scores, client
feedback) are added as new keys without changing the existing ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Contracts, PersonSpec
from app.core.tables import ClockRow
from app.reports.clocks import ClockFilter, open_clock_views, person_name, storable, week_calendar
from app.reports.figures import (
    NO_CLOCKS,
    GroupFigures,
    GroupKey,
    figures_by_client_and_kind,
    figures_by_developer,
    figures_by_groupings,
)
from app.reports.promises import promise_words
from metrics.calendar import Calendar, local_week_monday
from metrics.model import ClockKind
from metrics.wording import week_name

DEFAULT_DAYS = 30
# Beyond about two years a week-by-week trend is no longer readable; only weeks with clocks are listed then.
MAX_FILLED_WEEKS = 106
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """Clocks started at or after `since` and before `until`."""

    since: datetime
    until: datetime

    @classmethod
    def resolve(cls, since: datetime | None, until: datetime | None, now: datetime) -> Period:
        """Fill in the defaults: until now, since DEFAULT_DAYS before until."""
        end = until if until is not None else now
        if since is not None:
            return cls(since, end)
        try:
            return cls(end - timedelta(days=DEFAULT_DAYS), end)
        except OverflowError:
            return cls(_EARLIEST, end)

    def filter(self, **kwargs: Any) -> ClockFilter:
        return ClockFilter(since=self.since, until=self.until, **kwargs)


def _promises(found: dict[GroupKey, GroupFigures], *group: Any) -> dict[str, dict[str, Any]]:
    """Both promises' figures of one group, from figures keyed by (*group, kind)."""
    return {"responsiveness": found.get((*group, ClockKind.RESPONSE.value), NO_CLOCKS).as_dict(),
            "bug_fix": found.get((*group, ClockKind.BUG_FIX.value), NO_CLOCKS).as_dict()}


def _figures_by_kind(session: Session, flt: ClockFilter, now: datetime, *groupings: Sequence[str],
                     week_zone: str = "UTC") -> list[dict[GroupKey, GroupFigures]]:
    """Figure the same clocks per kind within each grouping, reading them once where the database allows."""
    return figures_by_groupings(session, flt, [[*keys, "kind"] for keys in groupings], now, week_zone=week_zone)


def week_mondays(period: Period, calendar: Calendar) -> list[date] | None:
    """Return the Monday of every ISO week the period touches in the calendar's zone, or None when too many."""
    if period.until <= period.since:
        return []
    if (period.until - period.since).days > 7 * MAX_FILLED_WEEKS:
        return None
    try:
        monday = local_week_monday(period.since, calendar)
        last = local_week_monday(period.until - timedelta(microseconds=1), calendar)
    except OverflowError:  # an edge of the calendar (year 1 or 9999) moved past it by the zone's offset
        return None
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


def trend(session: Session, contracts: Contracts, period: Period, now: datetime, *, developer: str | None = None,
          client: str | None = None) -> list[dict[str, Any]]:
    """Return both promises' figures per ISO week of the period (by clock start), empty weeks included."""
    weeks = week_calendar(contracts, client)
    (per_week,) = _figures_by_kind(session, period.filter(developer=developer, client=client), now, ("week",),
                                   week_zone=weeks.timezone)
    return _trend_of(per_week, period, weeks)


def _trend_of(per_week: dict[GroupKey, GroupFigures], period: Period, weeks: Calendar) -> list[dict[str, Any]]:
    """Lay figures keyed by (Monday, kind) out week by week over the period, in the calendar's weeks."""
    by_week = {monday: _promises(per_week, monday) for monday, _ in per_week}
    mondays = sorted({*(week_mondays(period, weeks) or ()), *by_week})
    empty = _promises({})
    return [{"week": week_name(monday), "starts_on": monday, **by_week.get(monday, empty)} for monday in mondays]


def person_record(person_id: str, contracts: Contracts, client: str | None = None) -> dict[str, Any]:
    spec: PersonSpec | None = contracts.people.get(person_id)
    if spec is None:
        return {"id": person_id, "name": person_name(person_id, contracts), "role": "developer", "github": None,
                "jira": [], "in_roster": False}
    role = spec.role if client is None else spec.role_at(client)
    return {"id": spec.id, "name": spec.name, "role": role, "github": spec.github, "jira": spec.jira_ids,
            "in_roster": True}


def _open_counts(session: Session, column: Any, client: str | None = None) -> Counter[str]:
    # Counted here rather than with GROUP BY: SQLite would walk the grouping column's index and look up
    # every row, twenty times slower than one scan of the (few) open clocks.
    stmt = select(column).where(ClockRow.stopped_at.is_(None))
    if client is not None:
        stmt = stmt.where(ClockRow.client == client)
    return Counter(key for key in session.scalars(stmt) if key is not None)


def developer_rows(
    session: Session, contracts: Contracts, period: Period, now: datetime, *,
    client: str | None = None, developer: str | None = None,
) -> list[dict[str, Any]]:
    """Both promises per developer over the period: roster developers, and anyone else credited."""
    if not storable(client, developer):
        return []
    found = {
        (pid, kind.value): value
        for kind in ClockKind
        for pid, value in figures_by_developer(session, period.filter(kind=kind, client=client, developer=developer),
                                               now).items()
        if pid  # credited to nobody: no row
    }
    open_now = _open_counts(session, ClockRow.developer, client)
    credited = {pid for pid, _ in found} | set(open_now)
    if client is None:
        credited |= {p.id for p in contracts.developers()}
    if developer is not None:
        credited = {developer} if developer in credited or developer in contracts.people else set()
    rows = [
        {**person_record(pid, contracts, client), **_promises(found, pid), "open_clocks": open_now[pid]}
        for pid in credited
    ]
    return sorted(rows, key=lambda r: (r["name"].lower(), r["id"]))


def developer_scorecard(session: Session, contracts: Contracts, person_id: str, period: Period,
                        now: datetime) -> dict[str, Any]:
    """One developer's scorecard: totals, per client, week by week, and the clocks open right now."""
    weeks = week_calendar(contracts, None)
    totals, per_client, per_week = _figures_by_kind(session, period.filter(developer=person_id), now, (),
                                                    ("client",), ("week",), week_zone=weeks.timezone)
    return {
        "developer": person_record(person_id, contracts),
        "since": period.since,
        "until": period.until,
        **_promises(totals),
        "clients": [{"client": name, **_promises(per_client, name)} for name in sorted({c for c, _ in per_client})],
        "trend": _trend_of(per_week, period, weeks),
        "week_time_zone": weeks.timezone,
        "open_clocks": open_clock_views(session, ClockFilter(developer=person_id), contracts, now),
    }


def client_record(name: str, contracts: Contracts) -> dict[str, Any]:
    client = contracts.clients[name]
    return {
        "name": name,
        "promises": promise_words(client),
        "response_target_seconds": client.spec.targets.response_time,
        "bug_fix_target_seconds": client.spec.targets.production_bug_fix,
        "github_repos": list(client.spec.github_repos),
        "jira_projects": list(client.spec.jira_projects),
    }


def client_rows(session: Session, contracts: Contracts, period: Period, now: datetime) -> list[dict[str, Any]]:
    """Both promises per client over the period."""
    found = figures_by_client_and_kind(session, period.filter(), now)
    open_now = _open_counts(session, ClockRow.client)
    return [
        {**client_record(name, contracts), **_promises(found, name), "open_clocks": open_now[name]}
        for name in sorted(contracts.clients)
    ]


def client_scorecard(session: Session, contracts: Contracts, name: str, period: Period,
                     now: datetime) -> dict[str, Any]:
    """One client's scorecard: its promises in words, totals, per developer, week by week, open clocks."""
    weeks = week_calendar(contracts, name)
    totals, per_developer, per_week = _figures_by_kind(session, period.filter(client=name), now, (),
                                                       ("credited",), ("week",), week_zone=weeks.timezone)
    return {
        "client": client_record(name, contracts),
        "since": period.since,
        "until": period.until,
        **_promises(totals),
        "developers": [
            {"id": pid, "name": person_name(pid, contracts), **_promises(per_developer, pid)}
            for pid in sorted({pid for pid, _ in per_developer})
        ],
        "trend": _trend_of(per_week, period, weeks),
        "week_time_zone": weeks.timezone,
        "open_clocks": open_clock_views(session, ClockFilter(client=name), contracts, now),
    }
