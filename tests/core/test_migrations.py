"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from app.core.db import make_engine
from app.core.migrate import schema_status, upgrade
from app.core.tables import Base, FlaggedTermRow, MessageScore
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


def test_the_flagged_terms_of_scores_stored_before_0014_are_copied_into_their_table(db_url):
    engine, schema = _migrated_engine(db_url)
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    score = {"source": "github", "item_key": "acme/shop#1", "client": "acme", "developer": "olena", "at": at,
             "language": "en", "words": 30, "unexplained_acronyms": 0, "reasons": [], "scorer_version": "1",
             "scored_at": at}
    try:
        upgrade(engine, "0013")
        with engine.begin() as conn:
            conn.execute(insert(MessageScore.__table__), [
                {**score, "external_id": "comment:1", "supported": True, "flagged": [
                    {"term": "deploy", "count": 2, "suggestion": "put live"}, {"term": "k8s", "count": 1,
                                                                              "suggestion": None}]},
                {**score, "external_id": "comment:2", "supported": True, "flagged": []},
                {**score, "external_id": "comment:3", "supported": False, "flagged": [
                    {"term": "ignored", "count": 1, "suggestion": None}]},  # an unsupported score counts no terms
            ])
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(select(FlaggedTermRow.external_id, FlaggedTermRow.term, FlaggedTermRow.count,
                                       FlaggedTermRow.suggestion, FlaggedTermRow.client, FlaggedTermRow.developer,
                                       FlaggedTermRow.at).order_by(FlaggedTermRow.term)).all()
        assert [tuple(r) for r in rows] == [("comment:1", "deploy", 2, "put live", "acme", "olena", at),
                                            ("comment:1", "k8s", 1, None, "acme", "olena", at)]
    finally:
        engine.dispose()
        if schema:
            _drop_schema(schema)
