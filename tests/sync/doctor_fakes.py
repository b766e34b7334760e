"""The stand-in GitHub the doctor talks to: the hooks stand-in, plus repositories with their permissions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tests.connectors.github.fake_github_admin import FakeGitHubAdmin


@dataclass
class FakeGitHubRepos(FakeGitHubAdmin):
    """Also answers ``GET /repos/{owner}/{name}`` (with the token's ``permissions`` and ``X-OAuth-Scopes``) and
    ``GET /rate_limit``; repositories not in ``repos`` are 404, as GitHub shows a repository one may not see."""

    repos: dict[str, dict[str, bool]] = field(default_factory=dict)  # full name -> permissions
    scopes: str = "repo, admin:repo_hook"
    installation_permissions: dict[str, str] = field(
        default_factory=lambda: {"issues": "read", "pull_requests": "read", "metadata": "read"})

    def __call__(self, method, target, headers, body):
        path = target.split("?", 1)[0].rstrip("/")
        bits = path.strip("/").split("/")
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else None
        if method == "GET" and path == "/rate_limit":
            return self._json(200, {"resources": {}, "rate": {"limit": 60, "remaining": 60}})
        if method == "GET" and len(bits) == 3 and bits[0] == "repos":
            with self._lock:
                self.requests.append((method, path, token))
            if token not in self.tokens:
                return self._json(401, {"message": "Bad credentials"})
            full = f"{bits[1]}/{bits[2]}"
            if full not in self.repos:
                return self._not_found()
            status, out, raw = self._json(200, _repo(self.base_url, full, self.repos[full]))
            if token and not token.startswith("ghs_"):
                out["X-OAuth-Scopes"] = self.scopes
            return status, out, raw
        status, out, raw = super().__call__(method, target, headers, body)
        if path.endswith("/installation") and status == 200:
            answer = json.loads(raw)
            answer["permissions"] = self.installation_permissions
            raw = json.dumps(answer).encode()
        return status, out, raw


def _repo(base: str, full: str, permissions: dict[str, bool]) -> dict:
    owner, name = full.split("/")
    return {"id": abs(hash(full)) % 10**8, "name": name, "full_name": full, "private": True,
            "owner": {"login": owner, "id": 1, "type": "Organization"}, "url": f"{base}/repos/{full}",
            "html_url": f"https://github.com/{full}", "permissions": permissions}


ADMIN = {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True}
READ = {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True}
