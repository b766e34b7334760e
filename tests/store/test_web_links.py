"""Links taken from payloads are kept only when they are http(s) addresses, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.core.db import transaction
from app.core.tables import ActivityRow, WorkItemRow
from app.store.upserts import store_batch, web_link
from connectors.records import Activity, ActivityKind, Batch, WorkItem

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("url", "kept"), [
    ("https://github.com/acme/shop/issues/1", "https://github.com/acme/shop/issues/1"),
    ("http://jira.example/browse/SHOP-1", "http://jira.example/browse/SHOP-1"),
    ("HTTPS://github.com/acme/shop/issues/1", "HTTPS://github.com/acme/shop/issues/1"),
    ("javascript:alert(1)", None), ("data:text/html,<b>hi</b>", None), ("file:///etc/passwd", None),
    ("//evil.example/x", None), ("https://", None), ("", None), (None, None),
])
def test_only_http_links_are_kept(url, kept):
    assert web_link(url) == kept


def test_a_stored_record_never_keeps_another_scheme(factory):
    item = WorkItem("github", "acme/shop#1", "acme/shop", "issue", "javascript:alert(1)", "Title", AT, AT)
    note = Activity("github", "comment:1", "acme/shop#1", ActivityKind.COMMENT, AT, body="Hi",
                    url="data:text/html,<script>alert(1)</script>")
    with transaction(factory) as session:
        store_batch(session, Batch([item], [note]))
    with factory() as session:
        assert session.scalar(select(WorkItemRow.url)) is None
        assert session.scalar(select(ActivityRow.url)) is None
