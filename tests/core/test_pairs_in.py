"""Reads by (source, key) pairs find exactly the rows asked for, through the index, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, select

from app.core.db import pairs_in
from app.core.tables import ActivityRow, Base, WorkItemRow

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _item(source: str, key: str) -> dict:
    return {"source": source, "key": key, "container": "c", "kind": "issue", "created_at": T0, "updated_at": T0,
            "labels": [], "assignees": [], "fixes": [], "deleted": False, "partial": False}


def test_pairs_across_sources_match_exactly_the_rows_asked_for(factory):
    with factory() as s, s.begin():
        s.execute(WorkItemRow.__table__.insert(), [_item("github", "a/b#1"), _item("github", "a/b#2"),
                                                   _item("jira", "a/b#1"), _item("jira", "OPS-1")])
    wanted = [("github", "a/b#1"), ("jira", "OPS-1"), ("jira", "missing")]
    with factory() as s:
        found = s.execute(select(WorkItemRow.source, WorkItemRow.key)
                          .where(pairs_in(WorkItemRow.source, WorkItemRow.key, wanted))).all()
        nothing = s.execute(select(WorkItemRow.id).where(pairs_in(WorkItemRow.source, WorkItemRow.key, []))).all()
    assert sorted(found) == [("github", "a/b#1"), ("jira", "OPS-1")]
    assert nothing == []


def test_sqlite_searches_the_index_instead_of_scanning_the_table():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    stmt = select(ActivityRow.id).where(
        pairs_in(ActivityRow.source, ActivityRow.item_key, [("github", "a#1"), ("jira", "B-1"), ("github", "a#2")]),
        ActivityRow.deleted.is_(False),
    )
    compiled = stmt.compile(engine, compile_kwargs={"render_postcompile": True})
    with engine.connect() as conn:
        plan = " / ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                                                   tuple(compiled.params.values())))
    assert "SCAN activities" not in plan, plan
    assert "ix_activities_item" in plan, plan
