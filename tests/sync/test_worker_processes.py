"""Real processes: the job lock between two of them, a sync killed with SIGKILL and resumed, and `pulse worker`
syncing from a stand-in GitHub on 127.0.0.1 and alerting a local receiver."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.contracts import parse_contracts
from app.core.db import make_engine, make_sessionmaker
from app.core.locks import JobBusy, job_lock
from app.core.tables import ActivityRow, Base, ClockRow, SyncRun, WorkItemRow
from app.sync.runner import Connectors, run_sync
from tests.conftest import CONTRACTS_YAML, POSTGRES_URL, _drop_schema, _postgres_engine, make_settings
from tests.connectors.github.fake_github import FakeGitHub
from tests.payloads import ts
from tests.standins import GitHubStandIn, Receiver, serve

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/shop"


@contextmanager
def fresh_db(kind: str, tmp_path: Path) -> Iterator[tuple[str, object]]:
    """Yield (URL another process can use, sessionmaker) for an empty schema with tables."""
    if kind == "postgresql":
        schema = f"p_{uuid.uuid4().hex[:12]}"
        engine = _postgres_engine(schema)
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        engine, schema = make_engine(url), None
    Base.metadata.create_all(engine)
    try:
        yield url, make_sessionmaker(engine)
    finally:
        engine.dispose()
        if schema:
            _drop_schema(schema)


def _env(url: str, contracts: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update({"PULSE_DATABASE_URL": url, "PULSE_CONTRACTS": str(contracts), "PULSE_GITHUB_TOKEN": "t",
                "PULSE_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", **extra})
    return env


def _pulse(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli.main", *args]


def test_the_job_lock_keeps_two_processes_apart(db_url, tmp_path):
    with fresh_db("postgresql" if db_url == "postgresql" else "sqlite", tmp_path) as (url, factory):
        holder = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", "import sys,time\nfrom app.core.db import make_engine\n"
             "from app.core.locks import job_lock\n"
             f"with job_lock(make_engine({url!r}), 'sync'):\n    print('LOCKED', flush=True)\n    time.sleep(60)\n"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "LOCKED"
            engine = factory.kw["bind"]
            with pytest.raises(JobBusy), job_lock(engine, "sync"):
                pass
        finally:
            holder.kill()
            holder.wait()
        with job_lock(engine, "sync"):  # the lock dies with its holder, even after SIGKILL
            pass


def _history(fake: FakeGitHub, n: int, now: datetime) -> None:
    for number in range(1, n + 1):
        created = now - timedelta(hours=5, minutes=number)
        fake.issues.append({
            "id": 1000 + number, "number": number, "title": f"Question {number}",
            "user": {"login": "alice-acme", "type": "User"}, "labels": [], "assignees": [], "state": "open",
            "state_reason": None, "created_at": ts(created), "updated_at": ts(created + timedelta(minutes=9)),
            "closed_at": None, "body": "Can you help?", "html_url": f"https://github.com/{REPO}/issues/{number}",
        })
        fake.comments.append({
            "id": 5000 + number, "user": {"login": "olena-dev", "type": "User"}, "body": "On it.",
            "created_at": ts(created + timedelta(minutes=9)), "updated_at": ts(created + timedelta(minutes=9)),
            "html_url": f"https://github.com/{REPO}/issues/{number}#c", "issue_url": f"x/issues/{number}",
        })


def _wait_for_more_items(factory, seen: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with factory() as s:
            count = s.scalar(select(func.count()).select_from(WorkItemRow))
        if count > seen:
            return count
        time.sleep(0.02)
    raise AssertionError("the sync stored nothing within a minute")


def _rows(factory) -> dict[str, list]:
    with factory() as s:
        return {
            "items": sorted((r.key, r.title, r.updated_at) for r in s.scalars(select(WorkItemRow))),
            "activities": sorted((r.external_id, r.kind, r.at) for r in s.scalars(select(ActivityRow))),
            "clocks": sorted((r.id, r.started_at, r.stopped_at, r.elapsed_seconds)
                             for r in s.scalars(select(ClockRow))),
        }


def test_a_sync_killed_with_sigkill_resumes_to_exactly_the_same_records(db_url, tmp_path):
    kind = "postgresql" if db_url == "postgresql" else "sqlite"
    now = datetime.now(UTC).replace(microsecond=0)
    fake = FakeGitHub(REPO, per_page=4)
    _history(fake, 40, now)
    contracts_file = tmp_path / "pulse.yaml"
    contracts_file.write_text(CONTRACTS_YAML)
    contracts = parse_contracts(CONTRACTS_YAML)
    standin = GitHubStandIn(fake, delay=0.05)
    with standin.running() as api, fresh_db(kind, tmp_path) as (url, factory), \
            fresh_db(kind, tmp_path) as (_, reference):
        settings = make_settings(github_token="t", github_api_url=api)
        run_sync(factory=reference, contracts=contracts, connectors=Connectors(settings, reference), source="github")
        expected = _rows(reference)
        assert len(expected["items"]) == 40 and len(expected["clocks"]) == 40

        env = _env(url, contracts_file, PULSE_GITHUB_API_URL=api)
        seen = 0
        for _ in range(2):  # kill twice, each time once it has stored something more
            proc = subprocess.Popen(_pulse("sync", "--source", "github"), cwd=ROOT, env=env,  # noqa: S603
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seen = _wait_for_more_items(factory, seen)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        partial = _rows(factory)
        assert 0 < len(partial["items"]) < 40  # it really was cut off mid-way

        done = subprocess.run(_pulse("sync", "--source", "github"), cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert _rows(factory) == expected
        with factory() as s:
            statuses = sorted(s.scalars(select(SyncRun.status)))
        assert statuses.count("succeeded") == 1 and statuses.count("interrupted") == 2


def test_pulse_worker_syncs_computes_and_sends_an_at_risk_alert(tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    fake = FakeGitHub(REPO)
    fake.issues.append({
        "id": 77, "number": 77, "title": "Payment page shows an error", "user": {"login": "alice-acme", "type": "User"},
        "labels": [], "assignees": [{"login": "olena-dev", "type": "User"}], "state": "open", "state_reason": None,
        "created_at": ts(now - timedelta(minutes=25)), "updated_at": ts(now - timedelta(minutes=25)),
        "closed_at": None, "body": "Customers see an error.", "html_url": f"https://github.com/{REPO}/issues/77",
    })
    receiver = Receiver()
    with GitHubStandIn(fake).running() as api, serve(receiver) as hooks, fresh_db("sqlite", tmp_path) as (url, f):
        contracts_file = tmp_path / "pulse.yaml"
        contracts_file.write_text(CONTRACTS_YAML + f"    alerts: {{webhook: '{hooks}/alerts'}}\n")
        env = _env(url, contracts_file, PULSE_GITHUB_API_URL=api, PULSE_CLOCK_CHECK_SECONDS="1")
        proc = subprocess.Popen(_pulse("worker"), cwd=ROOT, env=env, stdout=subprocess.PIPE,  # noqa: S603
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not receiver.received and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        assert receiver.received, err
        alert = receiver.received[0]["body"]
        assert alert["event"] == "clock.at_risk"
        assert alert["work_item"]["key"] == "acme/shop#77"
        # 25 minutes when the worker alerts at once; a minute or two more when a loaded machine starts it slowly.
        waited = int(re.search(r"Alice Meyer has waited (\d+) minutes for an answer", alert["text"]).group(1))
        late = int((datetime.now(UTC) - now).total_seconds() // 60)
        assert 25 <= waited <= 25 + late, alert["text"]
        assert f"{30 - waited} minutes left of the 30 minutes target" in alert["text"]
        assert "Assigned: Olena Koval" in alert["text"]
        assert proc.returncode == 0 and "Worker stopped." in err
        with f() as s:
            runs = [(r.mode, r.status, r.errors) for r in s.scalars(select(SyncRun))]
        assert ("incremental", "succeeded", []) in runs, runs
