"""Two `pulse worker` processes on one PostgreSQL database: each alert is posted once, each job runs once."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import insert, select

from app.core.tables import Alert, SyncRun
from tests.conftest import CONTRACTS_YAML, _require_postgres
from tests.connectors.github.fake_github import FakeGitHub
from tests.reliability.conftest import live_database
from tests.standins import GitHubStandIn, Receiver, serve
from tests.sync.test_worker_processes import ROOT, _env, _pulse

ALERTS = 42


def test_two_workers_post_every_alert_once_and_run_each_job_once(tmp_path):
    _require_postgres()
    receiver = Receiver(delay=0.05)  # a slow destination widens the window two workers could share
    with live_database("postgresql", tmp_path) as (url, engine), GitHubStandIn(FakeGitHub("acme/shop")).running() \
            as api, serve(receiver) as hooks:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(insert(Alert), [
                {"clock_id": f"github:acme/shop#{n}:response:0", "stage": "at_risk", "client": "acme",
                 "destination": f"{hooks}/alerts", "kind": "webhook", "status": "pending", "attempts": 0,
                 "payload": {"event": "clock.at_risk", "text": f"Alert {n}"}, "created_at": now,
                 "next_attempt_at": now}
                for n in range(ALERTS)
            ])
        contracts = tmp_path / "pulse.yaml"
        contracts.write_text(CONTRACTS_YAML)
        env = _env(url, contracts, PULSE_GITHUB_API_URL=api, PULSE_CLOCK_CHECK_SECONDS="1",
                   PULSE_QUEUE_POLL_SECONDS="1")
        workers = [subprocess.Popen(_pulse("worker"), cwd=ROOT, env=env, stdout=subprocess.PIPE,  # noqa: S603
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        try:
            deadline = time.monotonic() + 90
            while len(receiver.received) < ALERTS and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(4)  # long enough for a second worker to post anything twice, if it would
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            logs = [worker.communicate(timeout=30)[1] for worker in workers]
        with engine.connect() as conn:
            alerts = conn.execute(select(Alert.status, Alert.attempts)).all()
            runs = conn.execute(select(SyncRun.mode, SyncRun.requested_by, SyncRun.status)).all()
    keys = Counter(post["idempotency_key"] for post in receiver.received)
    assert len(keys) == ALERTS, logs
    assert set(keys.values()) == {1}, [key for key, seen in keys.items() if seen > 1]
    assert Counter(alerts) == {("sent", 1): ALERTS}
    assert all(worker.returncode == 0 for worker in workers), logs
    # Both workers started together: the scheduled sync and the reconcile each ran once, by one of them.
    assert Counter((mode, by) for mode, by, _ in runs) == {("incremental", "schedule"): 1,
                                                          ("reconcile", "schedule"): 1}, runs
