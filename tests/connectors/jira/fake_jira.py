"""A small in-memory Jira behind respx routes: search (token or startAt), comments, changelogs, statuses.

Comments keep their ``properties``; only ``/comment?expand=properties`` returns them, as Jira does.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

from connectors.records import parse_time

_SINCE = re.compile(r"updated >= (\d+)")
_PROJECT = re.compile(r'project = "([^"]+)"')


@dataclass
class FakeJira:
    base: str
    cloud: bool = True
    embed_comments: int = 20  # how many comments a search result embeds per issue
    comment_page: int = 100  # server cap on /comment pages
    changelog_page: int = 100  # server cap on /changelog pages
    bulk_page: int = 10000  # server cap on histories per /changelog/bulkfetch page
    statuses: list[dict[str, Any]] = field(default_factory=list)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> issue (without comment field)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key -> comments
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key -> histories
    unindexed: set[str] = field(default_factory=set)  # keys the search index does not show yet
    # Keys the account may not see: Cloud's search still counts them into a page, then leaves them out of it, so a
    # page can come back short or empty and still carry a nextPageToken.
    hidden: set[str] = field(default_factory=set)
    jqls: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # sent on every answer, as rate-limit headers are

    @property
    def api(self) -> str:
        return "3" if self.cloud else "2"

    def put(self, issue: dict[str, Any], comments=(), histories=()) -> None:
        issue = copy.deepcopy(issue)
        issue["fields"].pop("comment", None)
        self.issues[issue["key"]] = issue
        self.comments[issue["key"]] = list(comments)
        self.histories[issue["key"]] = list(histories)

    def install(self, router: respx.MockRouter, *names: str) -> dict[str, respx.Route]:
        """Mount the named endpoints (search, comments, status, bulk, changelog, bulk_issues, issue)."""
        api = f"{self.base}/rest/api/{self.api}"
        issue = rf"{re.escape(api)}/issue/[^/]+"
        mounts = {
            "search": lambda: router.get(f"{api}/search/jql" if self.cloud else f"{api}/search"),
            "comments": lambda: router.get(url__regex=issue + "/comment"),
            "status": lambda: router.get(f"{api}/status"),
            "bulk": lambda: router.post(f"{api}/changelog/bulkfetch"),
            "changelog": lambda: router.get(url__regex=issue + "/changelog"),
            "bulk_issues": lambda: router.post(f"{api}/issue/bulkfetch"),
            "issue": lambda: router.get(url__regex=issue + "$"),
        }
        handlers = {
            "search": self._search,
            "comments": self._comments,
            "status": lambda r: httpx.Response(200, json=self.statuses),
            "bulk": self._bulk,
            "changelog": self._changelog,
            "bulk_issues": self._bulk_issues,
            "issue": self._issue,
        }
        return {name: mounts[name]().mock(side_effect=self._with_headers(handlers[name])) for name in names}

    def _with_headers(self, handler: Any) -> Any:
        def answer(request: httpx.Request) -> httpx.Response:
            response = handler(request)
            response.headers.update(self.headers)
            return response

        return answer

    # --- handlers ---------------------------------------------------------------------------------

    def _matching(self, jql: str) -> list[dict[str, Any]]:
        match = _SINCE.search(jql)
        since = int(match.group(1)) if match else None
        project = _PROJECT.search(jql)
        found = [
            i
            for i in self.issues.values()
            if i["key"] not in self.unindexed
            and (project is None or i["key"].rsplit("-", 1)[0] == project.group(1))
            and (since is None or parse_time(i["fields"]["updated"]).timestamp() * 1000 >= since)
        ]
        if "ORDER BY key" in jql:
            return sorted(found, key=lambda i: int(i["key"].split("-")[1]))
        return sorted(found, key=lambda i: (parse_time(i["fields"]["updated"]), i["key"]))

    def _render(self, issue: dict[str, Any], fields: list[str], expand: str | None) -> dict[str, Any]:
        out = copy.deepcopy(issue)
        if fields == ["key"]:
            out["fields"] = {}
            return out
        comments = self.comments[issue["key"]]
        out["fields"]["comment"] = {
            # Search results never carry comment properties (only /comment?expand=properties does).
            "comments": [_without_properties(c) for c in comments[: self.embed_comments]],
            "startAt": 0,
            "maxResults": self.embed_comments,
            "total": len(comments),
        }
        if expand == "changelog":
            histories = self.histories[issue["key"]]
            out["changelog"] = {"startAt": 0, "maxResults": 100, "total": len(histories), "histories": histories[:100]}
        return out

    def _search(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        self.jqls.append(params["jql"])
        found = self._matching(params["jql"])
        size = int(params.get("maxResults", 50))
        fields = params["fields"].split(",")
        if self.cloud:
            start = int(params.get("nextPageToken") or 0)
            rows = [i for i in found[start : start + size] if i["key"] not in self.hidden]
            page = [self._render(i, fields, params.get("expand")) for i in rows]
            more = start + size < len(found)
            body: dict[str, Any] = {"issues": page, "isLast": not more}
            if more:
                body["nextPageToken"] = str(start + size)
            return httpx.Response(200, json=body)
        start = int(params.get("startAt", 0))
        page = [self._render(i, fields, params.get("expand")) for i in found[start : start + size]]
        return httpx.Response(200, json={"issues": page, "startAt": start, "maxResults": size, "total": len(found)})

    def _comments(self, request: httpx.Request) -> httpx.Response:
        key = request.url.path.split("/")[-2]
        start = int(request.url.params.get("startAt", 0))
        size = min(int(request.url.params.get("maxResults", 50)), self.comment_page)
        comments = self.comments[key]
        page = comments[start : start + size]
        if "properties" not in request.url.params.get("expand", "").split(","):
            page = [_without_properties(c) for c in page]
        return httpx.Response(
            200, json={"comments": page, "startAt": start, "maxResults": size, "total": len(comments)}
        )

    def _changelog(self, request: httpx.Request) -> httpx.Response:
        key = request.url.path.split("/")[-2]
        start = int(request.url.params.get("startAt", 0))
        size = min(int(request.url.params.get("maxResults", 50)), self.changelog_page)
        values = self.histories[key][start : start + size]
        is_last = start + size >= len(self.histories[key])
        return httpx.Response(200, json={"values": values, "startAt": start, "isLast": is_last})

    def _bulk(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert 1 <= len(body["issueIdsOrKeys"]) <= 1000 and len(body.get("fieldIds", [])) <= 10
        by_id = {i["id"]: i["key"] for i in self.issues.values()}
        rows = [
            (issue_id, h)
            for issue_id in sorted(body["issueIdsOrKeys"], key=int)
            for h in self.histories.get(by_id.get(issue_id, ""), [])
            if not body.get("fieldIds") or any(it.get("fieldId") in body["fieldIds"] for it in h["items"])
        ]
        start = int(body.get("nextPageToken") or 0)
        size = min(int(body.get("maxResults", 1000)), self.bulk_page)
        logs: dict[str, list[dict[str, Any]]] = {}
        for issue_id, history in rows[start : start + size]:
            logs.setdefault(issue_id, []).append(history)
        out: dict[str, Any] = {"issueChangeLogs": [{"issueId": k, "changeHistories": v} for k, v in logs.items()]}
        if start + size < len(rows):
            out["nextPageToken"] = str(start + size)
        return httpx.Response(200, json=out)

    def _issue(self, request: httpx.Request) -> httpx.Response:
        key = request.url.path.split("/")[-1]
        if key not in self.issues:
            return httpx.Response(404, json={"errorMessages": ["Issue does not exist"]})
        out = copy.deepcopy(self.issues[key])
        if request.url.params.get("expand") == "changelog":
            out["changelog"] = {"startAt": 0, "total": len(self.histories[key]), "histories": self.histories[key]}
        return httpx.Response(200, json=out)

    def _bulk_issues(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert len(body["issueIdsOrKeys"]) <= 100
        found = [copy.deepcopy(self.issues[k]) for k in body["issueIdsOrKeys"] if k in self.issues]
        return httpx.Response(200, json={"issues": found, "issueErrors": []})


def _without_properties(comment: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in comment.items() if k != "properties"}
