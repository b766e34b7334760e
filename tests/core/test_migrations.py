"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

from app.core.db import make_engine
from app.core.migrate import schema_status, upgrade
from app.core.tables import Base
from app.main import create_app
from tests.conftest import _drop_schema, _postgres_engine, make_settings


def _migrated_engine(db_url: str):
    if db_url == "postgresql":
        schema = f"m_{uuid.uuid4().hex[:12]}"
        return _postgres_engine(schema), schema
    return make_engine(db_url), None


def test_upgrade_matches_models_and_is_repeatable(db_url):
    engine, schema = _migrated_engine(db_url)
    try:
        assert schema_status(engine)[0] is False
        upgrade(engine)
        upgrade(engine)  # a second run changes nothing
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        ok, detail = schema_status(engine)
        assert ok, detail
    finally:
        engine.dispose()
        if schema:
            _drop_schema(schema)


def test_readyz_after_migration(db_url, contracts):
    engine, schema = _migrated_engine(db_url)
    try:
        upgrade(engine)
        app = create_app(make_settings(), contracts=contracts)
        app.state.engine = engine
        with TestClient(app) as client:
            r = client.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ok"
    finally:
        engine.dispose()
        if schema:
            _drop_schema(schema)
