"""Two real worker processes asking, reminding and sending at the same moments: each contact gets one survey
and one reminder, each e-mail is written once (SQLite and PostgreSQL).

Time moves for both processes alike, as it does in production: both race through the survey at ``NOW``, wait
for each other, then race through the reminder three days later. (Had one process jumped three days ahead
while the other was still sending, the five-minute claim on a message would look expired to it, and the
message would rightly be taken again: a claim is a lease in time, see app/core/outbox.py.)"""

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
go, later = Path(sys.argv[2]), Path(sys.argv[3])
with httpx.Client() as http:
    worker = Worker(settings, factory, contracts, Connectors(settings, factory), http)
    for at, start in ((now, go), (now + timedelta(days=3), later)):  # the survey first, then the reminder
        print("READY", flush=True)
        while not start.exists():
            time.sleep(0.01)
        for _ in range(6):
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
    go, later = tmp_path / "go", tmp_path / "three-days-later"
    with fresh_db("postgresql" if db_url == "postgresql" else "sqlite", tmp_path) as (url, factory):
        env = _env(url, contracts, PULSE_SURVEY_SECRET=SECRET, PULSE_MAIL_DIR=str(mail),
                   PULSE_PUBLIC_URL="http://pulse.test")
        argv = [sys.executable, "-c", RACER, NOW.isoformat(), str(go), str(later)]
        racers = [subprocess.Popen(argv, cwd=ROOT, env=env,  # noqa: S603
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        try:
            for start in (go, later):
                for racer in racers:
                    assert racer.stdout.readline().strip() == "READY", racer.stderr.read()
                start.touch()
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
