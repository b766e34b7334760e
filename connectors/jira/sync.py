"""Incremental Jira sync: pages of normalized records with the cursor each page lets the runner save.

One stream, ``issues``, per project. Every comment or changelog change bumps the issue's ``updated``,
so one cursor on ``updated`` covers the issue, its comments and its changelog. The runner stores a
page's batch, then saves its cursor for (``jira``, project, stream): at-least-once delivery on top of
idempotent upserts. A page is one search page (issues, OPENED, and the comments of the changed issues that
have any, read from the comment endpoint with their properties) or one bulk changelog page;
on Cloud the cursor moves only on the page that completes a chunk's changelogs (up to 1000 issues),
so memory stays at one page while the changelogs of 1000 issues cost one request. Each run reads
from the saved cursor minus ``overlap`` (Jira's search index lags writes a little), never saves a
cursor past ``started_at`` and never moves one backwards.

Deleted issues never show up in an ``updated`` search, so ``existing_keys`` / ``reconcile_page`` tell
which stored keys are gone (see there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.jira.changelog import TRACKED_FIELDS, field_of
from connectors.jira.client import JiraClient
from connectors.jira.jql import issues_jql
from connectors.jira.normalize import (
    embedded_comment_list,
    normalize_rest_comment,
    normalize_rest_history,
    normalize_rest_issue,
)
from connectors.jira.reconcile import existing_keys
from connectors.jira.search import search_pages
from connectors.jira.shapes import SOURCE
from connectors.records import Activity, Batch, ItemKind, WorkItem, parse_time

STREAM_ISSUES = "issues"
STREAM_RECONCILE = "reconcile"
SEARCH_FIELDS = (
    "summary", "status", "created", "updated", "resolution", "resolutiondate", "assignee", "labels",
    "priority", "issuetype", "reporter", "creator", "description", "project", "comment",
)  # fmt: skip
BULK_CHANGELOG_MAX_ISSUES = 1000  # POST /changelog/bulkfetch accepts at most 1000 issues per call
_DC_ROW_OVERLAP = 5  # re-read a few rows per startAt page: an issue updated mid-run shifts offsets


@dataclass(frozen=True, slots=True)
class SyncPage:
    """A batch to store, then the cursor to save for (``jira``, ``scope``, ``stream``); None: save nothing."""

    stream: str
    scope: str
    batch: Batch
    cursor: datetime | None


class JiraSync:
    """Read one Jira project incrementally, a chunk of issues (with comments and changelog) per page."""

    def __init__(
        self,
        client: JiraClient,
        project: str,
        cursors: Mapping[str, datetime | None],
        *,
        started_at: datetime,
        overlap: timedelta = timedelta(minutes=5),
        page_size: int = 100,
        chunk_issues: int = BULK_CHANGELOG_MAX_ISSUES,
        bulk_changelog: bool = True,
        stored_updates: Callable[[Sequence[str]], Mapping[str, datetime | None]] | None = None,
    ) -> None:
        if started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware.")
        if not 1 <= page_size <= chunk_issues <= BULK_CHANGELOG_MAX_ISSUES:
            raise ValueError(f"Need 1 <= page_size <= chunk_issues <= {BULK_CHANGELOG_MAX_ISSUES}.")
        self.client = client
        self.project = project
        self.cursors = dict(cursors)
        self.started_at = started_at.astimezone(UTC)
        self.overlap = overlap
        self.page_size = page_size
        self.chunk_issues = chunk_issues
        self.bulk_changelog = bulk_changelog and client.is_cloud
        self.stored_updates = stored_updates
        self._categories: dict[str, str] = {}
        self._statuses_fetched = False

    # --- the issues stream -----------------------------------------------------------------------

    def iter_pages(self) -> Iterator[SyncPage]:
        """Yield pages oldest-first; store each batch, then save its cursor (None: nothing to save yet)."""
        cursor = self.cursors.get(STREAM_ISSUES)
        since = cursor - self.overlap if cursor is not None else None
        pending: dict[str, str] = {}  # issue id -> key: stored, changelog not fetched yet (bulk mode)
        newest: datetime | None = None
        for issues in self._search(issues_jql(self.project, since)):
            if pending and len(pending) + len(issues) > self.chunk_issues:
                yield from self._bulk_pages(pending, cursor, newest)
                cursor, pending = self._advance(cursor, newest), {}
            newest = _latest_update(newest, issues)
            self._learn_categories(issues)
            unchanged = self._unchanged(issues) if since is not None else set()
            batch = self._issues_batch(issues, unchanged)
            changed = [i for i in issues if str(i["key"]) not in unchanged]
            if not self.bulk_changelog:
                batch.extend(self._changelogs(self._inline_histories(changed)))
                cursor = self._advance(cursor, newest)
                yield SyncPage(STREAM_ISSUES, self.project, batch, cursor)
                continue
            # One bulk call covers up to 1000 issues, so changelogs wait for the chunk to fill; the
            # cursor waits with them, and a run that stops in between re-reads the chunk.
            pending.update((str(i["id"]), str(i["key"])) for i in changed)
            if not pending:  # every issue so far was already stored as it is: nothing waits for changelogs
                cursor = self._advance(cursor, newest)
            yield SyncPage(STREAM_ISSUES, self.project, batch, cursor)
            if len(pending) >= self.chunk_issues:
                yield from self._bulk_pages(pending, cursor, newest)
                cursor, pending = self._advance(cursor, newest), {}
        if pending:
            yield from self._bulk_pages(pending, cursor, newest)

    def _search(self, jql: str) -> Iterator[list[Mapping[str, Any]]]:
        expand = None if self.client.is_cloud else "changelog"
        return search_pages(
            self.client, jql, SEARCH_FIELDS, page_size=self.page_size, expand=expand, row_overlap=_DC_ROW_OVERLAP
        )

    def _unchanged(self, issues: list[Mapping[str, Any]]) -> set[str]:
        """Return the keys of issues stored with this very ``updated``: seen again only through the overlap.

        Jira moves ``updated`` on every comment and transition, so their comments and their changelog are
        already stored; skipping them makes a no-change re-sync one search request.
        """
        if self.stored_updates is None:
            return set()
        stored = self.stored_updates([str(i["key"]) for i in issues])
        out = set()
        for issue in issues:
            key, value = str(issue["key"]), issue["fields"].get("updated")
            seen = stored.get(key)
            if value is not None and seen is not None and parse_time(value, field_name=f"{key} updated") == seen:
                out.add(key)
        return out

    def _issues_batch(self, issues: list[Mapping[str, Any]], unchanged: set[str]) -> Batch:
        batch = Batch()
        for issue in issues:
            batch.extend(normalize_rest_issue(issue, base_url=self.client.base_url))
            batch.activities.extend(self._comments(issue, changed=str(issue["key"]) not in unchanged))
        return batch

    def _advance(self, previous: datetime | None, newest: datetime | None) -> datetime | None:
        """Return the cursor after issues updated up to ``newest``: capped at ``started_at``, forward only."""
        if newest is None:
            return previous
        candidate = min(newest, self.started_at)
        return candidate if previous is None or candidate > previous else previous

    # --- comments and changelog ------------------------------------------------------------------

    def _comments(self, issue: Mapping[str, Any], *, changed: bool = True) -> list[Activity]:
        """Return the comments of a changed issue, read with their properties; none for an unchanged one.

        Search results embed comments without properties, so an internal note marked only by
        ``sd.public.comment`` would pass for public there (and overwrite the stored note at the same
        version): the thread is read from the comment endpoint instead, one request per 100 comments, and
        only for issues that have comments. An unchanged issue's comments are stored already.
        """
        value = issue["fields"].get("comment")
        total = value.get("total") if isinstance(value, Mapping) else None
        if not changed or not (embedded_comment_list(value) or (isinstance(total, int) and total > 0)):
            return []
        key = str(issue["key"])
        out: list[Activity] = []
        start = 0
        while True:
            page = self.client.comments_page(key, start_at=start, max_results=100)
            comments = embedded_comment_list(page)
            out += [normalize_rest_comment(key, c, base_url=self.client.base_url) for c in comments]
            start += len(comments)
            total = page.get("total", total)
            if not comments or not isinstance(total, int) or start >= total:
                return out

    def _changelogs(self, histories: Iterable[tuple[str, Mapping[str, Any]]]) -> Batch:
        histories = list(histories)
        needed = {
            str(item.get("to"))
            for _, history in histories
            for item in history.get("items") or ()
            if isinstance(item, Mapping) and field_of(item) == "status" and item.get("to") is not None
        }
        if needed - self._categories.keys() and not self._statuses_fetched:
            # Older transitions name statuses no issue seen is in now: one status lookup per run.
            self._statuses_fetched = True
            self._learn_categories({"fields": {"status": s}} for s in self.client.statuses())
        out = Batch()
        for key, history in histories:
            out.extend(normalize_rest_history(key, history, status_categories=self._categories))
        return out

    def _inline_histories(self, issues: list[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for issue in issues:
            if self.client.is_cloud:
                yield from self._issue_histories(str(issue["key"]))
            else:
                yield from self._dc_histories(issue)

    def _bulk_pages(
        self, pending: Mapping[str, str], before: datetime | None, newest: datetime | None
    ) -> Iterator[SyncPage]:
        """Yield the chunk's changelogs a bulk page at a time; the last page carries the advanced cursor."""
        token: str | None = None
        while True:
            page = self.client.bulk_changelog_page(list(pending), TRACKED_FIELDS, next_page_token=token)
            histories = [
                (pending[str(log.get("issueId"))], history)
                for log in page.get("issueChangeLogs") or ()
                if str(log.get("issueId")) in pending
                for history in log.get("changeHistories") or ()
                if isinstance(history, Mapping)
            ]
            new_token = page.get("nextPageToken")
            last = not new_token or new_token == token
            cursor = self._advance(before, newest) if last else before
            yield SyncPage(STREAM_ISSUES, self.project, self._changelogs(histories), cursor)
            if last:
                return
            token = new_token

    def _issue_histories(self, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        start = 0
        while True:
            page = self.client.changelog_page(key, start_at=start, max_results=100)
            values = [h for h in page.get("values") or () if isinstance(h, Mapping)]
            yield from ((key, h) for h in values)
            start += len(values)
            if page.get("isLast", True) or not values:
                return

    def _dc_histories(self, issue: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        key = str(issue["key"])
        changelog = issue.get("changelog") if isinstance(issue.get("changelog"), Mapping) else {}
        histories = [h for h in changelog.get("histories") or () if isinstance(h, Mapping)]
        if int(changelog.get("total") or 0) > len(histories):
            full = self.client.issue_with_changelog(key).get("changelog") or {}
            histories = [h for h in full.get("histories") or () if isinstance(h, Mapping)]
        yield from ((key, h) for h in histories)

    def _learn_categories(self, issues: Iterable[Mapping[str, Any]]) -> None:
        for issue in issues:
            status = (issue.get("fields") or {}).get("status")
            if isinstance(status, Mapping) and status.get("id") is not None:
                category = status.get("statusCategory")
                if isinstance(category, Mapping) and category.get("key"):
                    self._categories[str(status["id"])] = str(category["key"])

    # --- deleted issues --------------------------------------------------------------------------

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Return which of ``keys`` still exist, under that key, in this project.

        Lists the project's keys (the cheapest search: up to 5000 keys per Cloud page), then confirms
        each key the listing lacks by fetching it directly, since the search index can lag a freshly
        created issue. A moved issue answers under its new key, so its old key counts as gone.
        """
        return existing_keys(self.client, self.project, keys)

    def reconcile_page(self, stored_keys: Iterable[str]) -> SyncPage:
        """Return a page marking stored issues that no longer exist as deleted (cursor: ``started_at``)."""
        keys = set(stored_keys)
        gone = sorted(keys - self.existing_keys(keys))
        items = [
            WorkItem(
                source=SOURCE,
                key=key,
                container=self.project,
                kind=ItemKind.JIRA_ISSUE.value,
                url=None,
                title=None,
                created_at=None,
                updated_at=None,
                deleted=True,
                partial=True,
            )
            for key in gone
        ]
        return SyncPage(STREAM_RECONCILE, self.project, Batch(work_items=items), self.started_at)


def _latest_update(newest: datetime | None, issues: Iterable[Mapping[str, Any]]) -> datetime | None:
    """Return the newest ``fields.updated`` among ``issues`` and ``newest``."""
    for issue in issues:
        value = issue["fields"].get("updated")
        if value is not None:
            updated = parse_time(value, field_name=f"{issue.get('key')} fields.updated")
            newest = updated if newest is None or updated > newest else newest
    return newest
