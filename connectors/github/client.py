"""A small GitHub REST client for the sync: timeouts, retries, rate limits, ETags, a request count.

It sends requests only under the configured API root (``https://api.github.com``, or a GitHub Enterprise
Server's ``https://host/api/v3``): a ``Link`` next page or a redirect anywhere else ends the listing with an
error instead of taking the token there. Renamed repositories answer 301 to ``/repositories/{id}/...`` on the
same root, and real next links point there too; both are followed.

Why httpx and not PyGithub here: PyGithub's paginated lists send no ETags (only single objects do
conditional ``update()``), default to 30 items per page, and retry inside urllib3 with real sleeps
we cannot cap or inject, so the request count we compete on and the tests' no-sleep rule would both
suffer. PyGithub stays fine for one-off administrative calls where none of that matters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import httpx

from connectors.http import ApiRoot, ETagCache, MemoryETagCache, RetryPolicy, next_link, rate_limit_wait

API_VERSION = "2022-11-28"
# Given the owner of the repository a request is for, returns the token to send (a GitHub App installation's).
TokenProvider = Callable[[str | None], str]


class GitHubError(Exception):
    """A GitHub request failed; ``permanent`` says whether retrying later can help."""

    def __init__(self, message: str, permanent: bool, *, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing; ``not_modified`` means GitHub answered 304 to our ETag."""

    url: str
    items: list[Mapping[str, Any]] = field(default_factory=list)
    next_url: str | None = None
    etag: str | None = None
    not_modified: bool = False


class _Verdict(Enum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    RATE_LIMITED = "rate_limited"
    RETRY = "retry"
    FATAL = "fatal"


def classify(response: httpx.Response) -> _Verdict:
    """Decide, in one place, what a GitHub status means: success, wait, retry, or give up."""
    status = response.status_code
    if 200 <= status < 300:
        return _Verdict.OK
    if status == 304:
        return _Verdict.NOT_MODIFIED
    if status == 429 or (status == 403 and _is_rate_limit(response)):
        return _Verdict.RATE_LIMITED
    if status >= 500 or status == 408:
        return _Verdict.RETRY
    return _Verdict.FATAL


def _is_rate_limit(response: httpx.Response) -> bool:
    # A 403 is a rate limit when the headers say so, or for secondary limits only the message does:
    # https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#rate-limit-errors
    if response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers:
        return True
    return "rate limit" in response.text.lower()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class GitHubClient:
    """GET GitHub REST listings with bounded retries and waits; counts every request it sends."""

    def __init__(
        self,
        token: str | TokenProvider | None,
        *,
        base_url: str = "https://api.github.com",
        timeout: float = 30.0,
        max_wait_seconds: float = 900.0,
        max_attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = _utc_now,
        etags: ETagCache | None = None,
    ) -> None:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        headers["User-Agent"] = "delivery-pulse"
        if isinstance(token, str) and token:
            headers["Authorization"] = f"Bearer {token}"
        self._token_for: TokenProvider | None = token if callable(token) else None
        self._owner: str | None = None  # of the last /repos/{owner}/... request: /repositories/{id} has none
        self.root = ApiRoot.of(base_url)
        self._http = httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
            event_hooks={"request": [self._before_send]},
        )
        self.policy = RetryPolicy(max_attempts=max_attempts, max_wait=max_wait_seconds)
        self.etags: ETagCache = etags if etags is not None else MemoryETagCache()
        self._sleep = sleep
        self._now = now
        self.requests_made = 0
        self.not_modified = 0
        self.rate_limit_remaining: int | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def url_for(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> str:
        """Return the absolute URL a GET would use: the key for its ETag."""
        return str(self._http.build_request("GET", path_or_url, params=params).url)

    def get_page(self, path_or_url: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None) -> Page:
        """GET one page of a JSON list, sending ``If-None-Match`` when an ETag is given."""
        request = self._http.build_request("GET", path_or_url, params=params)
        if not self.root.contains(request.url):
            raise GitHubError(
                f"Not following the next page {request.url}: it is outside the configured GitHub API {self.root}, "
                "and the GitHub token is sent nowhere else; the listing stopped there.",
                True,
            )
        if etag:
            request.headers["If-None-Match"] = etag
        response = self._send(request)
        url = str(request.url)
        if response.status_code == 304:
            self.not_modified += 1
            return Page(url=url, etag=etag, not_modified=True)
        try:
            items = response.json()
        except ValueError as exc:
            raise GitHubError(f"GitHub answered GET {url} with a body that is not JSON.", True) from exc
        if not isinstance(items, list):
            raise GitHubError(f"GitHub answered GET {url} with JSON that is not a list.", True)
        link = next_link(response.headers.get("link"))
        # A relative link is relative to the page it came with: after a redirect, the final one.
        next_url = None if link is None else str(response.url.join(link))
        return Page(url, items, next_url, response.headers.get("etag"))

    def _before_send(self, request: httpx.Request) -> None:
        # httpx calls this before every request it sends, redirects included. It would drop the token on a
        # redirect to another origin by itself, but one under the same host outside the base path keeps it.
        if not self.root.contains(request.url):
            raise GitHubError(
                f"GitHub redirected to {request.url}, outside the configured GitHub API {self.root}; "
                "not followed, so the GitHub token is sent nowhere else.",
                True,
            )
        if self._token_for is not None:
            # Asked per request, so a token about to expire is replaced before it is sent.
            self._owner = self._owner_of(request.url) or self._owner
            request.headers["Authorization"] = f"Bearer {self._token_for(self._owner)}"
        self.requests_made += 1

    def _owner_of(self, url: httpx.URL) -> str | None:
        path = url.path.removeprefix(self.root.path.rstrip("/"))
        parts = path.strip("/").split("/")
        return parts[1] if len(parts) > 2 and parts[0] == "repos" else None

    def _send(self, request: httpx.Request) -> httpx.Response:
        rate_limit_hits = 0
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                response = self._http.send(request)
            except httpx.TooManyRedirects as exc:
                raise GitHubError(f"GET {request.url} was redirected too many times: {exc}.", True) from exc
            except httpx.TransportError as exc:
                error = GitHubError(f"GET {request.url} failed: {exc!r}.", False)
                wait = self.policy.backoff(attempt)
            else:
                self._note_rate_limit(response)
                verdict = classify(response)
                if verdict in (_Verdict.OK, _Verdict.NOT_MODIFIED):
                    return response
                error = _error_for(request, response, verdict)
                if verdict is _Verdict.FATAL:
                    raise error
                if verdict is _Verdict.RATE_LIMITED:
                    rate_limit_hits += 1
                    wait = self._rate_limit_wait(response, rate_limit_hits)
                else:
                    wait = self.policy.backoff(attempt)
            if attempt < self.policy.max_attempts:
                self._wait(wait, error)
        message = f"{error} Gave up after {self.policy.max_attempts} attempts; try again later."
        raise GitHubError(message, False, status=error.status)

    def _rate_limit_wait(self, response: httpx.Response, hits: int) -> float:
        wait = rate_limit_wait(response.headers, self._now())
        return self.policy.rate_limit_backoff(hits) if wait is None else wait

    def _wait(self, seconds: float, error: GitHubError) -> None:
        if seconds > self.policy.max_wait:
            resume = self._now() + timedelta(seconds=seconds)
            cap = self.policy.max_wait
            raise GitHubError(
                f"{error} GitHub asks us to wait {seconds:.0f} s, more than the {cap:.0f} s cap; "
                f"run the sync again after {resume:%Y-%m-%d %H:%M:%S} UTC.",
                False,
                status=error.status,
            )
        self._sleep(seconds)

    def _note_rate_limit(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            self.rate_limit_remaining = int(remaining)


def _error_for(request: httpx.Request, response: httpx.Response, verdict: _Verdict) -> GitHubError:
    status = response.status_code
    hint = {
        401: " Check that the GitHub token is valid.",
        403: " Check that the token can read this repository.",
        404: " Check the repository name and that the token can see it.",
    }.get(status, "")
    if verdict is _Verdict.RATE_LIMITED:
        hint = " GitHub's rate limit was reached."
    message = f"GitHub answered GET {request.url} with {status}.{hint}"
    return GitHubError(message, verdict is _Verdict.FATAL, status=status)
