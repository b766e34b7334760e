"""Two real worker processes asking, reminding and sending at the same moments: each contact gets one survey
and one reminder, each e-mail is written once (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import func, select

from app.core.tables import Notification, SurveyRequest
from tests.conftest import CONTRACTS_YAML
from tests.surveys.builders import SECRET
from tests.sync.test_worker_processes import ROOT, _env, fresh_db

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
RACER = """
import sys, time
from datetime import datetime, timedelta
from pathlib import Path
import httpx
from app.contracts import load_contracts
from app.core.db import make_engine, make_sessionmaker
from app.settings import load_settings
from app.sync.runner import Connectors
from app.sync.worker import Worker

settings = load_settings()
factory = make_sessionmaker(make_engine(settings.database_url))
contracts = load_contracts(settings.contracts)
now = datetime.fromisoformat(sys.argv[1])
go = Path(sys.argv[2])
with httpx.Client() as http:
    worker = Worker(settings, factory, contracts, Connectors(settings, factory), http)
    print("READY", flush=True)
    while not go.exists():
        time.sleep(0.01)
    for step in range(12):
        at = now + timedelta(days=3) if step >= 6 else now  # the survey first, then the reminder
        worker.ask_clients(at)
        worker.send_notifications(at)
print("DONE", flush=True)
"""


def test_two_workers_ask_remind_and_send_each_once(db_url, tmp_path: Path):
    contracts = tmp_path / "pulse.yaml"
    yaml = CONTRACTS_YAML.replace(
        '{id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-alice"}',
        '{id: alice, name: Alice Meyer, role: client, clients: [acme], github: alice-acme, '
        'emails: [alice@acme.test]}\n'
        '  - {id: carol, name: Carol Diaz, role: client, clients: [acme], github: carol-acme, '
        'emails: [carol@acme.test]}',
    ) + "    survey: {every: week, remind_after: 3 days}\n"
    contracts.write_text(yaml)
    mail = tmp_path / "mail"
    go = tmp_path / "go"
    with fresh_db("postgresql" if db_url == "postgresql" else "sqlite", tmp_path) as (url, factory):
        env = _env(url, contracts, PULSE_SURVEY_SECRET=SECRET, PULSE_MAIL_DIR=str(mail),
                   PULSE_PUBLIC_URL="http://pulse.test")
        racers = [subprocess.Popen([sys.executable, "-c", RACER, NOW.isoformat(), str(go)], cwd=ROOT, env=env,  # noqa: S603
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        try:
            for racer in racers:
                assert racer.stdout.readline().strip() == "READY", racer.stderr.read()
            go.touch()
            for racer in racers:
                out, err = racer.communicate(timeout=120)
                assert racer.returncode == 0, err
        finally:
            for racer in racers:
                if racer.poll() is None:
                    racer.kill()
        with factory() as s:
            people = sorted(s.scalars(select(SurveyRequest.person)))
            reminded = s.scalar(select(func.count()).where(SurveyRequest.reminded_at.is_not(None)))
            statuses = sorted(s.scalars(select(Notification.status)))
    assert people == ["alice", "carol"] and reminded == 2
    assert statuses == ["sent"] * 4
    subjects = sorted(message_from_bytes(p.read_bytes())["Subject"] for p in mail.glob("*.eml"))
    assert subjects == ["How did we do on week 2026-W09? (acme)"] * 2 + ["Reminder: how did we do? (acme)"] * 2
