"""`pulse score` and `pulse feedback import` on a SQLite database migrated like a real one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import language as cli_language
from app.core.db import make_engine, make_sessionmaker
from app.core.migrate import upgrade
from app.core.tables import Feedback, MessageScore
from app.main import create_app
from app.store import statistics
from app.sync import worker as worker_module
from app.sync.runner import Connectors
from app.sync.worker import Worker
from tests.conftest import make_settings
from tests.reports.language.conftest import CONTRACTS_YAML, T0, Thread
from tests.reports.language.test_scoring import JARGON, PLAIN

runner = CliRunner()


@pytest.fixture
def pulse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contracts):
    """A `pulse` command with only these commands, on a migrated SQLite file and a contracts file."""
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    (tmp_path / "pulse.yaml").write_text(CONTRACTS_YAML, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONTRACTS", str(tmp_path / "pulse.yaml"))
    engine = make_engine(url)
    upgrade(engine)
    command = typer.Typer()
    cli_language.register(command)
    yield command, make_sessionmaker(engine), url
    engine.dispose()


def _count(factory, model) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_score_scores_new_messages_once(pulse, contracts):
    command, factory, url = pulse
    app = create_app(make_settings(database_url=url), contracts=contracts)
    with TestClient(app) as client:
        thread = Thread(client, 1)
        thread.comment(11, "olena-dev", T0 + timedelta(minutes=5), JARGON)
        thread.comment(12, "olena-dev", T0 + timedelta(minutes=6), PLAIN)
    app.state.engine.dispose()

    first = runner.invoke(command, ["score"])
    assert first.exit_code == 0, first.output
    assert "Scored 2 developer messages." in first.output
    assert _count(factory, MessageScore) == 2
    again = runner.invoke(command, ["score"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    fresh = runner.invoke(command, ["score", "--rescore"])
    assert fresh.exit_code == 0 and "Rescored 2 developer messages." in fresh.output
    assert _count(factory, MessageScore) == 2


def test_each_scoring_pass_refreshes_the_planner_statistics(pulse, contracts, monkeypatch):
    """The scores grow from nothing on a first pass: `pulse score` and the worker refresh PostgreSQL's statistics
    of them after each pass (app/store/statistics.py), and those statistics cover the scores' tables."""
    assert {"message_scores", "flagged_terms"} <= set(statistics.TABLES)
    command, factory, url = pulse
    app = create_app(make_settings(database_url=url), contracts=contracts)
    with TestClient(app) as client:
        thread = Thread(client, 1)
        for n in range(3):
            thread.comment(20 + n, "olena-dev", T0 + timedelta(minutes=5 + n), JARGON)
    app.state.engine.dispose()
    refreshed: list[tuple[str, int]] = []

    def record(engine, **_):
        refreshed.append((str(engine.url), _count(factory, MessageScore)))
        return []

    monkeypatch.setattr(statistics, "refresh_statistics", record)
    monkeypatch.setattr(cli_language, "_BATCH", 2)  # two passes: 2 messages, then the third
    result = runner.invoke(command, ["score"])
    assert result.exit_code == 0, result.output
    assert refreshed == [(url, 2), (url, 3)]  # after each pass's commit, with its scores stored

    refreshed.clear()
    with factory() as session, session.begin():
        session.query(MessageScore).delete()
    monkeypatch.setattr(worker_module, "refresh_statistics", record)
    settings = make_settings(database_url=url)
    worker = Worker(settings, factory, contracts, Connectors(settings, factory), http=None)
    assert worker.score_messages(T0 + timedelta(hours=1)) == 3
    assert refreshed == [(url, 3)]


def test_feedback_import_reports_bad_lines_and_keeps_good_ones(pulse, tmp_path):
    command, factory, _ = pulse
    sheet = tmp_path / "ratings.csv"
    sheet.write_text("client,developer,period,responsiveness,clarity\nacme,,2024-W10,2,4\nacme,ghost,2024-W10,3,\n"
                     "acme,olena,2024-W10,5,5\n", encoding="utf-8")
    result = runner.invoke(command, ["feedback", "import", str(sheet)])
    assert result.exit_code == 1
    assert "ratings.csv, line 3: developer 'ghost' is not a person id" in result.output
    assert "Imported 2 ratings (2 new, 0 replaced); 1 line refused." in result.output
    assert _count(factory, Feedback) == 2

    strict = runner.invoke(command, ["feedback", "import", "--all-or-nothing", str(sheet)])
    assert strict.exit_code == 1 and "Nothing imported" in strict.output

    sheet.write_text("client,period,clarity\nacme,2024-W10,5\n", encoding="utf-8")
    fixed = runner.invoke(command, ["feedback", "import", str(sheet)])
    assert fixed.exit_code == 0 and "Imported 1 rating (0 new, 1 replaced)." in fixed.output
    assert _count(factory, Feedback) == 2


@pytest.mark.parametrize(("content", "words"), [
    (None, "no such file"),
    (b"client,period\n\xff\xfe,2024-W10\n", "not UTF-8"),
    (b"client,mood\nacme,good\n", "unknown column(s) 'mood'"),
])
def test_feedback_import_refuses_a_file_it_cannot_read(pulse, tmp_path, content, words):
    command, factory, _ = pulse
    sheet = tmp_path / "ratings.csv"
    if content is not None:
        sheet.write_bytes(content)
    result = runner.invoke(command, ["feedback", "import", str(sheet)])
    assert result.exit_code == 2
    assert words in result.output
    assert _count(factory, Feedback) == 0
