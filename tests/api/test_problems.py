"""Every error is an RFC 9457 problem, including the unexpected ones and a database that does not answer."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.api.problems import install_problem_handlers
from app.core.db import make_engine, make_sessionmaker
from app.reports.clocks import live_elapsed
from metrics.model import Clock, ClockKind
from tests.api.conftest import ADMIN


class Note(BaseModel):
    text: str


def _toy_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/thing")
    def read_thing() -> dict:
        return {}

    @app.post("/thing")
    def create_thing(note: Note) -> dict:
        return {"text": note.text}

    return app


def test_an_unexpected_error_is_a_500_problem_without_internals():
    with TestClient(_toy_app(), raise_server_exceptions=False) as http:
        r = http.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "a bug" not in r.text and "logged" in r.json()["detail"]


def test_405_lists_every_method_the_path_answers():
    with TestClient(_toy_app()) as http:
        r = http.delete("/thing")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.json()["detail"] == "DELETE is not available at this address; it answers GET, POST."


def test_a_body_that_is_not_utf8_json_is_a_422_problem():
    with TestClient(_toy_app()) as http:
        r = http.post("/thing", content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_address_is_a_404_problem(client):
    r = client.get("/v2/nothing", headers=ADMIN)
    assert r.status_code == 404 and "/docs" in r.json()["detail"]


def test_a_database_that_does_not_answer_is_a_503_with_retry_after(client):
    client.app.state.sessionmaker = make_sessionmaker(make_engine("sqlite:////nonexistent/dir/pulse.db"))
    r = client.get("/v1/clocks", headers=ADMIN)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert r.json()["detail"] == "The database is unavailable right now. Retry in a few seconds."


def test_a_nul_character_finds_nothing_instead_of_failing(client, story):
    assert client.get("/v1/developers/ol%00ena", headers=ADMIN).status_code == 404
    assert client.get("/v1/work-items/jira/SHOP%0045", headers=ADMIN).status_code == 404
    r = client.get("/v1/clocks", params={"developer": "ol\x00ena"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["clocks"] == []


def test_running_elapsed_counts_working_time_in_the_clients_calendar():
    from app.contracts import parse_contracts

    contracts = parse_contracts("""
clients:
  - name: acme
    calendar: {timezone: Europe/Kyiv, working_hours: "Mon-Fri 09:00-18:00"}
""")
    # Friday 2026-03-06 17:00 Kyiv (15:00 UTC) to Monday 10:00 Kyiv (08:00 UTC): 1 h + 1 h of working time
    clock = Clock(ClockKind.RESPONSE, "github", "acme/shop#1", "acme", 0, None,
                  started_at=datetime(2026, 3, 6, 14, 30, tzinfo=UTC), stopped_at=None, elapsed_seconds=1800,
                  target_seconds=3600 * 4, running_since=datetime(2026, 3, 6, 15, 0, tzinfo=UTC), deadline=None,
                  at_risk_at=None, evidence=())
    assert live_elapsed(clock, contracts, datetime(2026, 3, 9, 8, 0, tzinfo=UTC)) == 1800 + 7200
