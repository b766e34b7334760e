"""One odd record never stops a sync: it is kept raw in quarantine with its reason, counted, and read by a replay.

The run stores everything else, moves its cursors past the odd record, records its true outcome, and counts what
it stored once per record however often the listings repeat it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import respx
from sqlalchemy import func, select

from app.core.tables import ActivityRow, QuarantinedRecord, SyncCursor, SyncRun, WorkItemRow
from app.intake.replay import replay
from app.store.quarantine import keep, unresolved
from app.sync import runner
from app.sync.runner import Connectors, run_sync
from connectors.github.sync import GitHubSync
from connectors.records import Rejected
from tests.conftest import make_settings
from tests.connectors.github.fake_github import FakeGitHub
from tests.sync.test_runner import REPO, _comment, _connectors, _issue, _t


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _odd_history() -> FakeGitHub:
    """Two good issues around one whose number is an object, and a comment that names no issue."""
    fake = FakeGitHub(REPO)
    odd = _issue(2, "10:05:00", "10:06:00") | {"number": {"a": 1}}
    fake.issues += [_issue(1, "10:00:00", "10:01:00"), odd, _issue(3, "10:10:00", "10:11:00")]
    nameless = _comment(12, 1, "10:20:00") | {"issue_url": None}
    fake.comments += [_comment(11, 1, "10:15:00"), nameless, _comment(13, 3, "10:25:00")]
    return fake


def test_an_unreadable_record_is_quarantined_and_the_sync_goes_on(factory, contracts):
    fake = _odd_history()
    with respx.mock() as mock:
        fake.install(mock)
        summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert summary.status == "succeeded", summary.errors
    assert summary.quarantined == 2
    with factory() as s:
        keys = sorted(s.scalars(select(WorkItemRow.key)))
        comments = sorted(s.scalars(select(ActivityRow.external_id).where(ActivityRow.kind == "comment")))
        cursors = {c.stream: c.cursor for c in s.scalars(select(SyncCursor))}
        kept = {(q.kind, q.ref): q for q in s.scalars(select(QuarantinedRecord))}
        run = s.scalars(select(SyncRun)).one()
    assert keys == [f"{REPO}#1", f"{REPO}#3"]
    assert comments == ["comment:11", "comment:13"]
    # The cursors went past the odd records: the next run does not meet them again as new.
    assert cursors["issues"] == datetime(2026, 3, 4, 10, 11, tzinfo=UTC)
    assert cursors["issue_comments"] == datetime(2026, 3, 4, 10, 25, tzinfo=UTC)
    assert set(kept) == {("issue", "1002"), ("comment", "12")}
    assert "number" in kept[("issue", "1002")].reason
    assert "issue_url" in kept[("comment", "12")].reason
    assert kept[("issue", "1002")].body["title"] == "Item 2"  # the raw record, whole
    assert kept[("issue", "1002")].scope == REPO and kept[("issue", "1002")].last_run_id == run.id
    assert run.quarantined == 2 and run.status == "succeeded"


def test_meeting_the_same_odd_record_again_keeps_one_row(factory, contracts):
    fake = _odd_history()
    with respx.mock() as mock:
        fake.install(mock)
        for _ in range(2):
            summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory),
                               source="github", mode="full")
    assert summary.quarantined == 2
    with factory() as s:
        rows = s.scalars(select(QuarantinedRecord)).all()
        last_run = s.scalar(select(func.max(SyncRun.id)))
    assert len(rows) == 2
    assert {r.times_seen for r in rows} == {2}
    assert {r.last_run_id for r in rows} == {last_run}


def test_replay_reads_quarantined_records_again_and_keeps_the_still_unreadable(factory, contracts):
    good = _issue(5, "11:00:00", "11:01:00")
    bad = _issue(6, "11:00:00", "11:01:00") | {"created_at": "soon"}
    with factory.begin() as s:
        # As an older parser left them: a record it refused that the current one reads, and one still unreadable.
        keep(s, [Rejected("github", REPO, "issue", "1005", good, {}, "an older parser refused it"),
                 Rejected("github", REPO, "issue", "1006", bad, {}, "an older parser refused it")], run_id=None)
    summary = replay(factory, contracts)
    assert summary.quarantine_read == 1 and summary.quarantine_left == 1
    with factory() as s:
        assert list(s.scalars(select(WorkItemRow.key))) == [f"{REPO}#5"]
        left = unresolved(s)
        resolved = s.scalars(select(QuarantinedRecord).where(QuarantinedRecord.ref == "1005")).one()
    assert [r.ref for r in left] == ["1006"] and "created_at" in left[0].reason
    assert resolved.resolved_at is not None
    # Replay is safe to repeat: nothing read twice, nothing lost.
    again = replay(factory, contracts)
    assert again.quarantine_read == 0 and again.quarantine_left == 1


def test_a_review_is_read_again_with_its_pull_requests_number(factory, contracts):
    review = {"id": 77, "user": {"login": "olena-dev", "type": "User"}, "body": "Looks good", "state": "APPROVED",
              "submitted_at": _t("12:00:00"), "html_url": f"https://github.com/{REPO}/pull/9#r77"}
    with factory.begin() as s:
        keep(s, [Rejected("github", REPO, "review", "77", review, {"number": 9}, "older parser")], run_id=None)
    assert replay(factory, contracts).quarantine_read == 1
    with factory() as s:
        act = s.scalars(select(ActivityRow).where(ActivityRow.external_id == "review:77")).one()
    assert act.item_key == f"{REPO}#9"


def test_a_run_counts_each_stored_record_once(factory, contracts):
    # Page one and page two both carry issue 1 (updated while the listing was read): stored once, counted once.
    fake = FakeGitHub(REPO, per_page=2)
    fake.issues += [_issue(1, "10:00:00", "10:01:00"), _issue(2, "10:00:00", "10:02:00"),
                    _issue(1, "10:00:00", "10:01:00")]
    fake.comments += [_comment(11, 1, "10:15:00"), _comment(11, 1, "10:15:00")]
    with respx.mock() as mock:
        fake.install(mock)
        summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert summary.status == "succeeded"
    assert summary.items == _count(factory, WorkItemRow) == 2
    assert summary.activities == _count(factory, ActivityRow) == 3  # two openings and one comment


def test_an_unexpected_failure_fails_the_run_instead_of_passing_for_success(factory, contracts, monkeypatch):
    def broken(self):
        yield from ()
        raise KeyError("fields")

    monkeypatch.setattr(GitHubSync, "iter_pages", broken)
    with respx.mock():
        summary = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert summary.status == "failed"
    assert "unexpected error" in summary.errors[0] and "KeyError" in summary.errors[0]
    with factory() as s:
        assert s.scalars(select(SyncRun)).one().status == "failed"


def test_a_run_cut_off_says_interrupted(factory, contracts, monkeypatch):
    def cut(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_sync_scope", cut)
    with pytest.raises(KeyboardInterrupt):
        run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    with factory() as s:
        assert s.scalars(select(SyncRun)).one().status == "interrupted"


def test_pulse_quarantine_lists_the_waiting_records_and_shows_one(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli.main import cli
    from app.core.db import make_engine, make_sessionmaker

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    monkeypatch.setenv("PULSE_DATABASE_URL", url)
    cli_runner = CliRunner()
    assert cli_runner.invoke(cli, ["migrate"]).exit_code == 0
    empty = cli_runner.invoke(cli, ["quarantine"])
    assert empty.exit_code == 0 and "No records are waiting" in empty.output
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as s:
        keep(s, [Rejected("jira", "SHOP", "issue", "10001", {"id": "10001", "key": "SHOP-1"}, {},
                          "The Jira issue SHOP-1 has no fields.created.")], run_id=None)
        number = s.scalar(select(QuarantinedRecord.id))
    engine.dispose()
    listing = cli_runner.invoke(cli, ["quarantine"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    assert "SHOP" in listing.output and "has no fields.created" in listing.output and "1 waiting" in listing.output
    shown = cli_runner.invoke(cli, ["quarantine", "--show", str(number)])
    assert shown.exit_code == 0 and '"key": "SHOP-1"' in shown.output
    missing = cli_runner.invoke(cli, ["quarantine", "--show", "999"])
    assert missing.exit_code == 2 and "No quarantined record has number 999" in missing.output


def test_the_runs_api_shows_what_a_run_kept_in_quarantine(client, factory, contracts):
    from tests.conftest import AUTH

    fake = _odd_history()
    with respx.mock() as mock:
        fake.install(mock)
        run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    run = client.get("/v1/sync/runs", headers=AUTH).json()["runs"][0]
    assert run["status"] == "succeeded" and run["quarantined"] == 2
    assert run["items"] == 2
    records = {(r["kind"], r["ref"]): r for r in run["quarantined_records"]}
    assert set(records) == {("issue", "1002"), ("comment", "12")}
    assert records[("comment", "12")]["scope"] == REPO and "issue_url" in records[("comment", "12")]["reason"]


def test_a_jira_issue_without_fields_is_quarantined_and_the_run_succeeds(factory, contracts):
    from tests.connectors.jira import payloads as p
    from tests.connectors.jira.fake_jira import FakeJira
    from tests.connectors.jira.test_sync_rejected import _serve_search, _without

    fake = FakeJira(p.BASE)
    good = p.issue("SHOP-1", issue_id="101", updated="2026-03-04T10:00:00.000+0000")
    odd = _without(p.issue("SHOP-2", issue_id="102", updated="2026-03-04T11:00:00.000+0000"), "fields")
    fake.put(good)
    fake.issues["SHOP-2"] = {"id": "102", "key": "SHOP-2"}
    settings = make_settings(jira_url=p.BASE, jira_email="bot@acme.example", jira_token="t")
    with respx.mock(assert_all_called=False) as mock:
        _serve_search(mock, f"{p.BASE}/rest/api/3/search/jql", [[good, odd]], cloud=True)
        fake.install(mock, "comments", "bulk", "status")
        summary = run_sync(factory=factory, contracts=contracts, source="jira",
                           connectors=Connectors(settings, factory, sleep=lambda s: None))
    assert summary.status == "succeeded", summary.errors  # the old code crashed here with KeyError: 'fields'
    assert summary.quarantined == 1 and summary.items == 1
    with factory() as s:
        assert list(s.scalars(select(WorkItemRow.key))) == ["SHOP-1"]
        (row,) = s.scalars(select(QuarantinedRecord)).all()
        cursor = s.scalars(select(SyncCursor.cursor).where(SyncCursor.source == "jira")).one()
    assert (row.source, row.scope, row.kind, row.ref) == ("jira", "SHOP", "issue", "102")
    assert "no fields" in row.reason
    assert cursor == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # as far as the readable issues go


def test_a_record_corrected_at_the_source_leaves_the_quarantine_when_a_sync_reads_it(factory, contracts):
    fake = _odd_history()
    with respx.mock() as mock:
        fake.install(mock)
        run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
        fake.issues[1] |= {"number": 2, "updated_at": _t("10:40:00")}  # fixed upstream: read by the next run
        second = run_sync(factory=factory, contracts=contracts, connectors=_connectors(factory), source="github")
    assert second.quarantined == 0
    with factory() as s:
        waiting = [(r.kind, r.ref) for r in unresolved(s)]
        keys = sorted(s.scalars(select(WorkItemRow.key)))
    assert waiting == [("comment", "12")]  # the comment still names no issue
    assert keys == [f"{REPO}#1", f"{REPO}#2", f"{REPO}#3"]
