"""The engine fixture makes its tables once (a SQLite file it copies, one DDL script on PostgreSQL): the models'."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from app.core.tables import Base


def test_the_engine_fixture_has_exactly_the_models_tables_and_no_rows(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert {t.name: conn.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables} == {
            t.name: 0 for t in Base.metadata.sorted_tables}
