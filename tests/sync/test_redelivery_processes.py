"""Two worker processes on one PostgreSQL database ask GitHub to redeliver each failed delivery once in all."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.tables import GitHubRedelivery
from connectors.github.hooks import HOOK_EVENTS
from tests.conftest import CONTRACTS_YAML, _require_postgres
from tests.connectors.github.fake_github_admin import PERSONAL_TOKEN, FakeGitHubAdmin
from tests.reliability.conftest import live_database
from tests.sync.test_worker_processes import ROOT, _env

URL = "https://pulse.example.com/webhooks/github"
FAILED = 24


def test_two_workers_ask_for_each_redelivery_once(tmp_path):
    _require_postgres()
    fake = FakeGitHubAdmin(delay=0.03)  # slow answers widen the window two workers could share
    fake.add_repo("acme/shop")
    hook = fake.add_hook("repos/acme/shop", URL, list(HOOK_EVENTS))
    now = datetime.now(UTC)
    failed = [fake.add_delivery(hook, status_code=502, at=now - timedelta(minutes=n + 1)) for n in range(FAILED)]
    for n in range(10):
        fake.add_delivery(hook, status_code=202, at=now - timedelta(minutes=n, seconds=30))
    contracts = tmp_path / "pulse.yaml"
    contracts.write_text(CONTRACTS_YAML)
    start = tmp_path / "start"
    with live_database("postgresql", tmp_path) as (url, engine), fake.running() as api:
        env = _env(url, contracts, PULSE_GITHUB_API_URL=api, PULSE_GITHUB_TOKEN=PERSONAL_TOKEN,
                   PULSE_GITHUB_WEBHOOK_URL=URL, PULSE_REDELIVERY_MAX_PER_RUN="500")
        workers = [subprocess.Popen([sys.executable, "-m", "tests.sync.redelivery_process", str(start), "3"],  # noqa: S603
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(2)]
        try:
            for worker in workers:
                assert worker.stdout.readline().strip() == "READY", worker.stderr.read()
            start.touch()
            outputs = [worker.communicate(timeout=120) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        with engine.connect() as conn:
            recorded = conn.execute(select(GitHubRedelivery.delivery_id, GitHubRedelivery.outcome)).all()
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert all(worker.returncode == 0 for worker in workers), [err for _, err in outputs]
    assert Counter(delivery for _, delivery in fake.attempts) == dict.fromkeys(failed, 1)
    assert sorted(recorded) == sorted((d, "requested") for d in failed)
    assert sum(s["requested"] for s in summaries) == FAILED and not any(s["errors"] for s in summaries)
