"""A tiny in-memory GitHub REST API for sync tests, served through respx."""

import hashlib
import json
import re

import httpx
import respx

API = "https://api.github.com"


class FakeGitHub:
    """Serve issues, comments, review comments, reviews and issue events of one repository."""

    def __init__(self, repo: str, per_page: int = 100):
        self.repo = repo
        self.per_page = per_page
        self.issues: list[dict] = []
        self.comments: list[dict] = []
        self.review_comments: list[dict] = []
        self.reviews: dict[int, list[dict]] = {}
        self.events: list[dict] = []  # oldest first; served newest first
        self.requests: list[httpx.Request] = []

    def install(self, mock: respx.MockRouter) -> None:
        """Add a route per listing the data needs (reviews only with PRs): assert_all_called checks each."""
        base = f"/repos/{self.repo}"
        mock.get(f"{API}{base}/issues").mock(side_effect=lambda r: self._updated(r, self.issues))
        mock.get(f"{API}{base}/issues/comments").mock(side_effect=lambda r: self._updated(r, self.comments))
        mock.get(f"{API}{base}/pulls/comments").mock(side_effect=lambda r: self._updated(r, self.review_comments))
        if any("pull_request" in row for row in self.issues):
            mock.get(url__regex=rf"{re.escape(API + base)}/pulls/\d+/reviews").mock(side_effect=self._reviews)
        mock.get(f"{API}{base}/issues/events").mock(side_effect=lambda r: self._page(r, self.events[::-1]))

    def paths(self) -> list[str]:
        return [
            request.url.path + ("?" + request.url.query.decode() if request.url.query else "")
            for request in self.requests
        ]

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
        headers = {"etag": etag, "content-type": "application/json", "x-ratelimit-remaining": "4998"}
        if page * per_page < len(rows):
            headers["link"] = f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"'
        return httpx.Response(200, content=body, headers=headers)
