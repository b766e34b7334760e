"""JiraSync against an in-memory Jira: paging, comments with properties, changelog completion, cursors, reconcile."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import respx

from connectors.jira.changelog import TRACKED_FIELDS
from connectors.jira.client import JiraClient
from connectors.jira.jql import issues_jql
from connectors.jira.sync import STREAM_ISSUES, JiraSync

from . import payloads as p
from .fake_jira import FakeJira

STARTED = datetime(2024, 3, 10, tzinfo=UTC)


def _t(day: int, hour: int = 12) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00.000+0000"


def _dt(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 3, day, hour, tzinfo=UTC)


def _comments(key_id: str, n: int, day: int = 2) -> list[dict]:
    return [p.comment(f"{key_id}{i:02d}", p.DEV, f"reply {i}", _t(day, i)) for i in range(n)]


def _client(fake: FakeJira) -> JiraClient:
    deployment = "cloud" if fake.cloud else "datacenter"
    return JiraClient(fake.base, email="bot@acme.example", token="t", deployment=deployment, sleep=lambda s: None)


class Runner:
    """What the app's runner does: store each page's batch, then save its cursor."""

    def __init__(self) -> None:
        self.activities: dict[str, object] = {}
        self.items: dict[str, object] = {}
        self.saved: list[datetime | None] = []

    def run(self, sync: JiraSync) -> None:
        for page in sync.iter_pages():
            assert (page.stream, page.scope) == (STREAM_ISSUES, sync.project)
            self.items.update({i.key: i for i in page.batch.work_items})
            self.activities.update({a.external_id: a for a in page.batch.activities})
            self.saved.append(page.cursor)


def _cloud_project() -> FakeJira:
    fake = FakeJira(p.BASE, embed_comments=2, comment_page=2, bulk_page=2)
    fake.put(
        p.issue("PROJ-1", issue_id="101", updated=_t(3)),
        comments=_comments("1", 5),
        histories=[
            p.history("9001", p.DEV, _t(2, 1), p.item("status", "1", "To Do", "3", "In Progress")),
            p.history("9002", p.DEV, _t(2, 2), p.item("assignee", None, None, "acc-dev", "Dan")),
            p.history("9003", p.DEV, _t(2, 3), p.item("priority", "3", "Medium", "1", "Highest")),
        ],
    )
    fake.put(p.issue("PROJ-2", issue_id="102", updated=_t(4)), comments=_comments("2", 1))
    fake.put(
        p.issue("PROJ-3", issue_id="103", updated=_t(5), st=p.status("In Progress", "3", "indeterminate")),
        histories=[p.history("9004", p.DEV, _t(5, 1), p.item("status", "1", "To Do", "3", "In Progress"))],
    )
    return fake


@respx.mock(assert_all_called=True)
def test_cloud_backfill_pages_by_token_and_completes_comments_and_changelogs(respx_mock):
    fake = _cloud_project()
    routes = fake.install(respx_mock, "search", "comments", "bulk", "status")
    fake.statuses = [{"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}}]
    client = _client(fake)
    runner = Runner()
    runner.run(JiraSync(client, "PROJ", {}, started_at=STARTED, page_size=2, chunk_issues=2))

    assert fake.jqls[0] == 'project = "PROJ" ORDER BY updated ASC'
    assert routes["search"].call_count == 2  # 3 issues, 2 per page, second page by nextPageToken
    assert routes["search"].calls[1].request.url.params["nextPageToken"] == "2"
    # Comments are read with their properties (search results lack them): PROJ-1's 5 in pages of 2, PROJ-2's
    # one; PROJ-3 has none and costs nothing.
    calls = [(c.request.url.path.split("/")[-2], c.request.url.params["startAt"]) for c in routes["comments"].calls]
    assert calls == [("PROJ-1", "0"), ("PROJ-1", "2"), ("PROJ-1", "4"), ("PROJ-2", "0")]
    assert all(c.request.url.params["expand"] == "properties" for c in routes["comments"].calls)
    # Changelogs: bulkfetch per chunk, filtered to tracked fields, paged by token (2 histories a page).
    bodies = [json.loads(c.request.content) for c in routes["bulk"].calls]
    assert [b["issueIdsOrKeys"] for b in bodies] == [["101", "102"], ["101", "102"], ["103"]]
    assert bodies[0]["fieldIds"] == list(TRACKED_FIELDS) and bodies[1]["nextPageToken"] == "2"
    # The status map is fetched once, only because PROJ-1's old transition names a status no issue is in.
    assert routes["status"].call_count == 1

    assert sorted(runner.items) == ["PROJ-1", "PROJ-2", "PROJ-3"]
    comment_keys = {k for k in runner.activities if k.startswith("comment:")}
    assert len(comment_keys) == 6
    assert runner.activities["changelog:9001:status"].data == {
        "from": "To Do",
        "to": "In Progress",
        "category": "indeterminate",
    }
    assert runner.activities["changelog:9002:assignee"].kind == "assigned"
    assert runner.activities["opened:PROJ-3"].at == _dt(1, 9)
    # Cursor moves only once a chunk's changelogs are stored: issues, bulk, bulk | issues, bulk.
    assert runner.saved == [None, None, _dt(4), _dt(4), _dt(5)]
    assert client.requests_made == 2 + 4 + 3 + 1


@respx.mock(assert_all_called=True)
def test_two_passes_read_only_changes_and_save_the_cursor_after_each_page(respx_mock):
    fake = _cloud_project()
    fake.install(respx_mock, "search", "comments", "bulk")  # one chunk: PROJ-3 tells what status 3 means
    first = Runner()
    first.run(JiraSync(_client(fake), "PROJ", {}, started_at=STARTED))
    assert first.saved == [None, None, _dt(5)] and len(first.items) == 3  # issues page, 2 bulk pages

    # Between the runs: PROJ-2 gets a client comment; PROJ-1 is untouched.
    fake.comments["PROJ-2"].append(p.comment("2xx", p.CLIENT, "any news?", _t(6)))
    fake.issues["PROJ-2"]["fields"]["updated"] = _t(6)
    second = Runner()
    overlap = timedelta(minutes=5)
    sync = JiraSync(_client(fake), "PROJ", {STREAM_ISSUES: first.saved[-1]}, started_at=STARTED, overlap=overlap)
    second.run(sync)

    since_ms = int((_dt(5) - overlap).timestamp() * 1000)
    assert fake.jqls[-1] == f'project = "PROJ" AND updated >= {since_ms} ORDER BY updated ASC'
    # PROJ-3 comes back through the overlap window; PROJ-1 does not.
    assert sorted(second.items) == ["PROJ-2", "PROJ-3"]
    assert second.activities["comment:2xx"].actor.id == "acc-client"
    assert second.saved == [_dt(5), _dt(6)]


@respx.mock(assert_all_called=True)
def test_cursor_never_passes_started_at_and_never_moves_back(respx_mock):
    fake = FakeJira(p.BASE)
    fake.put(p.issue("PROJ-1", issue_id="101", updated=_t(12)))  # updated after the run started
    fake.install(respx_mock, "search", "bulk")
    runner = Runner()
    runner.run(JiraSync(_client(fake), "PROJ", {}, started_at=STARTED))
    assert runner.saved == [None, STARTED]

    fake.issues["PROJ-1"]["fields"]["updated"] = _t(9, 23)  # seen again only through the overlap
    later = STARTED + timedelta(minutes=2)
    again = Runner()
    again.run(JiraSync(_client(fake), "PROJ", {STREAM_ISSUES: later}, started_at=STARTED, overlap=timedelta(hours=2)))
    assert again.saved == [later, later]


@respx.mock(assert_all_called=True)
def test_nothing_changed_costs_one_search(respx_mock):
    fake = _cloud_project()
    routes = fake.install(respx_mock, "search")
    client = _client(fake)
    pages = list(JiraSync(client, "PROJ", {STREAM_ISSUES: _dt(7)}, started_at=STARTED).iter_pages())
    assert pages == [] and client.requests_made == routes["search"].call_count == 1


@respx.mock(assert_all_called=False)
def test_issues_seen_again_through_the_overlap_unchanged_cost_no_more_requests(respx_mock):
    fake = _cloud_project()
    routes = fake.install(respx_mock, "search", "comments", "bulk", "status")
    first = Runner()
    first.run(JiraSync(_client(fake), "PROJ", {}, started_at=STARTED))
    stored = {key: item.updated_at for key, item in first.items.items()}

    client = _client(fake)  # the overlap window reaches back over all three issues; none changed
    again = Runner()
    again.run(JiraSync(client, "PROJ", {STREAM_ISSUES: _dt(5)}, started_at=STARTED, overlap=timedelta(days=5),
                       stored_updates=lambda keys: {k: stored[k] for k in keys if k in stored}))
    assert client.requests_made == 1 and fake.jqls[-1].startswith('project = "PROJ" AND updated >=')
    assert again.saved == [_dt(5)] and sorted(again.items) == ["PROJ-1", "PROJ-2", "PROJ-3"]

    stored["PROJ-1"] -= timedelta(hours=1)  # one issue changed since it was stored: it alone is read in full
    calls = {name: route.call_count for name, route in routes.items()}
    changed = Runner()
    changed.run(JiraSync(_client(fake), "PROJ", {STREAM_ISSUES: _dt(5)}, started_at=STARTED,
                         overlap=timedelta(days=5), stored_updates=lambda keys: {k: stored[k] for k in keys}))
    assert routes["bulk"].call_count > calls["bulk"] and routes["comments"].call_count > calls["comments"]
    assert {k for k in changed.activities if k.startswith("changelog:")} == {
        "changelog:9001:status", "changelog:9002:assignee", "changelog:9003:priority"}
    assert changed.saved[-1] == _dt(5)


@respx.mock(assert_all_called=True)
def test_per_issue_changelog_pages_until_is_last(respx_mock):
    fake = _cloud_project()
    fake.changelog_page = 2
    routes = fake.install(respx_mock, "search", "comments", "changelog")
    runner = Runner()
    runner.run(JiraSync(_client(fake), "PROJ", {}, started_at=STARTED, bulk_changelog=False))
    paths = [(c.request.url.path, c.request.url.params["startAt"]) for c in routes["changelog"].calls]
    assert paths == [
        ("/rest/api/3/issue/PROJ-1/changelog", "0"),
        ("/rest/api/3/issue/PROJ-1/changelog", "2"),
        ("/rest/api/3/issue/PROJ-2/changelog", "0"),
        ("/rest/api/3/issue/PROJ-3/changelog", "0"),
    ]
    assert {k for k in runner.activities if k.startswith("changelog:")} == {
        "changelog:9001:status",
        "changelog:9002:assignee",
        "changelog:9003:priority",
        "changelog:9004:status",
    }


def _dc_project(n: int) -> FakeJira:
    fake = FakeJira(p.DC_BASE, cloud=False, embed_comments=1)
    for i in range(1, n + 1):
        change = p.item("priority", "3", "Medium", "1", "High")
        histories = [p.history(f"8{i:03d}{j}", p.DC_DEV, _t(2, j), change) for j in range(2 if i == 1 else 1)]
        issue = p.issue(
            f"DC-{i}", issue_id=str(500 + i), base=p.DC_BASE, api="2", updated=_t(3, i), reporter=p.DC_CLIENT
        )
        fake.put(issue, comments=_comments(f"5{i}", 2 if i == 3 else 0), histories=histories)
    return fake


@respx.mock(assert_all_called=True)
def test_datacenter_pages_by_start_at_with_embedded_changelog(respx_mock):
    fake = _dc_project(12)
    routes = fake.install(respx_mock, "search", "comments")
    client = _client(fake)
    runner = Runner()
    runner.run(JiraSync(client, "DC", {}, started_at=STARTED, page_size=10))
    starts = [c.request.url.params["startAt"] for c in routes["search"].calls]
    assert starts == ["0", "5"]  # re-reads 5 rows per boundary: a mid-run update shifts offsets
    assert all(c.request.url.params["expand"] == "changelog" for c in routes["search"].calls)
    assert sorted(runner.items, key=lambda k: int(k.split("-")[1])) == [f"DC-{i}" for i in range(1, 13)]
    assert {k for k in runner.activities if k.startswith("changelog:")} == {
        f"changelog:8{i:03d}0:priority" for i in range(1, 13)
    } | {"changelog:80011:priority"}
    # DC-3 alone has comments: both are read, with their properties, from /rest/api/2/issue/DC-3/comment.
    assert [(c.request.url.path, c.request.url.params["expand"]) for c in routes["comments"].calls] == [
        ("/rest/api/2/issue/DC-3/comment", "properties")
    ]
    assert runner.activities["opened:DC-1"].actor.id == "JIRAUSER10100"
    assert runner.saved == [_dt(3, 10), _dt(3, 12)]  # changelogs come with the page: cursor moves at once


@respx.mock(assert_all_called=True)
def test_datacenter_truncated_changelog_is_read_from_the_issue(respx_mock):
    fake = _dc_project(1)
    many = [p.history(f"7{j:03d}", p.DC_DEV, _t(2, 1), p.item("labels", None, "", None, f"l{j}")) for j in range(120)]
    fake.histories["DC-1"] = many
    routes = fake.install(respx_mock, "search", "issue")
    runner = Runner()
    runner.run(JiraSync(_client(fake), "DC", {}, started_at=STARTED))
    assert routes["issue"].calls[0].request.url.params["expand"] == "changelog"
    assert len([k for k in runner.activities if k.startswith("changelog:")]) == 120


@respx.mock(assert_all_called=True)
def test_existing_keys_lists_the_project_and_confirms_missing_keys_directly(respx_mock):
    fake = _cloud_project()
    fake.put(p.issue("PROJ-4", issue_id="104"))
    fake.unindexed = {"PROJ-4"}  # created a moment ago: not in the search index yet
    routes = fake.install(respx_mock, "search", "bulk_issues")
    sync = JiraSync(_client(fake), "PROJ", {}, started_at=STARTED)
    stored = ["PROJ-1", "PROJ-2", "PROJ-3", "PROJ-4", "PROJ-9"]
    assert sync.existing_keys(stored) == {"PROJ-1", "PROJ-2", "PROJ-3", "PROJ-4"}
    assert routes["search"].calls[0].request.url.params["fields"] == "key"
    assert routes["search"].calls[0].request.url.params["maxResults"] == "5000"
    assert json.loads(routes["bulk_issues"].calls[0].request.content)["issueIdsOrKeys"] == ["PROJ-4", "PROJ-9"]

    page = sync.reconcile_page(stored)
    assert page.stream == "reconcile" and page.cursor == STARTED
    (gone,) = page.batch.work_items
    assert (gone.key, gone.deleted, gone.partial, gone.container) == ("PROJ-9", True, True, "PROJ")


@respx.mock(assert_all_called=True)
def test_existing_keys_on_datacenter_checks_each_missing_key(respx_mock):
    fake = _dc_project(2)
    routes = fake.install(respx_mock, "search", "issue")
    sync = JiraSync(_client(fake), "DC", {}, started_at=STARTED)
    assert sync.existing_keys(["DC-1", "DC-7"]) == {"DC-1"}
    assert [c.request.url.path for c in routes["issue"].calls] == ["/rest/api/2/issue/DC-7"]


def test_jql_quotes_the_project_and_bounds_by_epoch_ms():
    since = datetime(2024, 3, 1, 11, tzinfo=UTC)
    assert issues_jql('A"B', since) == 'project = "A\\"B" AND updated >= 1709290800000 ORDER BY updated ASC'


def test_started_at_must_be_aware():
    with pytest.raises(ValueError, match="timezone"):
        JiraSync(JiraClient(p.BASE), "P", {}, started_at=datetime(2024, 3, 1))


@respx.mock(assert_all_called=True)
def test_bulk_chunks_never_exceed_the_chunk_size(respx_mock):
    fake = FakeJira(p.BASE)
    for i in range(1, 6):
        fake.put(p.issue(f"PROJ-{i}", issue_id=str(100 + i), updated=_t(3, i)))
    routes = fake.install(respx_mock, "search", "bulk")
    runner = Runner()
    runner.run(JiraSync(_client(fake), "PROJ", {}, started_at=STARTED, page_size=2, chunk_issues=3))
    bodies = [json.loads(c.request.content)["issueIdsOrKeys"] for c in routes["bulk"].calls]
    assert bodies == [["101", "102"], ["103", "104", "105"]]  # 2 + 2 > 3: flush before the second page
    assert runner.saved == [None, _dt(3, 2), _dt(3, 2), _dt(3, 2), _dt(3, 5)]


def test_page_size_must_fit_in_a_chunk():
    with pytest.raises(ValueError, match="page_size"):
        JiraSync(JiraClient(p.BASE), "P", {}, started_at=STARTED, page_size=200, chunk_issues=100)


@respx.mock(assert_all_called=True)
def test_after_a_sync_the_client_tells_what_remains_of_the_rate_limit(respx_mock):
    fake = _cloud_project()
    fake.headers = {"X-RateLimit-Limit": "350", "X-RateLimit-Remaining": "341"}
    fake.install(respx_mock, "search", "comments", "bulk")
    client = _client(fake)
    Runner().run(JiraSync(client, "PROJ", {}, started_at=STARTED))
    assert client.rate_limit_remaining == 341  # what the runner's summary reports (getattr(client, ...))
