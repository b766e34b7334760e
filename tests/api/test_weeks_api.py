"""Answers grouped by week say which time zone their weeks are in: a client's own, or UTC over several clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import ClockRow
from app.store.histories import clock_to_row
from metrics.model import Clock, ClockKind
from tests.api.conftest import READ

CONTRACTS = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev}
clients:
  - name: tokyo
    github_repos: [tokyo/app]
    calendar: {timezone: Asia/Tokyo, working_hours: "Mon-Fri 09:00-18:00"}
  - name: acme
    github_repos: [acme/shop]
"""
# Monday 08:30 and 09:30 in Tokyo: one Tokyo week, two UTC weeks (Sunday 23:30 and Monday 00:30 UTC).
STARTS = [datetime(2026, 3, 1, 23, 30, tzinfo=UTC), datetime(2026, 3, 2, 0, 30, tzinfo=UTC)]
PERIOD = {"since": "2026-02-23T00:00:00Z", "until": "2026-03-09T00:00:00Z"}


@pytest.fixture
def contracts():
    return parse_contracts(CONTRACTS, "test pulse.yaml")


@pytest.fixture
def answered(factory):
    """Two answered Tokyo messages, credited to olena."""
    clocks = [Clock(kind=ClockKind.RESPONSE, source="github", item_key="tokyo/app#1", client="tokyo", seq=seq,
                    developer="olena", started_at=at, stopped_at=at + timedelta(minutes=5), elapsed_seconds=300,
                    target_seconds=1800, running_since=None, deadline=None, at_risk_at=None, evidence=())
              for seq, at in enumerate(STARTS)]
    with transaction(factory) as session:
        session.execute(insert(ClockRow), [clock_to_row(c) for c in clocks])


def _get(http, path, **params):
    r = http.get(path, params=params, headers=READ)
    assert r.status_code == 200, r.text
    return r.json()


WEEKLY_METRICS = {
    "one client: its own weeks": ({"client": "tokyo"}, "Asia/Tokyo", {"2026-W10": 2}),
    "every client: UTC weeks": ({}, "UTC", {"2026-W09": 1, "2026-W10": 1}),
    "a developer over every client: UTC weeks": ({"developer": "olena"}, "UTC", {"2026-W09": 1, "2026-W10": 1}),
    "a client in UTC: UTC weeks": ({"client": "acme"}, "UTC", {}),
}


@pytest.mark.parametrize(("params", "zone", "weeks"), WEEKLY_METRICS.values(), ids=WEEKLY_METRICS.keys())
def test_metrics_by_week_say_the_time_zone_of_their_weeks(client, answered, params, zone, weeks):
    body = _get(client, "/v1/metrics/responsiveness", group_by="week", **params)
    assert body["week_time_zone"] == zone
    assert {g["key"]: g["clocks"] for g in body["groups"]} == weeks


def test_metrics_by_anything_else_have_no_week_time_zone(client, answered):
    assert _get(client, "/v1/metrics/responsiveness", group_by="developer", client="tokyo")["week_time_zone"] is None


def test_a_clients_scorecard_runs_in_its_own_weeks(client, answered):
    card = _get(client, "/v1/clients/tokyo", **PERIOD)
    assert card["week_time_zone"] == "Asia/Tokyo"
    assert [(w["week"], w["starts_on"], w["responsiveness"]["clocks"]) for w in card["trend"]] == [
        ("2026-W09", "2026-02-23", 0), ("2026-W10", "2026-03-02", 2), ("2026-W11", "2026-03-09", 0)]


def test_a_developers_scorecard_runs_in_utc_weeks(client, answered):
    card = _get(client, "/v1/developers/olena", **PERIOD)
    assert card["week_time_zone"] == "UTC"
    assert [(w["week"], w["responsiveness"]["clocks"]) for w in card["trend"]] == [("2026-W09", 1), ("2026-W10", 1)]


def test_plain_language_by_week_says_the_time_zone_of_its_weeks(client):
    body = _get(client, "/v1/metrics/plain-language", group_by="week", client="tokyo")
    assert body["week_time_zone"] == "Asia/Tokyo"
    assert _get(client, "/v1/metrics/plain-language", group_by="week")["week_time_zone"] == "UTC"
    assert _get(client, "/v1/metrics/plain-language", client="tokyo")["week_time_zone"] is None


def test_the_schema_documents_the_week_time_zone(client):
    schemas = _get(client, "/openapi.json")["components"]["schemas"]
    for model in ("MetricReport", "ClientScorecard", "DeveloperScorecard", "PlainLanguageReport"):
        field = schemas[model]["properties"]["week_time_zone"]
        assert "IANA time zone" in field["description"] and field["examples"] == ["Asia/Tokyo"], model
