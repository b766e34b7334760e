"""Jira REST client: one HTTP policy (timeouts, retries, rate limits) and the few calls the sync makes.

Why httpx and not the ``jira`` library the design names: ``jira`` 3.10's ``enhanced_search_issues``
pages the search well, but everything goes through its requests-based ``ResilientSession``, which
retries only 429/503 (not 500/502/504), sleeps ``min(max_retry_delay, 2 * Retry-After) * jitter`` with
``time.sleep`` (so it can sleep shorter than Retry-After, cannot be told to fail instead, and tests
would really sleep), ignores ``X-RateLimit-Reset``, cannot use an injected transport (respx), and calls
``serverInfo`` on construction. Its ``comments()`` reads one page only, and it has neither changelog
paging nor ``/changelog/bulkfetch``. Mixing it in for search alone would give two retry policies, so
every call goes through ``JiraClient._request`` and is counted in ``requests_made``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from connectors.records import PayloadError, parse_time

Deployment = Literal["cloud", "datacenter"]
log = logging.getLogger(__name__)

# Rate limits (Cloud: https://developer.atlassian.com/cloud/jira/platform/rate-limiting/) and a
# briefly unavailable node: wait as told and retry.
_RATE_LIMITED = frozenset({429, 503})
# Other server-side failures are worth a few retries with backoff; every other status is final.
_SERVER_ERRORS = frozenset({500, 502, 504})
_FATAL_HINTS = {
    400: "Jira rejected the request",
    401: "Jira rejected the credentials; check the e-mail and API token (or personal access token)",
    403: "Jira denied access; check that the account can browse the project",
    404: "Jira has no such resource; check the base URL, project key and deployment",
}


class JiraError(Exception):
    """A Jira call failed; ``permanent`` says whether retrying later can help."""

    def __init__(self, message: str, permanent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status


class JiraClient:
    """Call Jira Cloud (REST v3) or Data Center (REST v2) with one retry and rate-limit policy."""

    def __init__(
        self,
        base_url: str,
        *,
        email: str | None = None,
        token: str | None = None,
        deployment: Deployment = "cloud",
        timeout: float = 30.0,
        max_wait_seconds: float = 300.0,
        max_retries: int = 4,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if deployment not in ("cloud", "datacenter"):
            raise ValueError(f"Jira deployment must be 'cloud' or 'datacenter', not {deployment!r}.")
        self.base_url = base_url.rstrip("/")
        self.deployment: Deployment = deployment
        self.api = "3" if deployment == "cloud" else "2"
        self.max_wait_seconds = max_wait_seconds
        self.max_retries = max_retries
        self.requests_made = 0
        # What the last answer said of the rate limit (X-RateLimit-*; None until one says): see _note_rate_limit.
        self.rate_limit_remaining: int | None = None
        self.rate_limit_limit: int | None = None
        self.rate_limit_near = False
        self.server_date: datetime | None = None  # the Date header of the last answer, to compare clocks with
        self._sleep = sleep
        self._now = now
        headers = {"Accept": "application/json"}
        auth: httpx.Auth | None = None
        if email and token:
            auth = httpx.BasicAuth(email, token)  # Cloud API token (or DC basic auth)
        elif token:
            headers["Authorization"] = f"Bearer {token}"  # Data Center personal access token
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            auth=auth,
            headers=headers,
        )

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "cloud"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the calls the sync makes -----------------------------------------------------------------

    def search_page(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        next_page_token: str | None = None,
        start_at: int = 0,
        max_results: int = 100,
        expand: str | None = None,
    ) -> dict[str, Any]:
        """Return one page of JQL search results (Cloud pages by token, Data Center by ``startAt``)."""
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": max_results}
        if expand:
            params["expand"] = expand
        if self.is_cloud:
            if next_page_token:
                params["nextPageToken"] = next_page_token
            return self._get("/rest/api/3/search/jql", params)
        params["startAt"] = start_at
        return self._get("/rest/api/2/search", params)

    def comments_page(self, issue_key: str, *, start_at: int = 0, max_results: int = 100) -> dict[str, Any]:
        """Return one page of an issue's comments, oldest first, each with its properties."""
        # expand=properties (Cloud and Data Center) adds sd.public.comment, where Jira Service Management
        # marks an internal note; search results never carry comment properties.
        params = {"startAt": start_at, "maxResults": max_results, "orderBy": "created", "expand": "properties"}
        return self._get(f"/rest/api/{self.api}/issue/{issue_key}/comment", params)

    def changelog_page(self, issue_key: str, *, start_at: int = 0, max_results: int = 100) -> dict[str, Any]:
        """Return one page of an issue's changelog (Cloud; ends when ``isLast``)."""
        params = {"startAt": start_at, "maxResults": max_results}
        return self._get(f"/rest/api/3/issue/{issue_key}/changelog", params)

    def bulk_changelog_page(
        self,
        issue_ids: Sequence[str],
        field_ids: Sequence[str],
        *,
        next_page_token: str | None = None,
        max_results: int = 10000,
    ) -> dict[str, Any]:
        """Return one page of changelogs for up to 1000 issues at once (Cloud)."""
        body: dict[str, Any] = {
            "issueIdsOrKeys": list(issue_ids),
            "fieldIds": list(field_ids),
            "maxResults": max_results,
        }
        if next_page_token:
            body["nextPageToken"] = next_page_token
        return self._post("/rest/api/3/changelog/bulkfetch", body)

    def issue_with_changelog(self, issue_key: str) -> dict[str, Any]:
        """Return an issue with its whole changelog (Data Center has no paged changelog endpoint)."""
        return self._get(f"/rest/api/2/issue/{issue_key}", {"fields": "status", "expand": "changelog"})

    def statuses(self) -> list[dict[str, Any]]:
        """Return every workflow status with its category."""
        result = self._get(f"/rest/api/{self.api}/status", None)
        return [s for s in result if isinstance(s, Mapping)] if isinstance(result, list) else []

    def bulk_issues(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Return the issues that exist among up to 100 keys (Cloud; unknown keys are left out)."""
        body = {"issueIdsOrKeys": list(keys), "fields": ["status"]}
        issues = self._post("/rest/api/3/issue/bulkfetch", body).get("issues") or []
        return [i for i in issues if isinstance(i, Mapping)]

    def issue_or_none(self, key: str) -> dict[str, Any] | None:
        """Return an issue, or None when Jira answers 404 (deleted, or no permission to see it)."""
        try:
            return self._get(f"/rest/api/{self.api}/issue/{key}", {"fields": "status"})
        except JiraError as exc:
            if exc.status == 404:
                return None
            raise

    # --- other calls (webhook administration, the doctor), through the same policy ---------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET any path under the site (``/rest/...``) and return its JSON."""
        return self._request("GET", path, params=params)

    def send_json(self, method: Literal["POST", "PUT"], path: str, body: Mapping[str, Any]) -> Any:
        """POST or PUT a JSON body to any path under the site and return the answer's JSON."""
        return self._request(method, path, json=body)

    # --- the one HTTP policy ---------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, Any] | None) -> Any:
        return self._request("GET", path, params=params)

    def _post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._request("POST", path, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                wait, reason = _backoff(attempt), f"{type(exc).__name__}: {exc}"
            else:
                self._note_rate_limit(response.headers)
                self.server_date = _http_date(response.headers.get("Date")) or self.server_date
                if response.is_success:
                    return _json(response, path)
                wait, reason = self._retry_wait(response, attempt, path)
            if attempt > self.max_retries:
                raise JiraError(f"Jira {method} {path} still failing after {attempt} attempts ({reason}).", False)
            if wait > self.max_wait_seconds:
                raise JiraError(
                    f"Jira asked us to wait {wait:.0f}s before retrying {path} ({reason}), more than the "
                    f"{self.max_wait_seconds:.0f}s we allow; run the sync again later.",
                    False,
                )
            self._sleep(wait)

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        """Remember what an answer says of the rate limit.

        Cloud (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/) sends ``X-RateLimit-Limit`` and
        ``X-RateLimit-Remaining`` on its answers, and ``X-RateLimit-NearLimit: true`` once less than 20% of a budget
        remains; Data Center's rate limiting (8.6+) sends ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining`` (its
        token bucket) too. A site without rate limiting sends none, and the count stays unknown.
        """
        remaining, limit = _count(headers, "X-RateLimit-Remaining"), _count(headers, "X-RateLimit-Limit")
        if remaining is not None:
            self.rate_limit_remaining = remaining
        if limit is not None:
            self.rate_limit_limit = limit
        near = (headers.get("X-RateLimit-NearLimit") or "").strip().lower() == "true"
        if near and not self.rate_limit_near:
            log.warning("Jira says less than 20%% of its rate-limit budget remains (%s).", self.base_url)
        self.rate_limit_near = near

    def _retry_wait(self, response: httpx.Response, attempt: int, path: str) -> tuple[float, str]:
        """Return how long to wait before retrying, or raise JiraError when retrying cannot help."""
        status = response.status_code
        if status in _RATE_LIMITED:
            told = _told_wait(response.headers, self._now())
            return (told if told is not None else _backoff(attempt)), f"HTTP {status}"
        if status in _SERVER_ERRORS:
            return _backoff(attempt), f"HTTP {status}"
        hint = _FATAL_HINTS.get(status, "Jira refused the request")
        raise JiraError(f"{hint} (HTTP {status} for {path}){_jira_messages(response)}.", True, status)


def _http_date(value: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _backoff(attempt: int) -> float:
    return min(60.0, 2.0 ** (attempt - 1))


def _count(headers: httpx.Headers, name: str) -> int | None:
    value = (headers.get(name) or "").strip()
    return int(value) if value.isdecimal() else None


def _told_wait(headers: httpx.Headers, now: datetime) -> float | None:
    """Return the wait ``Retry-After`` (seconds or HTTP date) or a reset header (see ``_reset_wait``) asks for."""
    retry_after = (headers.get("Retry-After") or "").strip()
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(retry_after) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    for name in ("X-RateLimit-Reset", "RateLimit-Reset"):
        wait = _reset_wait((headers.get(name) or "").strip(), name, now)
        if wait is not None:
            return wait
    return None


def _reset_wait(value: str, name: str, now: datetime) -> float | None:
    """Return the wait a reset header asks for: Jira's ISO 8601 time (``2024-03-01T12:05Z``), or a number of seconds.

    A number is seconds to wait (the IETF ``RateLimit-Reset``), unless it is as large as an epoch time in seconds.
    """
    if not value:
        return None
    if value.isdecimal():
        seconds = int(value)
        return max(0.0, seconds - now.timestamp()) if seconds >= 1_000_000_000 else float(seconds)
    try:
        return max(0.0, (parse_time(value, field_name=name) - now).total_seconds())
    except PayloadError:
        return None


def _json(response: httpx.Response, path: str) -> Any:
    if not response.content:  # 204 No Content
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise JiraError(f"Jira answered {path} with something that is not JSON.", False) from exc


def _jira_messages(response: httpx.Response) -> str:
    """Return Jira's own error text (``errorMessages`` / ``errors``), if any, for the error message."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, Mapping):
        return ""
    messages = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        messages += [f"{k}: {v}" for k, v in errors.items()]
    return (": " + "; ".join(messages)) if messages else ""
