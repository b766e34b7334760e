"""`pulse serve --demo` on a fresh database (SQLite and PostgreSQL): the demo's answered survey is stored as feedback,
its e-mails and acme's weekly report are written into ./demo-mail through the outbox, and the client token it
prints opens acme's own promises page."""

from __future__ import annotations

import os
import re
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from app.cli.main import cli
from app.core.db import make_engine, make_sessionmaker
from app.core.tables import Feedback, Notification, SurveyRequest
from app.dashboard.auth import COOKIE
from tests.conftest import POSTGRES_URL, _drop_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_db(db_url: str):
    """A URL another app can open, for a database with nothing in it yet: `serve --demo` migrates it."""
    if db_url != "postgresql":
        yield db_url
        return
    schema = f"d_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        _drop_schema(schema)


def _serve_demo(monkeypatch, tmp_path: Path, url: str):
    """Run `pulse serve --demo` up to where uvicorn would start; return the app it built and what it printed."""
    for name in [n for n in os.environ if n.startswith("PULSE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_DATABASE_URL", url)
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.update(app=app))
    monkeypatch.setattr("app.cli.serving.freeze_startup_objects", lambda: None)
    result = CliRunner().invoke(cli, ["serve", "--demo"])
    assert result.exit_code == 0, result.output
    return served["app"], " ".join(result.output.split())


def test_the_demo_answers_a_survey_mails_the_week_and_prints_a_working_client_token(monkeypatch, tmp_path, empty_db):
    app, printed = _serve_demo(monkeypatch, tmp_path, empty_db)
    engine = make_engine(empty_db)
    try:
        with make_sessionmaker(engine)() as s:
            answered = s.scalars(select(SurveyRequest).where(SurveyRequest.answered_at.is_not(None))).all()
            surveyed = s.scalars(select(Feedback).where(Feedback.origin == "survey")).all()
            sent = s.scalars(select(Notification).where(Notification.status == "sent")).all()
    finally:
        engine.dispose()
    assert {(r.client, r.person) for r in answered} == {("acme", "alice")} and len(answered) == 2
    assert {(f.client, f.developer) for f in surveyed} == {("acme", "")}
    assert {f.recommend for f in surveyed} == {6, 8} and all(f.comment.startswith("Alice Meyer") for f in surveyed)

    folder = tmp_path / "demo-mail"
    mails = [message_from_bytes(path.read_bytes()) for path in folder.glob("*.eml")]
    assert len(mails) == len(sent) > 0 and f"are written to {folder}" in printed
    to = {(m["To"], " ".join(str(m["Subject"]).split())) for m in mails}
    [(_, survey)] = [pair for pair in to if pair[0] == "tom@acme.example"]  # Tom is asked about last month
    assert re.fullmatch(r"How did we do on [A-Z][a-z]+ \d{4}\? \(acme\)", survey)
    assert any(t == "alice@acme.example" for t, _ in to)
    [(_, weekly)] = [pair for pair in to if pair[0] == "am@example.com"]
    assert re.fullmatch(r"Weekly one-on-one: acme, \d{4}-W\d{2}", weekly)
    assert not any("globex" in subject or t == "bob@globex.example" for t, subject in to)  # bob is globex's

    token = re.search(r"a token that shows acme its own promises only: (\S+)", printed)[1]
    try:
        with TestClient(app) as client:
            signed_in = client.post("/login", data={"token": token}, follow_redirects=False)
            assert signed_in.status_code == 303 and COOKIE in client.cookies
            page = client.get("/promises")
            assert page.status_code == 200 and "acme: your promises" in page.text
            assert "How do you see it?" in page.text and "/survey/" in page.text  # acme's surveys are on
            assert client.get("/clients/globex").status_code == 403
    finally:
        app.state.intake_processor.close(timeout=10)
        app.state.engine.dispose()
