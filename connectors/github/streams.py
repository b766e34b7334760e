"""Declarative sync streams: each names its listing; the base classes own paging, ETags and cursors.

Cursors are at-least-once: a listing is read from the cursor minus an overlap, a cursor only moves
forward, never reaches the second the sync started in, and is handed out with the page it covers so
the runner saves it only after storing that page.

One odd record never stops a sync: each listed object is read on its own (``connectors.records.kept``), and one
that cannot be read goes into its page's ``batch.rejected`` (the runner keeps it in quarantine) while the page,
and the cursor, go on. ``reread`` reads a quarantined record again after a parser fix (``pulse replay``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.github.client import GitHubClient, Page
from connectors.github.normalize import (
    normalize_rest_comment,
    normalize_rest_issue,
    normalize_rest_issue_event,
    normalize_rest_review,
    normalize_rest_review_comment,
)
from connectors.github.shapes import SOURCE
from connectors.records import Batch, Check, ItemKind, PayloadError, Rejected, kept, parse_time

PER_PAGE = 100  # GitHub's maximum; the default of 30 would triple the requests


@dataclass(frozen=True, slots=True)
class SyncPage:
    """A page to store; then save ``cursor`` for (github, repo, stream). None: keep the saved one."""

    stream: str
    repo: str
    batch: Batch
    cursor: datetime | None


@dataclass(frozen=True, slots=True)
class SyncRun:
    """What every stream of one repository's sync shares."""

    client: GitHubClient
    repo: str
    ceiling: datetime  # no cursor moves past this: the last whole second before the sync started
    overlap: timedelta
    check: Check | None = None  # the app's record checks, applied to each listed record

    def read(self, kind: str, obj: Any, normalize: Callable[[], Batch], **context: Any) -> Batch:
        """Read one listed object into records, or into ``rejected`` when it cannot be read (see module doc)."""
        return kept(SOURCE, self.repo, kind, obj, normalize, context=context, check=self.check)


def listed_time(obj: Any, name: str) -> datetime | None:
    """Return a listed object's ``name`` time for paging and cursors, or None when it has no usable one.

    A record without it is still read (or quarantined) on its own; it only cannot move a cursor.
    """
    value = obj.get(name) if isinstance(obj, Mapping) else None
    if value is None:
        return None
    try:
        return parse_time(value, field_name=name)
    except PayloadError:
        return None


def advance(cursor: datetime | None, newest: datetime | None, ceiling: datetime) -> datetime | None:
    """Return the cursor after seeing ``newest``: forward only, and never past ``ceiling``."""
    if newest is None:
        return cursor
    candidate = min(newest, ceiling)
    return candidate if cursor is None else max(cursor, candidate)


def since_param(moment: datetime) -> str:
    """Return a ``since`` query value (ISO 8601, UTC, whole seconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pages(run: SyncRun, path: str, params: Mapping[str, Any], etag: str | None = None) -> Iterator[Page]:
    """Yield the pages of a listing, following ``Link: rel="next"``; only the first is conditional."""
    page = run.client.get_page(path, params, etag=etag)
    yield page
    while page.next_url and not page.not_modified:
        page = run.client.get_page(page.next_url)
        yield page


class UpdatedListing:
    """A repo-wide listing read in ascending ``updated_at`` order from ``since``."""

    name: ClassVar[str]
    kind: ClassVar[str]  # what one listed record is, for the quarantine
    path: ClassVar[str]
    params: ClassVar[Mapping[str, str]] = {"sort": "updated", "direction": "asc"}

    @staticmethod
    def normalize(repo: str, obj: Mapping[str, Any]) -> Batch:
        raise NotImplementedError

    def pages(self, run: SyncRun, cursor: datetime | None, *, read_from: datetime | None = None) -> Iterator[SyncPage]:
        """Yield pages changed since ``read_from`` (default: the cursor), each with the new cursor."""
        start = cursor if read_from is None else read_from
        params = {**self.params, "per_page": PER_PAGE}
        if start is not None:
            params["since"] = since_param(start - run.overlap)
        path = self.path.format(repo=run.repo)
        key = run.client.url_for(path, params)
        for index, page in enumerate(_pages(run, path, params, run.client.etags.get(key))):
            if page.not_modified:
                return
            batch, newest = Batch(), None
            for obj in page.items:
                batch.extend(run.read(self.kind, obj, lambda obj=obj: self.normalize(run.repo, obj)))
                updated = listed_time(obj, "updated_at")
                if updated is not None:
                    newest = updated if newest is None else max(newest, updated)
            cursor = advance(cursor, newest, run.ceiling)
            yield SyncPage(self.name, run.repo, batch, cursor)
            if index == 0:
                # Ascending order puts new changes last, so a 304 on page one proves nothing new only
                # when page one was the whole answer. Saved after the runner stored the page.
                run.client.etags.put(key, page.etag if page.next_url is None else None)


class IssuesStream(UpdatedListing):
    kind = "issue"
    name = "issues"
    path = "/repos/{repo}/issues"
    params: ClassVar[Mapping[str, str]] = {"state": "all", "sort": "updated", "direction": "asc"}

    @staticmethod
    def normalize(repo: str, obj: Mapping[str, Any]) -> Batch:
        return normalize_rest_issue(repo, obj)


class IssueCommentsStream(UpdatedListing):
    kind = "comment"
    name = "issue_comments"
    path = "/repos/{repo}/issues/comments"

    @staticmethod
    def normalize(repo: str, obj: Mapping[str, Any]) -> Batch:
        return normalize_rest_comment(repo, obj)


class ReviewCommentsStream(UpdatedListing):
    kind = "review_comment"
    name = "review_comments"
    path = "/repos/{repo}/pulls/comments"

    @staticmethod
    def normalize(repo: str, obj: Mapping[str, Any]) -> Batch:
        return normalize_rest_review_comment(repo, obj)


class ReviewsStream:
    """PR reviews, a child of the issues stream: there is no repo-wide review listing."""

    name = "reviews"
    path = "/repos/{repo}/pulls/{number}/reviews"

    def pages_for(self, run: SyncRun, parent: SyncPage, cursor: datetime | None) -> Iterator[SyncPage]:
        """Yield the reviews of the PRs on an issues page that changed after ``cursor``."""
        batch, newest = Batch(), None
        for item in parent.batch.work_items:
            assert item.updated_at is not None
            newest = item.updated_at if newest is None else max(newest, item.updated_at)
            # Strictly after: the ceiling guarantees a PR updated at the cursor was read whole.
            if item.kind != ItemKind.PULL_REQUEST or (cursor is not None and item.updated_at <= cursor):
                continue
            number = int(item.key.rsplit("#", 1)[1])
            path = self.path.format(repo=run.repo, number=number)
            for page in _pages(run, path, {"per_page": PER_PAGE}):
                for obj in page.items:
                    read = lambda obj=obj, number=number: normalize_rest_review(run.repo, number, obj)  # noqa: E731
                    batch.extend(run.read("review", obj, read, number=number))
        new_cursor = advance(cursor, newest, run.ceiling)
        if batch or new_cursor != cursor:
            yield SyncPage(self.name, run.repo, batch, new_cursor)


class IssueEventsStream:
    """Repo-wide issue events: newest first with no ``since``, so read back to the cursor."""

    name = "issue_events"
    path = "/repos/{repo}/issues/events"

    def pages(self, run: SyncRun, cursor: datetime | None) -> Iterator[SyncPage]:
        """Yield event pages down to the cursor; only the last page moves the cursor."""
        stop = None if cursor is None else cursor - run.overlap
        path, params = self.path.format(repo=run.repo), {"per_page": PER_PAGE}
        key = run.client.url_for(path, params)
        first_etag, newest = None, None
        for page in _pages(run, path, params, run.client.etags.get(key)):
            if page.not_modified:
                return
            first_etag = first_etag or page.etag
            batch, reached = Batch(), False
            for obj in page.items:
                at = listed_time(obj, "created_at")
                if at is not None and stop is not None and at < stop:
                    reached = True
                    continue
                if at is not None:
                    newest = at if newest is None else max(newest, at)
                batch.extend(run.read("issue_event", obj, lambda obj=obj: normalize_rest_issue_event(run.repo, obj)))
            last = reached or page.next_url is None
            # Newest first: the cursor may move only once everything down to the old one is stored.
            yield SyncPage(self.name, run.repo, batch, advance(cursor, newest, run.ceiling) if last else None)
            if last:
                # New events land on page one, so its ETag answers "anything new?" for the whole list.
                run.client.etags.put(key, first_etag)
                return


_REREADERS: Mapping[str, Callable[[str, Mapping[str, Any], Mapping[str, Any]], Batch]] = {
    "issue": lambda repo, body, _: normalize_rest_issue(repo, body),
    "comment": lambda repo, body, _: normalize_rest_comment(repo, body),
    "review_comment": lambda repo, body, _: normalize_rest_review_comment(repo, body),
    "review": lambda repo, body, context: normalize_rest_review(repo, int(context["number"]), body),
    "issue_event": lambda repo, body, _: normalize_rest_issue_event(repo, body),
}


def reread(rejected: Rejected, check: Check | None = None) -> Batch:
    """Read a quarantined GitHub record again (after a parser fix); raise PayloadError while it is still unreadable."""
    reader = _REREADERS.get(rejected.kind)
    if reader is None:
        raise PayloadError(f"A GitHub record of kind {rejected.kind!r} cannot be read again: no reader knows it.")
    batch = reader(rejected.scope, rejected.body, rejected.context)
    return check(batch) if check is not None else batch
