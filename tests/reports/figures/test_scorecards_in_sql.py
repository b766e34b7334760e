"""Scorecards and listings read through SQL equal the same figures computed in Python from the clocks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.reports.clocks import ClockFilter, load_clocks, open_clock_views, week_calendar
from app.reports.scorecards import (
    Period,
    client_rows,
    client_scorecard,
    developer_rows,
    developer_scorecard,
    person_record,
    trend,
)
from metrics.stats import group_clocks
from tests.reports.figures.conftest import NOW
from tests.reports.figures.reference import reference_client_card, reference_promises, reference_trend

PERIODS = [
    Period(NOW - timedelta(days=30), NOW),
    Period(NOW - timedelta(days=7), NOW - timedelta(seconds=1)),
    Period(NOW - timedelta(days=400), NOW + timedelta(days=400)),  # too long to list every week
]


def _developer_card(session, contracts, person, period, now) -> dict[str, Any]:
    clocks = load_clocks(session, period.filter(developer=person))
    per_client = group_clocks(clocks, lambda c: c.client)
    return {
        "developer": person_record(person, contracts), "since": period.since, "until": period.until,
        **reference_promises(clocks, now),
        "clients": [{"client": name, **reference_promises(per_client[name], now)} for name in sorted(per_client)],
        "trend": reference_trend(clocks, period, now),
        "week_time_zone": "UTC",
        "open_clocks": open_clock_views(session, ClockFilter(developer=person), contracts, now),
    }


@pytest.mark.parametrize("period", PERIODS, ids=["30 days", "7 days", "long"])
def test_scorecards_equal_python_figures(factory, contracts, stored, period):
    with factory() as session:
        for now in (NOW, NOW - timedelta(days=1)):
            for person in ("olena", "github:stranger", "nobody"):
                assert developer_scorecard(session, contracts, person, period, now) == _developer_card(
                    session, contracts, person, period, now)
            assert client_scorecard(session, contracts, "acme", period, now) == reference_client_card(
                session, contracts, "acme", period, now)


@pytest.mark.parametrize("period", PERIODS, ids=["30 days", "7 days", "long"])
def test_trend_equals_python_figures(factory, contracts, stored, period):
    """The trend of a developer's page narrowed to one client, or of anyone's clocks."""
    with factory() as session:
        for developer, client in (("olena", "acme"), ("github:stranger", None), (None, "globex"), ("nobody", None)):
            clocks = load_clocks(session, period.filter(developer=developer, client=client))
            assert trend(session, contracts, period, NOW, developer=developer, client=client) == reference_trend(
                clocks, period, NOW, week_calendar(contracts, client))


@pytest.mark.parametrize("client", [None, "acme", "globex"])
def test_listings_equal_python_figures(factory, contracts, stored, client):
    period = PERIODS[0]
    with factory() as session:
        rows = developer_rows(session, contracts, period, NOW, client=client)
        clocks = load_clocks(session, period.filter(client=client))
        by_person = group_clocks((c for c in clocks if c.developer), lambda c: c.developer or "")
        assert {r["id"] for r in rows} >= set(by_person)
        for row in rows:
            expected = reference_promises(by_person.get(row["id"], []), NOW)
            assert {k: row[k] for k in ("responsiveness", "bug_fix")} == expected
        if client is None:
            by_client = group_clocks(clocks, lambda c: c.client)
            for row in client_rows(session, contracts, period, NOW):
                expected = reference_promises(by_client.get(row["name"], []), NOW)
                assert {k: row[k] for k in ("responsiveness", "bug_fix")} == expected
