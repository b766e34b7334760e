"""refiled: an activity of a moved item under its new key, its natural key and link naming that key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.moves import refiled
from connectors.records import Activity

T = datetime(2026, 3, 2, 9, tzinfo=UTC)
GH = "https://github.com"
JIRA = "https://acme.atlassian.net"


@pytest.mark.parametrize(("source", "old", "new", "external_id", "url", "expected_id", "expected_url"), [
    pytest.param("jira", "SHOP-7", "OPS-3", "opened:SHOP-7", f"{JIRA}/browse/SHOP-7",
                 "opened:OPS-3", f"{JIRA}/browse/OPS-3", id="jira-opened"),
    pytest.param("jira", "SHOP-7", "OPS-3", "comment:700", f"{JIRA}/browse/SHOP-7?focusedCommentId=700",
                 "comment:700", f"{JIRA}/browse/OPS-3?focusedCommentId=700", id="jira-comment"),
    pytest.param("jira", "SHOP-7", "OPS-3", "changelog:30001:status", None,
                 "changelog:30001:status", None, id="jira-changelog"),
    pytest.param("jira", "SHOP-7", "OPS-3", "comment:7", f"{JIRA}/browse/SHOP-70?focusedCommentId=7",
                 "comment:7", f"{JIRA}/browse/SHOP-70?focusedCommentId=7", id="jira-another-issue-link-kept"),
    pytest.param("github", "acme/shop#7", "acme/ops#3", "opened:acme/shop#7", f"{GH}/acme/shop/issues/7",
                 "opened:acme/ops#3", f"{GH}/acme/ops/issues/3", id="github-opened"),
    pytest.param("github", "acme/shop#7", "acme/ops#3", "labeled:acme/shop#7:2026-03-02T09:05:00Z:production",
                 f"{GH}/acme/shop/issues/7", "labeled:acme/ops#3:2026-03-02T09:05:00Z:production",
                 f"{GH}/acme/ops/issues/3", id="github-fact"),
    pytest.param("github", "acme/shop#7", "acme/ops#3", "comment:501", f"{GH}/acme/shop/issues/7#issuecomment-501",
                 "comment:501", f"{GH}/acme/ops/issues/3#issuecomment-501", id="github-comment"),
    pytest.param("github", "acme/shop#7", "acme/ops#3", "comment:9", f"{GH}/acme/shop/issues/71#issuecomment-9",
                 "comment:9", f"{GH}/acme/shop/issues/71#issuecomment-9", id="github-another-issue-link-kept"),
    pytest.param("github", "acme/shop#7", "acme/ops#3", "opened:acme/shop#70", None,
                 "opened:acme/shop#70", None, id="github-another-issue-key-kept"),
])
def test_an_activity_is_refiled_under_the_new_key(source, old, new, external_id, url, expected_id, expected_url):
    act = Activity(source, external_id, old, "comment", T, url=url)
    moved = refiled(act, new)
    assert (moved.item_key, moved.external_id, moved.url) == (new, expected_id, expected_url)
    assert refiled(moved, new) is moved  # already there: unchanged
