"""The thin path end to end: signed webhooks in, clocks computed, per-developer figures out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.core.tables import ActivityRow, ClockRow, RawDelivery
from tests.conftest import AUTH, post_github
from tests.payloads import comment_event, issue, issue_event

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_client_question_answered_by_developer_shows_in_responsiveness(client, factory):
    item = issue(1, "alice-acme", T0)
    assert post_github(client, "issues", issue_event("opened", item, "alice-acme")).status_code == 202
    answer = comment_event(item, 11, "olena-dev", T0 + timedelta(minutes=12))
    assert post_github(client, "issue_comment", answer).status_code == 202

    r = client.get("/v1/metrics/responsiveness", params={"group_by": "developer"}, headers=AUTH)
    assert r.status_code == 200, r.text
    groups = {g["key"]: g for g in r.json()["groups"]}
    assert groups["olena"]["name"] == "Olena Koval"
    assert groups["olena"]["clocks"] == 1
    assert groups["olena"]["met"] == 1
    assert groups["olena"]["median_seconds"] == 12 * 60
    assert groups["olena"]["attainment"] == 1.0
    with factory() as s:
        clock = s.scalars(select(ClockRow)).one()
    assert clock.started_at == T0 and clock.stopped_at == T0 + timedelta(minutes=12)


def test_comment_before_its_issue_gives_the_same_clock(client, factory):
    item = issue(2, "alice-acme", T0)
    post_github(client, "issue_comment", comment_event(item, 21, "olena-dev", T0 + timedelta(minutes=40)))
    post_github(client, "issues", issue_event("opened", item, "alice-acme"))
    with factory() as s:
        clock = s.scalars(select(ClockRow)).one()
    assert clock.elapsed_seconds == 40 * 60
    assert clock.developer == "olena"


def test_bad_signature_is_refused_and_nothing_is_stored(client, factory):
    item = issue(3, "alice-acme", T0)
    r = post_github(client, "issues", issue_event("opened", item, "alice-acme"), secret="wrong")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _count(factory, RawDelivery) == 0
    assert _count(factory, ActivityRow) == 0


def test_redelivery_is_answered_200_and_counted_once(client, factory):
    payload = issue_event("opened", issue(4, "alice-acme", T0), "alice-acme")
    assert post_github(client, "issues", payload, delivery="d-1").status_code == 202
    again = post_github(client, "issues", payload, delivery="d-1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert _count(factory, RawDelivery) == 1
    assert _count(factory, ClockRow) == 1


def test_metrics_need_a_token(client):
    r = client.get("/v1/metrics/responsiveness")
    assert r.status_code == 401
    assert "Bearer" in r.json()["detail"]
    r = client.get("/v1/metrics/responsiveness", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_health_endpoints_are_open(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 503  # tests create tables directly, not through migrations
    assert "pulse migrate" in r.json()["detail"]
