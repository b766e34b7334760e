"""The metrics endpoints: human durations, CSV, and times that must carry an offset."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.api.conftest import ADMIN


def _groups(r):
    assert r.status_code == 200, r.text
    return {g["key"]: g for g in r.json()["groups"]}


def test_figures_come_in_seconds_and_in_words(client, story):
    groups = _groups(client.get("/v1/metrics/responsiveness", headers=ADMIN))
    olena = groups["olena"]
    # #1 answered in 12 min, #3 in 5 min; #4 still running (10 min, not at risk yet)
    assert (olena["clocks"], olena["met"], olena["breached"], olena["running"]) == (3, 2, 0, 1)
    assert olena["median_seconds"] == 510.0 and olena["median"] == "8 min 30 s"
    assert olena["target_seconds"] == 1800 and olena["target"] == "30 min"
    assert groups["marco"]["median"] == "45 min" and groups["marco"]["attainment"] == 0.0
    unassigned = groups["unassigned"]
    assert (unassigned["breached"], unassigned["running"], unassigned["median"]) == (1, 1, None)


def test_bug_fix_figures(client, story):
    groups = _groups(client.get("/v1/metrics/bug-fix", params={"group_by": "client"}, headers=ADMIN))
    assert groups["acme"]["clocks"] == 1 and groups["acme"]["median"] == "2 h"
    assert groups["acme"]["target"] == "3 h"


def test_results_are_utc_with_z_whatever_offset_was_asked(client, story):
    r = client.get("/v1/metrics/responsiveness", params={"since": "2026-03-02T09:00:00+02:00"}, headers=ADMIN)
    assert r.json()["since"] == "2026-03-02T07:00:00Z"
    assert r.json()["until"] is None


def test_an_unencoded_plus_in_the_offset_is_read_back(client, story):
    # '+' in a query string decodes to a space; 2026-03-02T09:00:00+02:00 written without %2B arrives like this
    r = client.get("/v1/metrics/responsiveness?since=2026-03-02T09:00:00+02:00", headers=ADMIN)
    assert r.status_code == 200
    assert r.json()["since"] == "2026-03-02T07:00:00Z"


def test_a_time_without_offset_is_refused_with_a_clear_message(client):
    r = client.get("/v1/metrics/responsiveness", params={"since": "2026-03-02T09:00:00"}, headers=ADMIN)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail"].startswith("The parameter 'since' is wrong: has no time zone;")
    assert "2026-03-02T09:00:00+02:00" in body["detail"]
    assert body["errors"][0]["field"] == "since"


def test_since_after_until_is_refused(client):
    r = client.get("/v1/metrics/bug-fix", params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
                   headers=ADMIN)
    assert r.status_code == 422
    assert r.json()["detail"] == "The parameter 'since' must be before 'until'."


def test_window_filters_by_clock_start(client, story):
    since = (story.t0 + timedelta(minutes=30)).isoformat()
    until = (story.t0 + timedelta(hours=3)).isoformat()
    groups = _groups(client.get("/v1/metrics/responsiveness", params={"since": since, "until": until},
                                headers=ADMIN))
    assert set(groups) == {"marco", "olena"}
    assert groups["olena"]["clocks"] == 1  # only #3


def test_csv_by_format_parameter(client, story):
    r = client.get("/v1/metrics/responsiveness", params={"format": "csv", "group_by": "developer"}, headers=ADMIN)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="responsiveness-by-developer.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    olena = next(row for row in rows if row["key"] == "olena")
    assert olena["name"] == "Olena Koval" and olena["median"] == "8 min 30 s" and olena["median_seconds"] == "510.0"
    unassigned = next(row for row in rows if row["key"] == "unassigned")
    assert unassigned["attainment"] == "0.0" and unassigned["median"] == ""


def test_csv_by_accept_header_and_json_stays_the_default(client, story):
    r = client.get("/v1/metrics/bug-fix", headers={**ADMIN, "Accept": "text/csv"})
    assert r.text.startswith("key,name,clocks,")
    r = client.get("/v1/metrics/bug-fix", headers={**ADMIN, "Accept": "application/json, text/csv;q=0.5"})
    assert r.headers["content-type"] == "application/json"
    r = client.get("/v1/metrics/bug-fix", params={"format": "json"}, headers={**ADMIN, "Accept": "text/csv"})
    assert r.headers["content-type"] == "application/json"


def test_group_by_week_and_work_item(client, story):
    weeks = _groups(client.get("/v1/metrics/responsiveness", params={"group_by": "week"}, headers=ADMIN))
    assert all(key[4:6] == "-W" for key in weeks)
    assert sum(g["clocks"] for g in weeks.values()) == 5
    items = _groups(client.get("/v1/metrics/responsiveness", params={"group_by": "work_item"}, headers=ADMIN))
    assert items["acme/shop#1"]["name"] == "Checkout button does nothing on Safari"


def test_unknown_group_by_lists_the_choices(client):
    r = client.get("/v1/metrics/responsiveness", params={"group_by": "team"}, headers=ADMIN)
    assert r.status_code == 422
    assert "developer" in r.json()["detail"] and "week" in r.json()["detail"]
