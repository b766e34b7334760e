"""HTTP helpers the connectors share: backoff, rate-limit waits, Link paging, the API's bounds, an ETag cache."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 8288 section 3: link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), separated by commas;
# a quoted parameter value may itself hold commas, semicolons and angle brackets.
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_LINK_VALUE_RE = re.compile(rf'<(?P<url>[^>]*)>(?P<params>(?:[^,"<]|{_QUOTED})*)')
_LINK_PARAM_RE = re.compile(rf';\s*(?P<name>[^\s;,=]+)\s*(?:=\s*(?:(?P<quoted>{_QUOTED})|(?P<token>[^\s;,]*)))?')


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


def links(link_header: str | None) -> dict[str, str]:
    """Return the URLs of an RFC 8288 ``Link`` header by relation type (lower case); the first link of a type wins."""
    found: dict[str, str] = {}
    for value in _LINK_VALUE_RE.finditer(link_header or ""):
        for rel in _relation_types(value["params"]):
            found.setdefault(rel, value["url"].strip())
    return found


def _relation_types(params: str) -> list[str]:
    for param in _LINK_PARAM_RE.finditer(params):
        if param["name"].lower() == "rel":  # only the first rel counts (RFC 8288 section 3.3)
            text = param["token"] if param["quoted"] is None else re.sub(r"\\(.)", r"\1", param["quoted"][1:-1])
            return [rel.lower() for rel in (text or "").split()]
    return []


def next_link(link_header: str | None) -> str | None:
    """Return the ``rel="next"`` URL of an RFC 8288 ``Link`` header, or None on the last page."""
    return links(link_header).get("next")


@dataclass(frozen=True, slots=True)
class ApiRoot:
    """Where an API lives (scheme, host, port and base path): the only place its credentials may go."""

    scheme: str
    host: str
    port: int | None
    path: str  # always ends with "/"

    @classmethod
    def of(cls, base_url: str | httpx.URL) -> ApiRoot:
        """Return the root of ``base_url``, for example ``https://github.example.com/api/v3``."""
        url = httpx.URL(base_url)
        return cls(url.scheme, url.host, _port(url), url.path.rstrip("/") + "/")

    def contains(self, url: str | httpx.URL) -> bool:
        """Say whether ``url`` lies under this root: same scheme, host and port, inside the base path."""
        url = httpx.URL(url)
        if (url.scheme, url.host, _port(url)) != (self.scheme, self.host, self.port):
            return False
        # url.path is percent-decoded, so an encoded "%2e%2e" or "%2F" cannot climb out unseen.
        inside = url.path == self.path.rstrip("/") or url.path.startswith(self.path)
        return inside and ".." not in url.path.split("/")

    def __str__(self) -> str:
        port = "" if self.port in (None, _DEFAULT_PORTS.get(self.scheme)) else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.path.rstrip('/')}"


def _port(url: httpx.URL) -> int | None:
    return url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme)


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
