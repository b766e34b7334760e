"""Count the Jira Cloud requests a sync needs: backfill, re-sync with nothing new, and a per-issue crawl.

Serves a generated project (1,000 issues, 5,000 comments, 10,000 changelog entries by default, spread
unevenly as in real projects) through an httpx.MockTransport that builds each response on demand, so
neither side holds the whole history; the sync's pages are counted and dropped.

Assumption, printed with the figures: a search result embeds the first ``--embedded`` comments of each
issue (with their ``total``); the sync reads the rest from ``/issue/{key}/comment`` in pages of 100.

    .venv/bin/python bench/jira_sync.py [--issues 1000] [--comments 5000] [--changes 10000] [--embedded 20]
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import sys
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.jira.client import JiraClient  # noqa: E402
from connectors.jira.normalize import embedded_comment_list  # noqa: E402
from connectors.jira.sync import STREAM_ISSUES, JiraSync  # noqa: E402

SITE = "https://acme.atlassian.net"
BASE = datetime(2024, 1, 1, tzinfo=UTC)
USER = {"accountId": "acc-dev", "displayName": "Dev"}
STATUSES = [
    {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}},
    {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def spread(total: int, buckets: int, rng: random.Random) -> list[int]:
    """Split ``total`` over ``buckets`` unevenly (a few busy issues, many quiet ones)."""
    weights = [rng.paretovariate(1.5) for _ in range(buckets)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(buckets), total - sum(counts)):
        counts[i] += 1
    return counts


@dataclass
class Project:
    """A generated project; every response is built from the counts, on demand."""

    comments: list[int]
    changes: list[int]
    embedded: int
    change_starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.change_starts = [0, *accumulate(self.changes)]

    def updated(self, i: int) -> datetime:
        return BASE + timedelta(hours=i, minutes=30)

    def issue(self, i: int, fields: list[str]) -> dict:
        key = f"P-{i + 1}"
        if fields == ["key"]:
            return {"id": str(10000 + i), "key": key}
        shown = [self.comment(i, j) for j in range(min(self.embedded, self.comments[i]))]
        return {
            "id": str(10000 + i),
            "key": key,
            "self": f"{SITE}/rest/api/3/issue/{10000 + i}",
            "fields": {
                "summary": f"Issue {i}",
                "status": STATUSES[self.changes[i] % 2],
                "created": stamp(BASE + timedelta(hours=i)),
                "updated": stamp(self.updated(i)),
                "issuetype": {"name": "Bug"},
                "priority": {"name": "High"},
                "labels": [],
                "reporter": USER,
                "description": "It broke",
                "project": {"key": "P"},
                "comment": {"comments": shown, "startAt": 0, "maxResults": len(shown), "total": self.comments[i]},
            },
        }

    def comment(self, i: int, j: int) -> dict:
        at = stamp(BASE + timedelta(hours=i, seconds=j + 1))
        cid = str(i * 100000 + j)
        return {"id": cid, "self": f"{SITE}/rest/api/3/issue/{10000 + i}/comment/{cid}", "author": USER,
                "body": "ok", "created": at, "updated": at}  # fmt: skip

    def history(self, i: int, j: int) -> dict:
        frm, to = STATUSES[j % 2], STATUSES[(j + 1) % 2]
        item = {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": frm["id"],
                "fromString": frm["name"], "to": to["id"], "toString": to["name"]}  # fmt: skip
        at = stamp(BASE + timedelta(hours=i, seconds=j + 1))
        return {"id": str(i * 100000 + j), "author": USER, "created": at, "items": [item]}


class FakeJiraCloud:
    """Answers the Cloud endpoints the sync uses, paging like Jira does."""

    def __init__(self, project: Project) -> None:
        self.p = project
        self.n = len(project.comments)
        self.calls: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, q = request.url.path, request.url.params
        self.calls[path.rsplit("/", 1)[-1] if "/issue/" not in path else "issue/*/" + path.rsplit("/", 1)[-1]] += 1
        if path == "/rest/api/3/search/jql":
            return self.search(q)
        if path == "/rest/api/3/changelog/bulkfetch":
            return self.bulk(json.loads(request.content))
        if path == "/rest/api/3/status":
            return httpx.Response(200, json=STATUSES)
        i = int(path.split("/")[5].split("-")[1]) - 1
        start, size = int(q.get("startAt", 0)), min(int(q.get("maxResults", 50)), 100)
        if path.endswith("/comment"):
            rows = [self.p.comment(i, j) for j in range(start, min(start + size, self.p.comments[i]))]
            return httpx.Response(200, json={"comments": rows, "startAt": start, "total": self.p.comments[i]})
        rows = [self.p.history(i, j) for j in range(start, min(start + size, self.p.changes[i]))]
        return httpx.Response(200, json={"values": rows, "isLast": start + size >= self.p.changes[i]})

    def search(self, q: httpx.QueryParams) -> httpx.Response:
        fields = q["fields"].split(",")
        since = q["jql"].split("updated >= ")[1].split()[0] if "updated >=" in q["jql"] else None
        first = 0
        if since is not None:
            moment = datetime.fromtimestamp(int(since) / 1000, tz=UTC)
            first = bisect.bisect_left(range(self.n), moment, key=self.p.updated)
        start = first + int(q.get("nextPageToken") or 0)
        size = min(int(q["maxResults"]), 5000 if fields == ["key"] else 100)
        rows = [self.p.issue(i, fields) for i in range(start, min(start + size, self.n))]
        body: dict = {"issues": rows, "isLast": start + size >= self.n}
        if not body["isLast"]:
            body["nextPageToken"] = str(start + size - first)
        return httpx.Response(200, json=body)

    def bulk(self, body: dict) -> httpx.Response:
        ids = sorted(int(x) - 10000 for x in body["issueIdsOrKeys"])
        sizes = [self.p.changes[i] for i in ids]
        offsets = [0, *accumulate(sizes)]
        start, size = int(body.get("nextPageToken") or 0), min(int(body.get("maxResults", 1000)), 10000)
        logs: dict[int, list] = {}
        for row in range(start, min(start + size, offsets[-1])):
            k = bisect.bisect_right(offsets, row) - 1
            logs.setdefault(ids[k], []).append(self.p.history(ids[k], row - offsets[k]))
        out: dict = {"issueChangeLogs": [{"issueId": str(10000 + i), "changeHistories": h} for i, h in logs.items()]}
        if start + size < offsets[-1]:
            out["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=out)


def client_for(project: Project) -> tuple[JiraClient, FakeJiraCloud]:
    server = FakeJiraCloud(project)
    return JiraClient(SITE, email="e", token="t", transport=httpx.MockTransport(server)), server


def run_sync(project: Project, cursor: datetime | None, started: datetime, **options) -> dict:
    client, server = client_for(project)
    sync = JiraSync(client, "P", {STREAM_ISSUES: cursor}, started_at=started, **options)
    pages = records = biggest = 0
    saved = cursor
    stored: dict[str, datetime | None] = {}  # each issue's `updated` as stored, which app/sync.py reads back
    for page in sync.iter_pages():
        size = len(page.batch.work_items) + len(page.batch.activities)
        pages, records, biggest = pages + 1, records + size, max(biggest, size)
        saved = page.cursor or saved
        stored.update((item.key, item.updated_at) for item in page.batch.work_items)
    return {"requests": client.requests_made, "pages": pages, "records": records, "biggest": biggest,
            "cursor": saved, "calls": dict(server.calls), "stored": stored}  # fmt: skip


def per_issue_crawl(project: Project) -> int:
    """Count the requests of the naive approach: list, then every issue's comments and changelog."""
    client, _ = client_for(project)
    token = None
    while True:
        page = client.search_page('project = "P" ORDER BY updated ASC', ("summary",), next_page_token=token)
        for issue in page["issues"]:
            start = 0
            while True:
                got = embedded_comment_list(client.comments_page(issue["key"], start_at=start))
                start += len(got)
                if start >= project.comments[int(issue["id"]) - 10000]:
                    break
            start = 0
            while not (log := client.changelog_page(issue["key"], start_at=start))["isLast"]:
                start += len(log["values"])
        token = page.get("nextPageToken")
        if not token:
            return client.requests_made


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--issues", type=int, default=1000)
    args.add_argument("--comments", type=int, default=5000)
    args.add_argument("--changes", type=int, default=10000)
    args.add_argument("--embedded", type=int, default=20, help="comments a search result embeds per issue")
    opts = args.parse_args()
    rng = random.Random(7)
    project = Project(spread(opts.comments, opts.issues, rng), spread(opts.changes, opts.issues, rng), opts.embedded)
    started = BASE + timedelta(hours=opts.issues + 1)
    listing = math.ceil(opts.issues / 100)
    over = sum(1 for c in project.comments if c > opts.embedded)

    tracemalloc.start()
    backfill = run_sync(project, None, started)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    stored = backfill["stored"]
    resync = run_sync(project, backfill["cursor"], started + timedelta(hours=1),
                      stored_updates=lambda keys: {k: stored[k] for k in keys if k in stored})
    no_bulk = run_sync(project, None, started, bulk_changelog=False)
    naive = per_issue_crawl(project)

    print(f"Jira Cloud project: {opts.issues} issues, {opts.comments} comments, {opts.changes} changelog entries")
    print(f"  assumption: search embeds {opts.embedded} comments/issue; {over} issues have more")
    print(f"  (busiest issue: {max(project.comments)} comments, {max(project.changes)} changelog entries)")
    print(f"backfill requests:              {backfill['requests']}  {backfill['calls']}")
    print(f"  listing minimum (search, 100/page): {listing}")
    print(f"  ratio to the listing minimum:  {backfill['requests'] / listing:.2f}")
    print(f"  pages: {backfill['pages']}, records: {backfill['records']}, largest page: {backfill['biggest']} records")
    print(f"  peak traced memory: {peak / 1e6:.1f} MB")
    print(f"re-sync, nothing changed:       {resync['requests']} requests  {resync['calls']}")
    print(f"  ({resync['records']} records re-read through the 5-minute overlap)")
    print(f"backfill, per-issue changelogs: {no_bulk['requests']} requests (bulkfetch off)")
    print(f"per-issue crawl for comparison: {naive} requests (list, then every issue's comments and changelog)")
    sensitivity = []
    for embedded in (0, opts.embedded, max(project.comments)):
        other = Project(project.comments, project.changes, embedded)
        sensitivity.append(f"{embedded} -> {run_sync(other, None, started)['requests']}")
    print(f"backfill requests by comments embedded per issue: {', '.join(sensitivity)}")


if __name__ == "__main__":
    main()
