"""HTTP helpers the connectors share: backoff, rate-limit waits, Link paging, an ETag cache."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

_LINK_RE = re.compile(r'<(?P<url>[^>]+)>\s*;\s*rel="?(?P<rel>[^",;]+)"?')


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry: exponential backoff, and a cap on any single wait."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    rate_limit_fallback: float = 60.0  # no header says when to come back
    max_wait: float = 900.0  # longer than this: fail with a clear error instead of hanging

    def backoff(self, attempt: int) -> float:
        """Return the delay before retry number ``attempt`` (1-based) after an error."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))

    def rate_limit_backoff(self, hits: int) -> float:
        """Return the delay after the ``hits``-th rate-limit answer that gave no reset time."""
        return self.rate_limit_fallback * 2 ** (hits - 1)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Return the wait a ``Retry-After`` header asks for (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Return the wait the rate-limit headers ask for, or None when they do not say.

    ``Retry-After`` wins; otherwise, when no requests remain, wait until ``X-RateLimit-Reset``
    (epoch seconds) plus one second, since the reset is rounded down to the second.
    """
    retry_after = retry_after_seconds(headers.get("retry-after"), now)
    if retry_after is not None:
        return retry_after
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(0.0, int(reset) - now.timestamp()) + 1.0
    return None


def next_link(link_header: str | None) -> str | None:
    """Return the ``rel="next"`` URL of an RFC 8288 ``Link`` header, or None on the last page."""
    for match in _LINK_RE.finditer(link_header or ""):
        if "next" in match["rel"].split():
            return match["url"]
    return None


class ETagCache(Protocol):
    """Where ETags of first pages live between syncs (memory here; the app may persist them)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, etag: str | None) -> None: ...


class MemoryETagCache:
    """An ETag cache kept for the life of the process."""

    def __init__(self) -> None:
        self._etags: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._etags.get(key)

    def put(self, key: str, etag: str | None) -> None:
        if etag is None:
            self._etags.pop(key, None)
        else:
            self._etags[key] = etag
