"""Page through a JQL search: Cloud by ``nextPageToken``, Data Center by ``startAt``."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectors.jira.client import JiraClient, JiraError

log = logging.getLogger(__name__)


def search_pages(
    client: JiraClient,
    jql: str,
    fields: Sequence[str],
    *,
    page_size: int,
    expand: str | None = None,
    row_overlap: int = 0,
) -> Iterator[list[Mapping[str, Any]]]:
    """Yield each non-empty page of issues a search finds, in order.

    Cloud: a page may come back empty and still carry a ``nextPageToken`` (the search skips issues the
    account may not see), so the listing goes on until ``isLast`` or no token; a token seen before ends it,
    with a warning, since following it again would loop forever. Data Center: each ``startAt`` page re-reads
    ``row_overlap`` rows of the one before (an issue updated mid-run shifts offsets).
    """
    token: str | None = None
    seen: set[str] = set()
    start_at = 0
    while True:
        result = client.search_page(
            jql, fields, next_page_token=token, start_at=start_at, max_results=page_size, expand=expand
        )
        if not isinstance(result, Mapping):
            raise JiraError(f"Jira answered a search with JSON that is not an object: {type(result).__name__}.", False)
        issues = [i for i in result.get("issues") or () if isinstance(i, Mapping)]
        if issues:
            yield issues
        if client.is_cloud:
            new_token = result.get("nextPageToken")
            if result.get("isLast") is True or not isinstance(new_token, str) or not new_token:
                return
            if new_token in seen:
                log.warning("Jira search answered the page token %r a second time; the listing ends there.", new_token)
                return
            seen.add(new_token)
            token = new_token
        else:
            total = result.get("total")
            if not issues or not isinstance(total, int) or start_at + len(issues) >= total:
                return
            start_at += max(1, len(issues) - row_overlap)
