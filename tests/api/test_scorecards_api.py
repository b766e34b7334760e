"""Developers and clients: listings and scorecards over a period, per client or developer, by week, open now."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tests.api.conftest import ADMIN, READ


def _get(http, path, **params):
    r = http.get(path, params=params, headers=READ)
    assert r.status_code == 200, r.text
    return r.json()


def test_developers_lists_the_roster_with_both_promises(client, story):
    body = _get(client, "/v1/developers")
    people = {d["id"]: d for d in body["developers"]}
    assert set(people) == {"olena", "marco"}  # roster developers; clients and bots are not developers
    olena = people["olena"]
    assert olena["name"] == "Olena Koval" and olena["github"] == "olena-dev" and olena["in_roster"] is True
    assert olena["responsiveness"]["clocks"] == 3 and olena["bug_fix"]["median"] == "2 h"
    assert olena["open_clocks"] == 1
    since, until = (datetime.fromisoformat(body[k]) for k in ("since", "until"))
    assert body["until"].endswith("Z") and until - since == timedelta(days=30) and until >= story.now


def test_developers_for_one_client_lists_only_who_worked_there(client, story):
    assert _get(client, "/v1/developers", client="globex")["developers"] == []
    assert {d["id"] for d in _get(client, "/v1/developers", client="acme")["developers"]} == {"olena", "marco"}


def test_developer_scorecard(client, story):
    card = _get(client, "/v1/developers/olena")
    assert card["developer"]["id"] == "olena"
    assert card["responsiveness"]["met"] == 2 and card["responsiveness"]["running"] == 1
    assert card["bug_fix"]["met"] == 1 and card["bug_fix"]["attainment"] == 1.0
    assert [c["client"] for c in card["clients"]] == ["acme"]
    assert card["clients"][0]["responsiveness"]["clocks"] == 3
    assert [c["work_item"]["key"] for c in card["open_clocks"]] == ["acme/shop#4"]
    assert card["open_clocks"][0]["state"] == "running"
    # 30 days by default: every ISO week it touches, empty weeks included
    assert 5 <= len(card["trend"]) <= 6
    assert sum(w["responsiveness"]["clocks"] for w in card["trend"]) == 3
    assert all(date.fromisoformat(w["starts_on"]).weekday() == 0 for w in card["trend"])


def test_developer_scorecard_over_a_chosen_period(client, story):
    since = (story.t0 - timedelta(days=1)).isoformat()
    until = (story.t0 + timedelta(hours=1)).isoformat()
    card = _get(client, "/v1/developers/olena", since=since, until=until)
    assert card["responsiveness"]["clocks"] == 1 and card["bug_fix"]["clocks"] == 0
    assert card["bug_fix"]["attainment"] is None
    assert len(card["trend"]) in (1, 2)
    assert [c["work_item"]["key"] for c in card["open_clocks"]] == ["acme/shop#4"]  # open now, whatever the period


def test_unknown_developer_is_a_404_that_says_where_to_look(client, story):
    r = client.get("/v1/developers/nobody", headers=ADMIN)
    assert r.status_code == 404
    assert r.json()["detail"] == "No developer with id 'nobody'. GET /v1/developers lists them."
    assert client.get("/v1/developers/alice", headers=ADMIN).status_code == 404  # a client, not a developer


def test_a_period_that_ends_before_it_starts_is_refused(client):
    r = client.get("/v1/developers/olena", params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
                   headers=ADMIN)
    assert r.status_code == 422


def test_clients_list_with_promises_in_plain_words(client, story):
    body = _get(client, "/v1/clients")
    [acme] = body["clients"]
    assert acme["name"] == "acme"
    assert acme["promises"] == {"responsiveness": "answer within 30 minutes, around the clock",
                                "bug_fix": "fix production bugs within 3 hours, around the clock"}
    assert acme["responsiveness"]["clocks"] == 5 and acme["open_clocks"] == 2


def test_client_scorecard(client, story):
    card = _get(client, "/v1/clients/acme")
    assert card["client"]["github_repos"] == ["acme/shop"]
    assert card["responsiveness"]["breached"] == 2 and card["responsiveness"]["met"] == 2
    developers = {d["id"]: d for d in card["developers"]}
    assert set(developers) == {"marco", "olena", "unassigned"}
    assert developers["unassigned"]["name"] == "Unassigned"
    assert {c["work_item"]["key"] for c in card["open_clocks"]} == {"acme/shop#4", "acme/shop#5"}
    assert sum(w["bug_fix"]["clocks"] for w in card["trend"]) == 1


def test_client_promises_use_the_working_calendar_in_words(client, story):
    from app.contracts import parse_contracts
    from tests.conftest import CONTRACTS_YAML

    kyiv = CONTRACTS_YAML.replace('calendar: {timezone: UTC, working_hours: "24/7"}',
                                  'calendar: {timezone: Europe/Kyiv, working_hours: "Mon-Fri 09:00-18:00"}')
    client.app.state.contracts = parse_contracts(kyiv)
    words = _get(client, "/v1/clients/acme")["client"]["promises"]
    assert words["responsiveness"] == "answer within 30 minutes, Mon\u2013Fri 09:00\u201318:00 Europe/Kyiv time"
    assert words["bug_fix"] == "fix production bugs within 3 hours, around the clock"  # bug_fix_calendar: 24/7


def test_unknown_client_is_a_404(client):
    r = client.get("/v1/clients/initech", headers=ADMIN)
    assert r.status_code == 404
    assert r.json()["detail"] == "No client named 'initech'. GET /v1/clients lists them."


def test_long_periods_list_only_weeks_with_clocks(client, story):
    card = _get(client, "/v1/developers/olena", since="2000-01-01T00:00:00Z")
    assert sum(w["responsiveness"]["clocks"] for w in card["trend"]) == 3
    assert all(w["responsiveness"]["clocks"] or w["bug_fix"]["clocks"] for w in card["trend"])
