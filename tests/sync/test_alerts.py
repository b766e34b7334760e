"""The worker's schedule (injected clock, no sleeping) and alerts delivered once, retried until they arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from app.contracts import parse_contracts
from app.core.db import transaction
from app.core.tables import Alert, SyncRun
from app.sync.alerts import deliver_due, queue_digests, scan
from app.sync.runner import Connectors
from app.sync.worker import Job, Scheduler, Worker
from tests.conftest import AUTH, CONTRACTS_YAML, make_settings, post_github
from tests.payloads import issue, issue_event
from tests.standins import Receiver, serve

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv


def _contracts(receiver_url: str, *, quiet: bool = True, hours: str = "Mon-Fri 09:00-18:00", digest: bool = False):
    text = CONTRACTS_YAML.replace(
        'calendar: {timezone: UTC, working_hours: "24/7"}',
        f'calendar: {{timezone: Europe/Kyiv, working_hours: "{hours}"}}',
    ) + (f"    alerts: {{webhook: '{receiver_url}/hook', slack_webhook: '{receiver_url}/slack', "
         f"quiet_outside_working_hours: {str(quiet).lower()}, daily_digest: {str(digest).lower()}}}\n")
    return parse_contracts(text)


def test_scheduler_runs_each_job_on_its_interval():
    now = [MONDAY]
    calls: list[tuple[str, datetime]] = []
    jobs = [Job("fast", timedelta(seconds=60), lambda t: calls.append(("fast", t))),
            Job("slow", timedelta(minutes=10), lambda t: calls.append(("slow", t)))]
    scheduler = Scheduler(jobs, clock=lambda: now[0])
    assert scheduler.run_pending() == ["fast", "slow"]
    now[0] += timedelta(seconds=30)
    assert scheduler.run_pending() == []
    assert scheduler.seconds_until_next() == 30
    now[0] += timedelta(seconds=30)
    assert scheduler.run_pending() == ["fast"]
    now[0] += timedelta(minutes=10)
    assert scheduler.run_pending() == ["fast", "slow"]
    assert [name for name, _ in calls] == ["fast", "slow", "fast", "fast", "slow"]


def test_a_failing_job_does_not_stop_the_others():
    ran = []

    def boom(_):
        raise RuntimeError("upstream down")

    scheduler = Scheduler([Job("bad", timedelta(seconds=5), boom), Job("good", timedelta(seconds=5), ran.append)],
                          clock=lambda: MONDAY)
    assert scheduler.run_pending() == ["bad", "good"]
    assert ran == [MONDAY]


def _open_question(client, at: datetime) -> None:
    item = issue(5, "alice-acme", at, title="Checkout is broken")
    assert post_github(client, "issues", issue_event("opened", item, "alice-acme")).status_code == 202


def _alerts(factory) -> list[Alert]:
    with factory() as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def test_at_risk_then_breached_each_sent_once_and_retried_until_delivered(app, client, factory):
    receiver = Receiver(fail_first=2)
    with serve(receiver) as url, httpx.Client(timeout=5) as http:
        app.state.contracts = contracts = _contracts(url)
        _open_question(client, MONDAY)
        with transaction(factory) as s:
            assert scan(s, contracts, MONDAY + timedelta(minutes=20)) == 0  # 20 of 30 minutes: not at risk yet
        at_risk = MONDAY + timedelta(minutes=23)
        for _ in range(3):  # repeated checks (or a restart) queue nothing twice
            with transaction(factory) as s:
                scan(s, contracts, at_risk)
        assert sorted((a.stage, a.kind) for a in _alerts(factory)) == [("at_risk", "slack"), ("at_risk", "webhook")]

        assert deliver_due(factory, at_risk, http) == (0, 2)  # the receiver is down
        assert deliver_due(factory, at_risk, http) == (0, 0)  # nothing due until the backoff passes
        assert deliver_due(factory, at_risk + timedelta(seconds=31), http) == (2, 0)  # it recovered
        assert deliver_due(factory, at_risk + timedelta(minutes=5), http) == (0, 0)  # sent means sent

        breached = MONDAY + timedelta(minutes=31)
        with transaction(factory) as s:
            scan(s, contracts, breached)
        deliver_due(factory, breached, http)

    bodies = {(r["path"], r["body"].get("event")) for r in receiver.received}
    assert bodies == {("/hook", "clock.at_risk"), ("/hook", "clock.breached"), ("/slack", None)}
    hook = next(r["body"] for r in receiver.received if r["path"] == "/hook")
    assert hook["text"].startswith("Alice Meyer has waited 23 minutes for an answer on acme/shop#5")
    assert "7 minutes left of the 30 minutes target" in hook["text"]
    assert "since Mon 2 Mar 10:00 Europe/Kyiv time" in hook["text"]
    assert hook["work_item"]["url"] == "https://github.com/acme/shop/issues/5"
    assert all(r["idempotency_key"].startswith("pulse-alert-") for r in receiver.received)
    assert len(receiver.received) == 4


def test_no_alert_at_night_when_the_clock_is_not_running(app, client, factory):
    with serve(Receiver()) as url:
        app.state.contracts = contracts = _contracts(url)
        friday_evening = datetime(2026, 3, 6, 15, 40, tzinfo=UTC)  # 17:40 in Kyiv, 20 min before closing
        _open_question(client, friday_evening)
        with transaction(factory) as s:
            assert scan(s, contracts, datetime(2026, 3, 7, 10, 0, tzinfo=UTC)) == 0  # Saturday: quiet
        with transaction(factory) as s:
            # Monday 09:03 Kyiv: 23 working minutes used, at risk now
            assert scan(s, contracts, datetime(2026, 3, 9, 7, 3, tzinfo=UTC)) == 2


def test_daily_digest_once_per_day(app, client, factory):
    with serve(Receiver()) as url:
        app.state.contracts = contracts = _contracts(url, digest=True)
        _open_question(client, MONDAY - timedelta(days=3))
        for minutes in (0, 30, 90):
            with transaction(factory) as s:
                queue_digests(s, contracts, MONDAY + timedelta(minutes=minutes))
    digests = [a for a in _alerts(factory) if a.stage == "digest"]
    assert len(digests) == 2  # one per destination, once for the day
    assert "1 promise(s) missed" in digests[0].payload["text"]


def test_requested_sync_is_queued_by_the_api_and_run_by_the_worker(app, client, factory, contracts):
    r = client.post("/v1/sync", json={"source": "github", "mode": "incremental"}, headers=AUTH)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    again = client.post("/v1/sync", json={"source": "github"}, headers=AUTH)
    assert again.json()["id"] == r.json()["id"]  # asking twice queues one run
    settings = make_settings(github_token="t")
    routes = httpx.MockTransport(lambda req: httpx.Response(200, json=[], headers={"etag": '"e"'}))
    worker = Worker(settings, factory, contracts, Connectors(settings, factory, github_transport=routes),
                    http=httpx.Client())
    assert worker.run_requested(MONDAY) == 1
    runs = client.get("/v1/sync/runs", headers=AUTH).json()["runs"]
    assert runs[0]["status"] == "succeeded" and runs[0]["requested_by"] == "api"
    assert runs[0]["requests"] == 4
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.status == "queued")) == 0


@pytest.mark.parametrize("body", [{"source": "gitlab"}, {"mode": "sometimes"}])
def test_bad_sync_requests_are_refused(client, body):
    r = client.post("/v1/sync", json=body, headers=AUTH)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_daily_digest_leaves_out_cancelled_clocks(app, factory):
    from sqlalchemy import insert

    from app.core.tables import ClockRow

    def clock(n: int, cancelled: bool) -> dict:
        started = MONDAY - timedelta(hours=10)
        return {"id": f"github:acme/shop#{n}:bug_fix:0", "kind": "bug_fix", "source": "github",
                "item_key": f"acme/shop#{n}", "client": "acme", "seq": 0, "developer": "olena",
                "started_at": started, "stopped_at": MONDAY - timedelta(hours=1), "elapsed_seconds": 5 * 3600,
                "target_seconds": 3 * 3600, "running_since": None, "deadline": None, "at_risk_at": None,
                "evidence": [], "cancelled": cancelled, "detail": None}

    with serve(Receiver()) as url:
        contracts = _contracts(url, digest=True)
        with transaction(factory) as s:
            s.execute(insert(ClockRow), [clock(1, False), clock(2, True)])
        with transaction(factory) as s:
            queue_digests(s, contracts, MONDAY)
    digests = [a for a in _alerts(factory) if a.stage == "digest"]
    assert digests and "1 promise(s) missed" in digests[0].payload["text"]
    assert "acme/shop#2" not in digests[0].payload["text"]
