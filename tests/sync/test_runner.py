"""The sync runner: pages stored with their clocks, cursors saved after them, runs recorded, one at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest
import respx
from sqlalchemy import func, select

from app.core.locks import JobBusy, job_lock
from app.core.tables import ActivityRow, ClockRow, SyncCursor, SyncRun, WorkItemRow
from app.sync.runner import Connectors, SyncConfigError, plan, run_sync
from tests.conftest import make_settings
from tests.connectors.github.fake_github import API, FakeGitHub

REPO = "acme/shop"
CLIENT = {"login": "alice-acme", "type": "User"}
DEV = {"login": "olena-dev", "type": "User"}


def _t(text: str) -> str:
    return f"2026-03-04T{text}Z"


def _issue(number: int, created: str, updated: str) -> dict:
    return {"id": 1000 + number, "number": number, "title": f"Item {number}", "user": CLIENT, "labels": [],
            "assignees": [], "state": "open", "state_reason": None, "created_at": _t(created),
            "updated_at": _t(updated), "closed_at": None, "body": "It breaks",
            "html_url": f"https://github.com/{REPO}/issues/{number}"}


def _comment(comment_id: int, number: int, created: str, user: dict = DEV) -> dict:
    return {"id": comment_id, "user": user, "body": f"comment {comment_id}", "created_at": _t(created),
            "updated_at": _t(created), "html_url": f"https://github.com/{REPO}/issues/{number}#c{comment_id}",
            "issue_url": f"{API}/repos/{REPO}/issues/{number}"}


def _connectors(factory) -> Connectors:
    return Connectors(make_settings(github_token="t"), factory, sleep=lambda s: pytest.fail(f"slept {s}"))


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_two_runs_store_records_clocks_and_cursors(factory, contracts):
    fake = FakeGitHub(REPO)
    fake.issues.append(_issue(1, "10:00:00", "10:12:00"))
    fake.comments.append(_comment(11, 1, "10:12:00"))
    with respx.mock(assert_all_called=True) as mock:
        fake.install(mock)
        first = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
        assert first.status == "succeeded", first.errors
        assert first.items == 1 and first.activities >= 2
        assert first.requests == len(fake.requests) == 4
        with factory() as s:
            clock = s.scalars(select(ClockRow)).one()
            cursors = {c.stream: c.cursor for c in s.scalars(select(SyncCursor))}
        assert clock.elapsed_seconds == 12 * 60 and clock.developer == "olena"
        assert cursors["issues"] == datetime(2026, 3, 4, 10, 12, tzinfo=UTC)
        assert cursors["issue_comments"] == datetime(2026, 3, 4, 10, 12, tzinfo=UTC)

        fake.comments.append(_comment(12, 1, "10:30:00", user=CLIENT))
        fake.issues[0]["updated_at"] = _t("10:30:00")
        second = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert second.status == "succeeded"
    since = [r.url.params.get("since") for r in fake.requests[4:] if r.url.path.endswith("/issues/comments")]
    assert since == ["2026-03-04T10:11:00Z"]  # the saved cursor minus the overlap
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ClockRow)) == 2
        assert s.scalar(select(func.count()).select_from(ActivityRow)) == 3
        runs = s.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert runs[0].requests == 4 and runs[0].items == 1


def test_a_failing_repository_is_reported_not_hidden(factory, contracts):
    with respx.mock(assert_all_called=False) as mock:
        mock.get(url__startswith=f"{API}/repos/{REPO}/").mock(return_value=httpx.Response(404, json={}))
        summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert summary.status == "failed"
    assert summary.errors and summary.errors[0].startswith("github:acme/shop:")
    with factory() as s:
        run = s.scalars(select(SyncRun)).one()
    assert run.status == "failed" and run.errors == summary.errors


def test_jira_without_a_url_is_a_configuration_error(factory, contracts):
    with pytest.raises(SyncConfigError, match="PULSE_JIRA_URL"):
        run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="jira")
    assert _count(factory, SyncRun) == 0


def test_an_unconfigured_jira_is_left_to_webhooks_when_syncing_everything(factory, contracts):
    with respx.mock(assert_all_called=False) as mock:
        FakeGitHub(REPO).install(mock)
        summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory))
    assert summary.status == "succeeded" and summary.scopes == 1 and summary.errors == []


def test_plan_refuses_unknown_sources_and_empty_contracts(contracts):
    assert plan(contracts, None) == [("github", "acme/shop"), ("jira", "SHOP")]
    with pytest.raises(SyncConfigError, match="github or jira"):
        plan(contracts, "gitlab")


def test_only_one_sync_at_a_time(factory, contracts, engine):
    with job_lock(engine, "sync"), pytest.raises(JobBusy, match="already running"):
        run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert _count(factory, SyncRun) == 0


def test_a_stop_request_ends_after_the_current_page(factory, contracts):
    fake = FakeGitHub(REPO, per_page=1)
    fake.issues += [_issue(n, "10:00:00", f"10:0{n}:00") for n in range(1, 4)]
    stop = threading.Event()
    with respx.mock(assert_all_called=False) as mock:
        fake.install(mock)
        summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github",
                           progress=lambda *_: stop.set(), stop=stop)
    assert summary.stopped_early and summary.status == "stopped"
    assert summary.pages == 1
    assert _count(factory, WorkItemRow) == 1
