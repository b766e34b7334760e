"""Count the GitHub requests a sync needs: backfill, re-sync with nothing new, and a per-issue crawl.

Serves a generated repository (1,000 issues/PRs, 5,000 comments by default) through an
httpx.MockTransport that builds each page on demand, so neither side holds the whole history.

    .venv/bin/python bench/github_sync.py [--items 1000] [--comments 5000]
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import re
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.github.client import GitHubClient  # noqa: E402
from connectors.github.sync import STREAMS, GitHubSync  # noqa: E402

REPO = "acme/shop"
API = "https://api.github.com"
BASE = datetime(2024, 1, 1, tzinfo=UTC)
USER = {"login": "dev", "type": "User"}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Repository:
    """A generated repository: every row is computed from its index, nothing is stored."""

    items: int
    comments: int
    review_comments: int
    events: int
    pr_every: int = 4  # every 4th item is a pull request

    @property
    def pulls(self) -> list[int]:
        return list(range(self.pr_every, self.items + 1, self.pr_every))

    def item_time(self, index: int) -> datetime:
        return BASE + timedelta(minutes=index)

    def issue(self, index: int) -> dict:
        number, at = index + 1, stamp(self.item_time(index))
        row = {"id": number, "number": number, "title": f"Item {number}", "user": USER, "labels": [], "assignees": []}
        row.update(state="open", created_at=at, updated_at=at, closed_at=None, body="It breaks", html_url=None)
        if number % self.pr_every == 0:
            row["pull_request"] = {"url": f"{API}/repos/{REPO}/pulls/{number}", "merged_at": None}
        return row

    def comment_time(self, index: int) -> datetime:
        return BASE + timedelta(seconds=10 * index)

    def comment(self, index: int, *, number: int | None = None) -> dict:
        number = number or index % self.items + 1
        at = stamp(self.comment_time(index))
        return {
            "id": 10_000_000 + index,
            "user": USER,
            "body": "On it.",
            "created_at": at,
            "updated_at": at,
            "issue_url": f"{API}/repos/{REPO}/issues/{number}",
        }

    def review_comment(self, index: int) -> dict:
        number = self.pulls[index % len(self.pulls)]
        row = self.comment(index)
        row.update(id=20_000_000 + index, pull_request_url=f"{API}/repos/{REPO}/pulls/{number}")
        return row

    def review(self, number: int) -> dict:
        at = stamp(self.item_time(number - 1))
        return {"id": 30_000_000 + number, "user": USER, "body": "", "state": "APPROVED", "submitted_at": at}

    def event_time(self, index: int) -> datetime:
        return BASE + timedelta(seconds=30 * index)

    def event(self, index: int) -> dict:
        subject = self.issue(index % self.items)
        at = stamp(self.event_time(index))
        return {
            "id": index + 1,
            "event": "labeled",
            "actor": USER,
            "created_at": at,
            "issue": subject,
            "label": {"name": "bug"},
        }


class FakeGitHub:
    """Answer the listings the sync and the per-issue crawl use, one generated page at a time."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        base = f"/repos/{REPO}"
        r = repo
        self.ascending: dict[str, tuple[int, Callable[[int], dict], Callable[[int], datetime]]] = {
            f"{base}/issues": (r.items, r.issue, r.item_time),
            f"{base}/issues/comments": (r.comments, r.comment, r.comment_time),
            f"{base}/pulls/comments": (r.review_comments, r.review_comment, r.comment_time),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path in self.ascending:
            count, row, time_of = self.ascending[path]
            first = 0
            if "since" in params:
                since = datetime.fromisoformat(params["since"].replace("Z", "+00:00"))
                first = bisect.bisect_left(range(count), since, key=time_of)
            return self._page(request, count - first, lambda i: row(first + i))
        if path == f"/repos/{REPO}/issues/events":
            return self._page(request, self.repo.events, lambda i: self.repo.event(self.repo.events - 1 - i))
        if match := re.fullmatch(rf"/repos/{REPO}/pulls/(\d+)/reviews", path):
            return self._page(request, 1, lambda i: self.repo.review(int(match[1])))
        if match := re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/(comments|events)", path):
            per_issue = math.ceil(self.repo.comments / self.repo.items)  # comments spread evenly
            return self._page(request, per_issue, lambda i: self.repo.comment(i, number=int(match[1])))
        if re.fullmatch(rf"/repos/{REPO}/pulls/(\d+)/comments", path):
            return self._page(request, 0, lambda i: {})
        return httpx.Response(404, json={"message": "Not Found"})

    def _page(self, request: httpx.Request, count: int, row: Callable[[int], dict]) -> httpx.Response:
        per_page = min(int(request.url.params.get("per_page", 30)), 100)
        page = int(request.url.params.get("page", 1))
        body = json.dumps([row(i) for i in range((page - 1) * per_page, min(count, page * per_page))]).encode()
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        headers = {"etag": etag, "content-type": "application/json"}
        if page * per_page < count:
            headers["link"] = f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"'
        return httpx.Response(200, content=body, headers=headers)


def run_sync(client: GitHubClient, cursors: dict, started_at: datetime) -> tuple[int, int]:
    """Run one sync as the app's runner would (store, then save the cursor); return requests and records."""
    before, records = client.requests_made, 0
    for page in GitHubSync(client, REPO, dict(cursors), started_at=started_at).iter_pages():
        records += len(page.batch.work_items) + len(page.batch.activities)
        if page.cursor is not None:
            cursors[page.stream] = page.cursor
    return client.requests_made - before, records


def per_issue_crawl(client: GitHubClient, repo: Repository) -> int:
    """Count a per-item crawl: list issues, then each item's comments and events, each PR's reviews."""
    before = client.requests_made
    url: str | None = f"/repos/{REPO}/issues"
    params: dict | None = {"state": "all", "per_page": 100}
    while url:
        page = client.get_page(url, params)
        for issue in page.items:
            number = issue["number"]
            paths = [f"/repos/{REPO}/issues/{number}/comments", f"/repos/{REPO}/issues/{number}/events"]
            if "pull_request" in issue:
                paths += [f"/repos/{REPO}/pulls/{number}/reviews", f"/repos/{REPO}/pulls/{number}/comments"]
            for path in paths:
                client.get_page(path, {"per_page": 100})
        url, params = page.next_url, None
    return client.requests_made - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--review-comments", type=int, default=500)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    repo = Repository(args.items, args.comments, args.review_comments, args.events)
    transport = httpx.MockTransport(FakeGitHub(repo))
    client = GitHubClient("bench", transport=transport, sleep=lambda _: None)
    cursors: dict = dict.fromkeys(STREAMS)
    now = BASE + timedelta(days=365)

    tracemalloc.start()
    backfill, records = run_sync(client, cursors, now)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    first_resync, _ = run_sync(client, cursors, now + timedelta(minutes=5))
    not_modified = client.not_modified
    steady_resync, _ = run_sync(client, cursors, now + timedelta(minutes=10))

    pulls = len(repo.pulls)
    listings = {
        "issues+PRs": math.ceil(repo.items / 100),
        "issue comments": math.ceil(repo.comments / 100),
        "review comments": math.ceil(repo.review_comments / 100),
        "issue events": math.ceil(repo.events / 100),
    }
    minimum = sum(listings.values()) + pulls
    per_issue = per_issue_crawl(GitHubClient("bench", transport=transport, sleep=lambda _: None), repo)

    print(
        f"repository: {repo.items} issues/PRs ({pulls} PRs), {repo.comments} comments, "
        f"{repo.review_comments} review comments, {repo.events} issue events"
    )
    print(f"backfill requests:            {backfill}  ({records} records, peak traced memory {peak / 1e6:.1f} MB)")
    detail = ", ".join(f"{name} {count}" for name, count in listings.items())
    print(f"listing minimum:              {minimum}  (ceil(n/100): {detail}; reviews 1 per PR: {pulls})")
    print(f"ratio backfill/minimum:       {backfill / minimum:.2f}")
    print(f"re-sync, nothing changed:     {first_resync}  (first after backfill; {not_modified} answered 304)")
    print(f"re-sync, steady state:        {steady_resync}  ({client.not_modified - not_modified} answered 304)")
    print(f"per-issue crawl (comparison): {per_issue}  ({per_issue / backfill:.1f}x the backfill)")


if __name__ == "__main__":
    main()
