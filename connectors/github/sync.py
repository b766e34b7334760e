"""Incremental sync of one GitHub repository, page by page, for the app's runner to store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from connectors.github.client import GitHubClient
from connectors.github.streams import (
    IssueCommentsStream,
    IssueEventsStream,
    IssuesStream,
    ReviewCommentsStream,
    ReviewsStream,
    SyncPage,
    SyncRun,
)
from connectors.records import Check

__all__ = ["OVERLAP", "STREAMS", "GitHubSync", "SyncPage"]

OVERLAP = timedelta(seconds=60)  # re-read a minute before each cursor: clock skew, same-second writes
STREAMS = ("issues", "reviews", "issue_comments", "review_comments", "issue_events")


class GitHubSync:
    """Read what changed in ``repo`` since the saved cursors (one per stream), as storable pages."""

    def __init__(
        self,
        client: GitHubClient,
        repo: str,
        cursors: Mapping[str, datetime | None],
        *,
        started_at: datetime,
        overlap: timedelta = OVERLAP,
        check: Check | None = None,
    ) -> None:
        if started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware (UTC); pass datetime.now(UTC).")
        self.cursors = {name: _checked(name, cursors.get(name)) for name in STREAMS}
        # A change in the starting second may come after we read it: keep cursors before that second.
        ceiling = started_at.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=1)
        # ``check``: the app's record checks, applied to each listed record (one that fails is quarantined).
        self.run = SyncRun(client=client, repo=repo, ceiling=ceiling, overlap=overlap, check=check)

    def iter_pages(self) -> Iterator[SyncPage]:
        """Yield pages stream by stream; store each page, then save its cursor, then ask for more."""
        yield from self._issues_and_reviews()
        for stream in (IssueCommentsStream(), ReviewCommentsStream()):
            yield from stream.pages(self.run, self.cursors[stream.name])
        yield from IssueEventsStream().pages(self.run, self.cursors["issue_events"])

    def _issues_and_reviews(self) -> Iterator[SyncPage]:
        issues, reviews = self.cursors["issues"], self.cursors["reviews"]
        # Reviews are found through the issues listing, so read it from whichever cursor lags.
        read_from = None if issues is None or reviews is None else min(issues, reviews)
        review_stream = ReviewsStream()
        for page in IssuesStream().pages(self.run, issues, read_from=read_from):
            yield page
            for review_page in review_stream.pages_for(self.run, page, reviews):
                yield review_page
                reviews = review_page.cursor


def _checked(stream: str, cursor: datetime | None) -> datetime | None:
    if cursor is None:
        return None
    if not isinstance(cursor, datetime) or cursor.tzinfo is None:
        raise ValueError(f"The saved cursor for stream {stream!r} must be a timezone-aware datetime, not {cursor!r}.")
    return cursor.astimezone(UTC)
