"""Weeks in the client's own time: one client's figures are grouped by the ISO week of each clock's start in the
time zone of its contract calendar, the same on SQLite and PostgreSQL; figures over several clients keep UTC weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import ClockRow
from app.reports.clocks import ClockFilter, load_clocks, week_calendar
from app.reports.figures import figures_by, metric_groups
from app.reports.scorecards import Period, client_scorecard, developer_scorecard, trend, week_mondays
from app.store.histories import clock_to_row
from metrics.calendar import Calendar, local_week_monday
from metrics.model import Clock, ClockKind
from metrics.stats import group_clocks, summarize
from metrics.wording import week_name
from tests.reports.figures.conftest import NOW, store_random_clocks
from tests.reports.figures.reference import reference_client_card, reference_groups, reference_trend

# acme and globex are the clients of the random clocks (tests/reports/figures/conftest.py).
ZONED_CONTRACTS = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev}
clients:
  - name: tokyo
    github_repos: [tokyo/app]
    calendar: {timezone: Asia/Tokyo, working_hours: "24/7"}
  - name: newyork
    github_repos: [newyork/app]
    calendar: {timezone: America/New_York, working_hours: "Mon-Fri 09:00-18:00", holidays: US}
  - name: acme
    github_repos: [acme/shop]
    calendar: {timezone: America/New_York, working_hours: "Mon-Fri 09:00-18:00"}
  - name: globex
    github_repos: [globex/site]
    calendar: {timezone: Asia/Tokyo, working_hours: "24/7"}
"""


@pytest.fixture
def contracts():
    return parse_contracts(ZONED_CONTRACTS, "zoned pulse.yaml")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class WeekCase:
    """A clock started at `started` (UTC): the client's ISO week of it, and the UTC one."""

    client: str
    started: str
    client_week: str
    utc_week: str


CASES = {
    # Tokyo is UTC+9 all year: its Monday begins at 15:00 UTC on Sunday.
    "tokyo: Sunday 23:30 UTC is Monday 08:30 in Tokyo": WeekCase("tokyo", "2026-03-01 23:30", "2026-W10", "2026-W09"),
    "tokyo: Monday 00:30 UTC is Monday 09:30 in Tokyo": WeekCase("tokyo", "2026-03-02 00:30", "2026-W10", "2026-W10"),
    "tokyo: Sunday 14:59:59 UTC is still Sunday in Tokyo": WeekCase("tokyo", "2026-03-01 14:59:59", "2026-W09",
                                                                    "2026-W09"),
    "tokyo: Sunday 15:00 UTC is Monday midnight in Tokyo": WeekCase("tokyo", "2026-03-01 15:00", "2026-W10",
                                                                    "2026-W09"),
    # New York before the spring change (EST, UTC-5): Monday begins at 05:00 UTC.
    "new york, winter: Monday 04:30 UTC is Sunday 23:30": WeekCase("newyork", "2026-03-02 04:30", "2026-W09",
                                                                   "2026-W10"),
    "new york, winter: Monday 05:00 UTC is Monday midnight": WeekCase("newyork", "2026-03-02 05:00", "2026-W10",
                                                                      "2026-W10"),
    # Clocks went forward on Sunday 8 March 2026 (EDT, UTC-4): the next Monday begins at 04:00 UTC, not 05:00.
    "new york, spring change: Monday 03:30 UTC is Sunday 23:30": WeekCase("newyork", "2026-03-09 03:30", "2026-W10",
                                                                          "2026-W11"),
    "new york, spring change: Monday 04:00 UTC is Monday midnight": WeekCase("newyork", "2026-03-09 04:00",
                                                                             "2026-W11", "2026-W11"),
    "new york, spring change: the skipped hour's Sunday": WeekCase("newyork", "2026-03-08 07:30", "2026-W10",
                                                                   "2026-W10"),
    # Clocks went back on Sunday 1 November 2026 (EST again): Monday begins at 05:00 UTC once more.
    "new york, autumn change: the repeated 01:30, first time": WeekCase("newyork", "2026-11-01 05:30", "2026-W44",
                                                                        "2026-W44"),
    "new york, autumn change: the repeated 01:30, second time": WeekCase("newyork", "2026-11-01 06:30", "2026-W44",
                                                                         "2026-W44"),
    "new york, autumn change: Monday 04:30 UTC is Sunday 23:30": WeekCase("newyork", "2026-11-02 04:30", "2026-W44",
                                                                          "2026-W45"),
    "new york, autumn change: Monday 05:00 UTC is Monday midnight": WeekCase("newyork", "2026-11-02 05:00",
                                                                             "2026-W45", "2026-W45"),
}


def _clock(client: str, started: datetime, seq: int, *, stopped: bool) -> Clock:
    """A response clock of `client` started at `started`: answered after 10 minutes, or still running."""
    return Clock(
        kind=ClockKind.RESPONSE, source="github", item_key=f"{client}/app#1", client=client, seq=seq,
        developer="olena", started_at=started, stopped_at=started + timedelta(minutes=10) if stopped else None,
        elapsed_seconds=600 if stopped else 0, target_seconds=1800, running_since=None if stopped else started,
        deadline=None if stopped else started + timedelta(minutes=30), at_risk_at=None, evidence=(),
    )


def _store(factory, clocks: list[Clock]) -> None:
    with transaction(factory) as session:
        session.execute(insert(ClockRow), [clock_to_row(c) for c in clocks])


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_clock_counts_in_the_week_of_its_start_in_the_clients_time(factory, contracts, case):
    """One answered and one running clock started at the same moment, grouped by week every way a client's are."""
    started = _utc(case.started)
    _store(factory, [_clock(case.client, started, 0, stopped=True), _clock(case.client, started, 1, stopped=False)])
    now = started + timedelta(minutes=20)
    period = Period(started - timedelta(days=10), started + timedelta(days=10))
    with factory() as session:
        (group,) = metric_groups(session, ClockFilter(client=case.client), "week", contracts, now)
        assert (group["key"], group["clocks"], group["met"], group["running"]) == (case.client_week, 2, 1, 1)

        card = client_scorecard(session, contracts, case.client, period, now)
        assert card["week_time_zone"] == contracts.clients[case.client].calendar.timezone
        (week,) = [w for w in card["trend"] if w["responsiveness"]["clocks"]]
        assert (week["week"], week["starts_on"], week["responsiveness"]["running"]) == (
            case.client_week, _monday(case.client_week), 1)
        narrowed = trend(session, contracts, period, now, developer="olena", client=case.client)
        assert [w["week"] for w in narrowed if w["responsiveness"]["clocks"]] == [case.client_week]

        # Over several clients (none named), the same clocks keep their UTC week.
        (everyone,) = metric_groups(session, ClockFilter(), "week", contracts, now)
        assert (everyone["key"], everyone["clocks"]) == (case.utc_week, 2)
        mine = developer_scorecard(session, contracts, "olena", period, now)
        assert mine["week_time_zone"] == "UTC"
        assert [w["week"] for w in mine["trend"] if w["responsiveness"]["clocks"]] == [case.utc_week]


def test_the_weeks_of_several_clients_stay_utc_each_client_its_own(factory, contracts):
    """Tokyo's Monday morning and New York's Sunday evening are one UTC week, and two weeks for each client."""
    tokyo, new_york = _utc("2026-03-01 23:30"), _utc("2026-03-02 04:30")
    _store(factory, [_clock("tokyo", tokyo, 0, stopped=True), _clock("newyork", new_york, 0, stopped=True)])
    now = NOW
    with factory() as session:
        weeks = {g["key"]: g["clocks"] for g in metric_groups(session, ClockFilter(), "week", contracts, now)}
        assert weeks == {"2026-W09": 1, "2026-W10": 1}
        per_client = {
            client: [g["key"] for g in metric_groups(session, ClockFilter(client=client), "week", contracts, now)]
            for client in ("tokyo", "newyork")
        }
        assert per_client == {"tokyo": ["2026-W10"], "newyork": ["2026-W09"]}


WEEKS_OF_PERIODS = {
    # One Tokyo week exactly: Monday 00:00 to Monday 00:00 in Tokyo; the same span touches two UTC weeks.
    "tokyo week": ("Asia/Tokyo", "2026-03-01 15:00", "2026-03-08 15:00", ["2026-03-02"]),
    "utc weeks of the tokyo week": ("UTC", "2026-03-01 15:00", "2026-03-08 15:00", ["2026-02-23", "2026-03-02"]),
    # The week the clocks go forward lasts 167 hours in New York.
    "new york week with the spring change": ("America/New_York", "2026-03-02 05:00", "2026-03-09 04:00",
                                             ["2026-03-02"]),
    "new york, one second more": ("America/New_York", "2026-03-02 05:00", "2026-03-09 04:00:01",
                                  ["2026-03-02", "2026-03-09"]),
    # And the week they go back, 169 hours.
    "new york week with the autumn change": ("America/New_York", "2026-10-26 04:00", "2026-11-02 05:00",
                                             ["2026-10-26"]),
    "empty period": ("Asia/Tokyo", "2026-03-02 00:00", "2026-03-02 00:00", []),
}


@pytest.mark.parametrize(("zone", "since", "until", "mondays"), WEEKS_OF_PERIODS.values(), ids=WEEKS_OF_PERIODS.keys())
def test_a_period_touches_the_weeks_of_its_calendar(zone, since, until, mondays):
    calendar = Calendar(timezone=zone)
    assert week_mondays(Period(_utc(since), _utc(until)), calendar) == [date.fromisoformat(m) for m in mondays]


def test_a_period_at_the_edge_of_the_calendar_lists_only_weeks_with_clocks():
    first = datetime(1, 1, 1, tzinfo=UTC)
    assert week_mondays(Period(first, first + timedelta(days=3)), Calendar(timezone="America/New_York")) is None


PERIODS = [
    Period(NOW - timedelta(days=30), NOW),
    Period(NOW - timedelta(days=7), NOW - timedelta(seconds=1)),
    Period(NOW - timedelta(days=400), NOW + timedelta(days=400)),  # too long to list every week
]


@pytest.mark.parametrize("client", ["acme", "globex"])
def test_one_clients_weeks_equal_python_figures_over_random_clocks(factory, contracts, stored, client):
    """Random clocks over February and March 2026 (New York's clocks went forward on 8 March), per local week."""
    calendar = week_calendar(contracts, client)
    with factory() as session:
        for since, until in [(None, None), (NOW - timedelta(days=30), NOW)]:
            flt = ClockFilter(client=client, since=since, until=until)
            clocks = load_clocks(session, flt)
            found = figures_by(session, flt, ["week", "kind"], NOW, week_zone=calendar.timezone)
            groups = group_clocks(clocks, lambda c: (local_week_monday(c.started_at, calendar), c.kind.value))
            assert sorted(found) == list(groups)
            for key, value in found.items():
                assert value.stats == summarize(groups[key], NOW), key
            expected = reference_groups(session, clocks, "week", contracts, NOW, calendar)
            assert metric_groups(session, flt, "week", contracts, NOW) == expected
        for period in PERIODS:
            assert client_scorecard(session, contracts, client, period, NOW) == reference_client_card(
                session, contracts, client, period, NOW)
            clocks = load_clocks(session, period.filter(client=client, developer="olena"))
            assert trend(session, contracts, period, NOW, developer="olena", client=client) == reference_trend(
                clocks, period, NOW, calendar)


def test_random_clocks_of_every_client_keep_utc_weeks(factory, contracts):
    clocks = store_random_clocks(factory, 11, 300)
    with factory() as session:
        found = metric_groups(session, ClockFilter(), "week", contracts, NOW)
        assert [g["key"] for g in found] == sorted(group_clocks(clocks, lambda c: week_name(c.started_at)))
