"""A tiny in-memory GitHub REST API for sync tests, served through respx, answering in GitHub's real shape.

As recorded in ``@octokit/fixtures`` (scenarios ``paginate-issues`` and ``rename-repository``): next links point
to ``/repositories/{id}/...`` and carry ``prev``/``next``/``last``/``first``, and a renamed repository's old
name answers 301 with ``Location: .../repositories/{id}/...`` and a JSON body saying so.
"""

import hashlib
import json
import math
import re
from collections.abc import Callable

import httpx
import respx

API = "https://api.github.com"
MOVED_DOCS = "https://docs.github.com/v3/#http-redirects"


class FakeGitHub:
    """Serve issues, comments, review comments, reviews and issue events of one repository."""

    def __init__(self, repo: str, per_page: int = 100, *, repo_id: int | None = None):
        self.repo = repo
        self.repo_id = repo_id if repo_id is not None else int(hashlib.sha256(repo.encode()).hexdigest()[:7], 16)
        self.per_page = per_page
        self.issues: list[dict] = []
        self.comments: list[dict] = []
        self.review_comments: list[dict] = []
        self.reviews: dict[int, list[dict]] = {}
        self.events: list[dict] = []  # oldest first; served newest first
        self.former_names: list[str] = []  # the repository was renamed (or transferred) from these
        self.requests: list[httpx.Request] = []

    def install(self, mock: respx.MockRouter) -> None:
        """Add a route per listing the data needs (reviews only with PRs): assert_all_called checks each."""
        either = rf"(?:repos/{re.escape(self.repo)}|repositories/{self.repo_id})"
        routes = ["/issues", "/issues/comments", "/pulls/comments", "/issues/events"]
        if any("pull_request" in row for row in self.issues):
            routes.append(r"/pulls/\d+/reviews")
        for route in routes:
            mock.get(url__regex=rf"^{re.escape(API)}/{either}{route}(?:\?|$)").mock(side_effect=self.respond)
        for name in self.former_names:
            mock.get(url__regex=rf"^{re.escape(API)}/repos/{re.escape(name)}(?:/|\?|$)").mock(side_effect=self.respond)

    def respond(self, request: httpx.Request) -> httpx.Response:
        """Answer a GET as GitHub would: a page of a listing, a 301 from a former name, or 404."""
        path = request.url.path
        for name in self.former_names:
            if path == f"/repos/{name}" or path.startswith(f"/repos/{name}/"):
                return self._moved(request, path.removeprefix(f"/repos/{name}"))
        route = self._route(path)
        answer = None if route is None else self._listing(route)
        if answer is None:
            body = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            return httpx.Response(404, json=body)
        return answer(request)

    def paths(self) -> list[str]:
        """Return each request's path and query, spelling ``/repositories/{id}`` as ``/repos/{owner}/{name}``."""
        paths = []
        for request in self.requests:
            route = self._route(request.url.path)
            path = request.url.path if route is None else f"/repos/{self.repo}{route}"
            paths.append(path + ("?" + request.url.query.decode() if request.url.query else ""))
        return paths

    def _route(self, path: str) -> str | None:
        for prefix in (f"/repos/{self.repo}", f"/repositories/{self.repo_id}"):
            if path == prefix or path.startswith(prefix + "/"):
                return path.removeprefix(prefix)
        return None

    def _listing(self, route: str) -> Callable[[httpx.Request], httpx.Response] | None:
        listings = {
            "/issues": lambda request: self._updated(request, self.issues),
            "/issues/comments": lambda request: self._updated(request, self.comments),
            "/pulls/comments": lambda request: self._updated(request, self.review_comments),
            "/issues/events": lambda request: self._page(request, self.events[::-1]),
        }
        if re.fullmatch(r"/pulls/\d+/reviews", route):
            return self._reviews
        return listings.get(route)

    def _moved(self, request: httpx.Request, rest: str) -> httpx.Response:
        self.requests.append(request)
        location = str(request.url.copy_with(path=f"/repositories/{self.repo_id}{rest}"))
        body = {"message": "Moved Permanently", "url": location, "documentation_url": MOVED_DOCS}
        return httpx.Response(301, json=body, headers={"location": location, "x-ratelimit-remaining": "4997"})

    def _updated(self, request: httpx.Request, rows: list[dict]) -> httpx.Response:
        since = request.url.params.get("since")
        assert request.url.params.get("sort") == "updated" and request.url.params.get("direction") == "asc"
        selected = [row for row in rows if since is None or row["updated_at"] >= since]
        return self._page(request, sorted(selected, key=lambda row: (row["updated_at"], row["id"])))

    def _reviews(self, request: httpx.Request) -> httpx.Response:
        number = int(request.url.path.split("/")[-2])
        return self._page(request, self.reviews.get(number, []))

    def _page(self, request: httpx.Request, rows: list[dict]) -> httpx.Response:
        self.requests.append(request)
        per_page = min(int(request.url.params.get("per_page", 30)), self.per_page)
        page = int(request.url.params.get("page", 1))
        body = json.dumps(rows[(page - 1) * per_page : page * per_page]).encode()
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag, "x-ratelimit-remaining": "4999"})
        headers = {"etag": etag, "content-type": "application/json; charset=utf-8", "x-ratelimit-remaining": "4998"}
        link = self._link(request, page, max(1, math.ceil(len(rows) / per_page)))
        if link:
            headers["link"] = link
        return httpx.Response(200, content=body, headers=headers)

    def _link(self, request: httpx.Request, page: int, last: int) -> str:
        """Return GitHub's Link header for ``page`` of ``last``: prev, next, last, first, by repository id."""
        route = self._route(request.url.path)
        by_id = request.url.copy_with(path=f"/repositories/{self.repo_id}{route}")
        rels = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels.append(("first", 1))
        return ", ".join(f'<{by_id.copy_set_param("page", number)}>; rel="{rel}"' for rel, number in rels)
