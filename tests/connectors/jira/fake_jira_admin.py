"""A stand-in Jira site for webhook administration and the doctor, behind respx routes.

It keeps admin webhooks (``/rest/webhooks/1.0/webhook``: list, create, update), answers ``mypermissions`` per
project and ``serverInfo``, stamps every answer with a ``Date`` header ``clock_offset`` away from now, and refuses
webhook administration with 403 when ``admin`` is False, as Jira does for an account that is not a Jira administrator.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import respx

SITE = "https://acme.atlassian.net"


@dataclass
class JiraAdminSite:
    base: str = SITE
    cloud: bool = True
    admin: bool = True
    projects: dict[str, set[str]] = field(default_factory=dict)  # key -> permissions the account has there
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    clock_offset: timedelta = timedelta(0)
    credentials_ok: bool = True
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # method, path, JSON body

    @property
    def api(self) -> str:
        return "3" if self.cloud else "2"

    def add_webhook(self, **fields: Any) -> dict[str, Any]:
        ident = len(self.webhooks) + 1
        hook = {"self": f"{self.base}/rest/webhooks/1.0/webhook/{ident}", "enabled": True, "filters": {},
                "excludeBody": False, **fields}
        self.webhooks.append(hook)
        return hook

    def install(self, router: respx.MockRouter) -> None:
        router.route(url__startswith=self.base).mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.calls.append((request.method, path, body))
        status, out = self._route(request.method, path, dict(request.url.params), body)
        date = format_datetime(datetime.now(UTC) + self.clock_offset, usegmt=True)
        return httpx.Response(status, json=out, headers={"Date": date})

    def _route(self, method: str, path: str, params: dict[str, str], body: Any) -> tuple[int, Any]:
        if not self.credentials_ok:
            return 401, {"errorMessages": ["Client must be authenticated to access this resource."]}
        if path == f"/rest/api/{self.api}/serverInfo":
            return 200, {"baseUrl": self.base, "version": "1001.0.0"}
        if path == f"/rest/api/{self.api}/mypermissions":
            return self._permissions(params)
        if path.startswith("/rest/webhooks/1.0/webhook"):
            if not self.admin:
                return 403, {"errorMessages": ["You do not have the permission to manage webhooks."]}
            return self._webhooks(method, path, body)
        return 404, {"errorMessages": [f"no stand-in for {method} {path}"]}

    def _permissions(self, params: dict[str, str]) -> tuple[int, Any]:
        key = params.get("projectKey", "")
        if key not in self.projects:
            return 404, {"errorMessages": [f"No project could be found with key '{key}'."]}
        asked = params.get("permissions", "").split(",")
        have = self.projects[key] | ({"ADMINISTER"} if self.admin else set())
        return 200, {"permissions": {p: {"key": p, "havePermission": p in have} for p in asked if p}}

    def _webhooks(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET":
            return 200, self.webhooks
        if method == "POST":
            return 201, self.add_webhook(**_stored(body))
        match = re.search(r"/webhook/(\d+)$", path)
        if method == "PUT" and match:
            for hook in self.webhooks:
                if hook["self"].endswith(f"/{match.group(1)}"):
                    hook.update(_stored(body))
                    return 200, hook
            return 404, {"errorMessages": ["No webhook with this id."]}
        return 405, {}


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    """Return what Jira keeps of a registration: everything but the secret, which it never shows back."""
    return {k: v for k, v in body.items() if k != "secret"}
