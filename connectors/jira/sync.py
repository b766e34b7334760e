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

One odd record never stops a project: each listed issue, comment and changelog history is read on its own
(``connectors.records.kept``, with the app's ``check``); one that cannot be read goes into the page's
``batch.rejected`` with what reading it again needs (``connectors.jira.quarantine``), and the page and the
cursor go on.

Deleted issues never show up in an ``updated`` search, so ``existing_keys`` / ``reconcile_page`` tell
which stored keys are gone (see there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from connectors.jira.changelog import TRACKED_FIELDS, field_of
from connectors.jira.client import JiraClient
from connectors.jira.jql import issues_jql
from connectors.jira.normalize import embedded_comment_list
from connectors.jira.quarantine import (
    KIND_COMMENT,
    KIND_HISTORY,
    KIND_ISSUE,
    comment_context,
    history_context,
    issue_context,
    read_record,
)
from connectors.jira.reconcile import existing_keys
from connectors.jira.search import search_pages
from connectors.jira.shapes import SOURCE, plain_issue_id, plain_key
from connectors.records import Batch, Check, ItemKind, PayloadError, WorkItem, kept, parse_time

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
        check: Check | None = None,
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
        self.check = check  # the app's record checks, applied to each listed record on its own
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
            changed = [(key, i) for i in issues if (key := plain_key(i.get("key"))) and key not in unchanged]
            if not self.bulk_changelog:
                batch.extend(self._changelogs(self._inline_histories(changed)))
                cursor = self._advance(cursor, newest)
                yield SyncPage(STREAM_ISSUES, self.project, batch, cursor)
                continue
            # One bulk call covers up to 1000 issues, so changelogs wait for the chunk to fill; the
            # cursor waits with them, and a run that stops in between re-reads the chunk. A bulk answer
            # names issues by id: an issue without one has its changelog read on its own, now.
            idless = [key for key, i in changed if plain_issue_id(i.get("id")) is None]
            batch.extend(self._changelogs(h for key in idless for h in self._issue_histories(key)))
            pending.update((issue_id, key) for key, i in changed if (issue_id := plain_issue_id(i.get("id"))))
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
        keyed = {key: issue for issue in issues if (key := plain_key(issue.get("key")))}
        stored = self.stored_updates(list(keyed))
        return {
            key
            for key, issue in keyed.items()
            if (seen := stored.get(key)) is not None and _updated_of(issue) == seen
        }

    def _issues_batch(self, issues: list[Mapping[str, Any]], unchanged: set[str]) -> Batch:
        batch = Batch()
        context = issue_context(self.client.base_url)
        for issue in issues:
            batch.extend(self._kept(KIND_ISSUE, issue, context))
            key = plain_key(issue.get("key"))
            if key is not None and key not in unchanged:
                batch.extend(self._comments(key, issue))
        return batch

    def _kept(self, kind: str, body: Mapping[str, Any], context: Mapping[str, Any]) -> Batch:
        """Return one listed record's records, checked; or, when it cannot be read, its Rejected."""
        read = partial(read_record, kind, body, context)
        return kept(SOURCE, self.project, kind, body, read, context=context, check=self.check)

    def _advance(self, previous: datetime | None, newest: datetime | None) -> datetime | None:
        """Return the cursor after issues updated up to ``newest``: capped at ``started_at``, forward only."""
        if newest is None:
            return previous
        candidate = min(newest, self.started_at)
        return candidate if previous is None or candidate > previous else previous

    # --- comments and changelog ------------------------------------------------------------------

    def _comments(self, key: str, issue: Mapping[str, Any]) -> Batch:
        """Return the comments of a changed issue, read with their properties, when it has any.

        Search results embed comments without properties, so an internal note marked only by
        ``sd.public.comment`` would pass for public there (and overwrite the stored note at the same
        version): the thread is read from the comment endpoint instead, one request per 100 comments, and
        only for issues that have comments.
        """
        fields = issue.get("fields")
        value = fields.get("comment") if isinstance(fields, Mapping) else None
        total = value.get("total") if isinstance(value, Mapping) else None
        out = Batch()
        if not (embedded_comment_list(value) or (isinstance(total, int) and total > 0)):
            return out
        context = comment_context(key, self.client.base_url)
        start = 0
        while True:
            page = self.client.comments_page(key, start_at=start, max_results=100)
            comments = embedded_comment_list(page)
            for comment in comments:
                out.extend(self._kept(KIND_COMMENT, comment, context))
            start += len(comments)
            total = page.get("total", total)
            if not comments or not isinstance(total, int) or start >= total:
                return out

    def _changelogs(self, histories: Iterable[tuple[str, Mapping[str, Any]]]) -> Batch:
        histories = list(histories)
        needed = {status for _, history in histories for status in _status_targets(history)}
        if needed - self._categories.keys() and not self._statuses_fetched:
            # Older transitions name statuses no issue seen is in now: one status lookup per run.
            self._statuses_fetched = True
            self._learn_categories({"fields": {"status": s}} for s in self.client.statuses())
        out = Batch()
        for key, history in histories:
            known = {s: self._categories[s] for s in _status_targets(history) if s in self._categories}
            out.extend(self._kept(KIND_HISTORY, history, history_context(key, known)))
        return out

    def _inline_histories(self, issues: list[tuple[str, Mapping[str, Any]]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for key, issue in issues:
            if self.client.is_cloud:
                yield from self._issue_histories(key)
            else:
                yield from self._dc_histories(key, issue)

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
                if isinstance(log, Mapping) and str(log.get("issueId")) in pending
                for history in _list(log.get("changeHistories"))
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
            values = [h for h in _list(page.get("values")) if isinstance(h, Mapping)]
            yield from ((key, h) for h in values)
            start += len(values)
            if page.get("isLast", True) or not values:
                return

    def _dc_histories(self, key: str, issue: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        changelog = issue.get("changelog") if isinstance(issue.get("changelog"), Mapping) else {}
        histories = [h for h in _list(changelog.get("histories")) if isinstance(h, Mapping)]
        total = changelog.get("total")
        if isinstance(total, int) and total > len(histories):
            full = self.client.issue_with_changelog(key).get("changelog")
            full = full if isinstance(full, Mapping) else {}
            histories = [h for h in _list(full.get("histories")) if isinstance(h, Mapping)]
        yield from ((key, h) for h in histories)

    def _learn_categories(self, issues: Iterable[Mapping[str, Any]]) -> None:
        for issue in issues:
            fields = issue.get("fields")
            status = fields.get("status") if isinstance(fields, Mapping) else None
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
    """Return the newest ``fields.updated`` among ``issues`` and ``newest``; an issue without one is passed over."""
    for issue in issues:
        updated = _updated_of(issue)
        if updated is not None and (newest is None or updated > newest):
            newest = updated
    return newest


def _updated_of(issue: Mapping[str, Any]) -> datetime | None:
    """Return an issue's ``fields.updated``, or None when it has no readable one (its record says why)."""
    fields = issue.get("fields")
    value = fields.get("updated") if isinstance(fields, Mapping) else None
    if value is None:
        return None
    try:
        return parse_time(value, field_name="fields.updated")
    except PayloadError:
        return None


def _status_targets(history: Mapping[str, Any]) -> set[str]:
    """Return the ids of the statuses a history's transitions lead to."""
    return {
        str(item.get("to"))
        for item in _list(history.get("items"))
        if isinstance(item, Mapping) and field_of(item) == "status" and item.get("to") is not None
    }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
