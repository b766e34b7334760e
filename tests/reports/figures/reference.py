"""The figures as metrics.stats.summarize defines them, over clocks read into Python: what SQL must equal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.core.tables import WorkItemRow
from app.reports.clocks import ClockFilter, load_clocks, open_clock_views, person_name, week_calendar
from app.reports.figures import GroupFigures
from app.reports.scorecards import Period, client_record, week_mondays
from metrics.calendar import Calendar, local_week_monday
from metrics.model import Clock, ClockKind
from metrics.stats import group_clocks, summarize
from metrics.wording import week_name

UTC_WEEKS = Calendar.always_on()

GROUP_KEYS: dict[str, Callable[[Clock], str]] = {
    "developer": lambda c: c.developer or "unassigned",
    "client": lambda c: c.client,
    "work_item": lambda c: c.item_key,
}  # weeks are named by local_week(calendar)


def reference_figures(clocks: Iterable[Clock], now: datetime) -> dict[str, Any]:
    """Count and time a group of clocks at `now` with summarize(), shown as the API shows figures."""
    clocks = list(clocks)
    targets = {c.target_seconds for c in clocks}
    return GroupFigures(summarize(clocks, now), targets.pop() if len(targets) == 1 else None).as_dict()


def reference_promises(clocks: Iterable[Clock], now: datetime) -> dict[str, dict[str, Any]]:
    """Both promises' figures of a group of clocks."""
    clocks = list(clocks)
    return {"responsiveness": reference_figures([c for c in clocks if c.kind is ClockKind.RESPONSE], now),
            "bug_fix": reference_figures([c for c in clocks if c.kind is ClockKind.BUG_FIX], now)}


def reference_groups(session: Session, clocks: Iterable[Clock], group_by: str, contracts: Contracts,
                     now: datetime, calendar: Calendar = UTC_WEEKS) -> list[dict[str, Any]]:
    """Figures per group (developer, client, work item, week in the calendar's zone), named, in key order."""
    groups = group_clocks(clocks, local_week(calendar) if group_by == "week" else GROUP_KEYS[group_by])
    titles = {key: title for key, title in session.execute(select(WorkItemRow.key, WorkItemRow.title))}

    def name(key: str) -> str:
        if group_by == "developer":
            return person_name(key, contracts)
        return (titles.get(key) or key) if group_by == "work_item" else key

    return [{"key": key, "name": name(key), **reference_figures(groups[key], now)} for key in sorted(groups)]


def local_week(calendar: Calendar) -> Callable[[Clock], str]:
    """Name a clock's ISO week by its start in the calendar's time zone."""
    return lambda c: week_name(local_week_monday(c.started_at, calendar))


def reference_trend(clocks: Iterable[Clock], period: Period, now: datetime,
                    calendar: Calendar = UTC_WEEKS) -> list[dict[str, Any]]:
    """Both promises per ISO week of the period in the calendar's zone (by clock start), empty weeks included."""
    by_week = group_clocks(clocks, local_week(calendar))
    mondays = week_mondays(period, calendar)
    weeks = sorted(by_week) if mondays is None else [week_name(monday) for monday in mondays]
    return [{"week": week, "starts_on": _monday(week), **reference_promises(by_week.get(week, []), now)}
            for week in weeks]


def reference_client_card(session: Session, contracts: Contracts, name: str, period: Period,
                          now: datetime) -> dict[str, Any]:
    """A client's scorecard from its clocks read into Python: totals, per developer, its own weeks, open now."""
    clocks = load_clocks(session, period.filter(client=name))
    per_developer = group_clocks(clocks, lambda c: c.developer or "unassigned")
    weeks = week_calendar(contracts, name)
    return {
        "client": client_record(name, contracts), "since": period.since, "until": period.until,
        **reference_promises(clocks, now),
        "developers": [{"id": pid, "name": person_name(pid, contracts), **reference_promises(per_developer[pid], now)}
                       for pid in sorted(per_developer)],
        "trend": reference_trend(clocks, period, now, weeks),
        "week_time_zone": weeks.timezone,
        "open_clocks": open_clock_views(session, ClockFilter(client=name), contracts, now),
    }


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)
