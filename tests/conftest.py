"""Shared fixtures: a fresh database per test on SQLite and on the real PostgreSQL, and a signed client."""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import hmac
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, create_mock_engine, event, make_url, text
from sqlalchemy.exc import OperationalError

from app.contracts import Contracts, parse_contracts
from app.core.db import make_engine, make_sessionmaker
from app.core.tables import Base
from app.main import create_app
from app.settings import Settings
from tests import parallel

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
POSTGRES_URL = os.environ.get("PULSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GITHUB_SECRET = "test-github-secret"
JIRA_SECRET = "test-jira-secret"
TOKEN = "test-token-0123456789"

CONTRACTS_YAML = """
people:
  - {id: olena, name: Olena Koval, role: developer, github: olena-dev, jira: "acc-olena"}
  - {id: marco, name: Marco Rossi, role: developer, github: marco-codes, jira: "acc-marco"}
  - {id: alice, name: Alice Meyer, role: client, github: alice-acme, jira: "acc-alice"}
  - {id: ci, name: CI bot, role: bot, github: acme-ci}
clients:
  - name: acme
    github_repos: [acme/shop]
    jira_projects: [SHOP]
    unknown_authors: client
    calendar: {timezone: UTC, working_hours: "24/7"}
    targets: {response_time: 30m, production_bug_fix: 3h, at_risk: 0.75}
    production_bug: {labels: [production], jira_issue_types: [Bug], jira_priorities: [Highest, High]}
    pause_statuses: ["Waiting for customer"]
    bug_fix_calendar: 24/7
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    parallel.record_groups(config, items)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    parallel.configure_node(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Keep the tests that share a module or session fixture on one worker (tests/parallel.py)."""
    if config.getvalue("dist") == "loadgroup":
        return parallel.SharedFixtureScheduling(config, log)
    return None


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    parallel.remove_groups(config)
    parallel.end_worker(config)


def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except OperationalError:
        return False


_PG_OK: bool | None = None


def _require_postgres() -> None:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = _postgres_available()
    if not _PG_OK:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}; CI must start it.")
        pytest.skip("PostgreSQL is not reachable; start it to run the PostgreSQL half of the suite.")


def _postgres_engine(schema: str, *, create: bool = True) -> Engine:
    if create:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    engine = make_engine(POSTGRES_URL, pool_size=5, max_overflow=10)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        # A test database needs no commit to survive a server crash: not waiting for each commit's WAL flush
        # saves the flush on every commit of every test (the outage tests run their own server).
        cur.execute("SET synchronous_commit TO off")
        cur.close()
        dbapi_conn.commit()

    return engine


def _drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for an empty database (tables not created)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pulse.db'}"
    _require_postgres()
    return "postgresql"


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Engine]:
    """An empty database with the tables created, on SQLite or PostgreSQL.

    On PostgreSQL each test process keeps one schema with the tables and empties it after each test (DELETEs in
    one round trip), instead of creating and dropping a schema per test; a test marked ``fresh_schema`` (it reads
    the planner's statistics) gets a schema of its own.
    """
    if db_url == "postgresql" and request.node.get_closest_marker("fresh_schema") is None:
        eng = _postgres_engine(_reused_schema(), create=False)
        yield eng
        eng.dispose()
        _empty_reused_schema()
        return
    with own_database(db_url, tmp_path_factory) as eng:
        yield eng


@contextlib.contextmanager
def own_database(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own with the tables created, for a ``db_url`` value: "postgresql", or a SQLite URL.

    On SQLite a copy of the tables file at the URL's path; on PostgreSQL a schema of its own, dropped afterwards.
    For a test that must not share the reused schema, and for a module-scoped fixture that seeds once.
    """
    if db_url == "postgresql":
        _require_postgres()
        schema = _new_schema()
        eng = _postgres_engine(schema, create=False)
    else:
        schema = None
        shutil.copyfile(_sqlite_tables_file(tmp_path_factory), make_url(db_url).database)
        eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()
        if schema is not None:
            _drop_schema(schema)


def _new_schema() -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    eng = _postgres_engine(schema)
    with eng.begin() as conn:
        conn.exec_driver_sql(_postgres_tables_ddl())
    eng.dispose()
    return schema


_REUSED_SCHEMA: str | None = None


def _reused_schema() -> str:
    """This process's schema with the tables, made on first use and dropped when the process ends."""
    global _REUSED_SCHEMA
    if _REUSED_SCHEMA is None:
        _REUSED_SCHEMA = _new_schema()
        atexit.register(_drop_schema, _REUSED_SCHEMA)
    return _REUSED_SCHEMA


# Every this many emptyings the tables are truncated instead, so the dead rows the DELETEs leave do not pile up.
_TRUNCATE_EVERY = 100
_emptied = 0


@functools.cache
def _admin() -> Engine:
    """One administrator's engine for the process (each test emptying its schema through a new one cost 17 ms)."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    atexit.register(engine.dispose)
    return engine


def _empty_reused_schema() -> None:
    """Empty every table of the reused schema; a schema a test changed (a table added or dropped) is replaced.

    A test leaves a few rows, so DELETE in foreign-key order, with the sequences set back to 1, costs 0.3 ms;
    TRUNCATE of the same 22 tables (it makes new files for every table) cost 60 ms on a quiet server and 390 ms
    beside three other test processes. Every ``_TRUNCATE_EVERY`` emptyings it truncates, so the dead rows stay few.
    """
    global _REUSED_SCHEMA, _emptied
    schema = _REUSED_SCHEMA
    assert schema is not None
    with _admin().connect() as conn:
        found = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                                 {"s": schema}).scalars())
        if "alembic_version" in found:  # a test stamped the schema (pulse doctor's tests do): a new schema has none
            conn.exec_driver_sql(f'DROP TABLE "{schema}"."alembic_version"')
            found.discard("alembic_version")
        if found == set(Base.metadata.tables):
            _emptied += 1
            if _emptied % _TRUNCATE_EVERY == 0:
                tables = ", ".join(f'"{schema}"."{name}"' for name in sorted(found))
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                return
            conn.exec_driver_sql("; ".join(
                [*(f'DELETE FROM "{schema}"."{table.name}"' for table in reversed(Base.metadata.sorted_tables)),
                 "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 f"WHERE c.relkind = 'S' AND n.nspname = '{schema}'"]))
            return
    _drop_schema(schema)
    _REUSED_SCHEMA = None


@functools.cache
def _postgres_tables_ddl() -> str:
    """Return the statements Base.metadata.create_all runs on an empty PostgreSQL schema, as one script.

    Sent at once they cost one round trip per test instead of one per table and index, and a look-up each.
    """
    statements: list[str] = []

    def record(sql: Any, *_: Any, **__: Any) -> None:
        statements.append(str(sql.compile(dialect=mock.dialect)))

    mock = create_mock_engine(POSTGRES_URL, record)
    Base.metadata.create_all(mock, checkfirst=False)
    return ";\n".join(s.strip() for s in statements) + ";"


_SQLITE_TABLES: Path | None = None


def _sqlite_tables_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file with the tables created, made once per process: a test gets a copy of it."""
    global _SQLITE_TABLES
    if _SQLITE_TABLES is None:
        path = tmp_path_factory.mktemp("tables") / "tables.db"
        eng = make_engine(f"sqlite:///{path}")
        Base.metadata.create_all(eng)
        eng.dispose()  # the last connection closed folds the WAL into the file and removes it
        assert not path.with_name(path.name + "-wal").exists()
        _SQLITE_TABLES = path
    return _SQLITE_TABLES


@pytest.fixture
def factory(engine: Engine):
    return make_sessionmaker(engine)


@pytest.fixture
def contracts() -> Contracts:
    return parse_contracts(CONTRACTS_YAML, "test pulse.yaml")


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": "sqlite://",
        "github_webhook_secret": GITHUB_SECRET,
        "jira_webhook_secret": JIRA_SECRET,
        "api_tokens": TOKEN,
    }
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
def app_settings() -> Settings:
    """The settings the test app starts with; a package overrides this fixture to change them."""
    return make_settings()


@pytest.fixture
def app(engine: Engine, contracts: Contracts, app_settings: Settings):
    """The app wired to the test database (its engine replaced by the test's)."""
    application = create_app(app_settings, contracts=contracts)
    application.state.engine.dispose()
    application.state.engine = engine
    application.state.sessionmaker = make_sessionmaker(engine)
    yield application
    application.state.intake_processor.close(timeout=10)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def sign(body: bytes, secret: str = GITHUB_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_github(client: TestClient, event: str, payload: dict[str, Any] | bytes, *, delivery: str | None = None,
                secret: str = GITHUB_SECRET, headers: dict[str, str] | None = None, wait: bool = True):
    """Post a signed GitHub delivery; with ``wait``, return once it is processed (else call ``settle`` later)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    hdrs = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "1",
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
    }
    hdrs.update(headers or {})
    response = client.post("/webhooks/github", content=body, headers=hdrs)
    return settled(client, response) if wait else response


def post_jira(client: TestClient, payload: dict[str, Any] | bytes, *, delivery: str | None = None,
              secret: str = JIRA_SECRET, headers: dict[str, str] | None = None, wait: bool = True):
    """Post a signed Jira delivery; with ``wait``, return once it is processed (else call ``settle`` later)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    hdrs = {"X-Hub-Signature": sign(body, secret), "Content-Type": "application/json"}
    if delivery:
        hdrs["X-Atlassian-Webhook-Identifier"] = delivery
    hdrs.update(headers or {})
    response = client.post("/webhooks/jira", content=body, headers=hdrs)
    return settled(client, response) if wait else response


def settle(app: Any, timeout: float = 30.0) -> None:
    """Wait until the deliveries the app acknowledged have their records and clocks stored."""
    assert app.state.intake_processor.settle(timeout), "the intake processor did not finish in time"


def settled(client: TestClient, response: Any) -> Any:
    """Return a webhook's response once what it acknowledged is processed (a 202 means stored, counted soon)."""
    settle(client.app)
    return response
