"""A stand-in GitHub for administrative calls, served over real HTTP (PyGithub uses requests, which respx never sees).

It answers, in the shapes of GitHub's REST description (@octokit/openapi: ``hook``, ``hook-delivery-item``,
``webhook-config``, ``installation``, ``installation-token``): repository and organisation hooks (list, create,
get, update), their deliveries and redelivery attempts, the App's hook config, deliveries and attempts, the
installation of an owner and installation access tokens. App calls must carry a JWT signed with the App's key
(checked with its public key); the rest a token it knows (a personal one, or one it minted).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.standins import serve

PERSONAL_TOKEN = "ghp_personal_test_token"
APP_ID = 424242


def rsa_key_pair() -> tuple[str, str]:
    """Return (private key PEM, public key PEM) for a test App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


_PRIVATE, _PUBLIC = rsa_key_pair()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeGitHubAdmin:
    """GitHub's hooks, deliveries and App endpoints, in memory; every request is recorded in ``requests``."""

    private_key: str = _PRIVATE
    public_key: str = _PUBLIC
    app_id: int = APP_ID
    installations: dict[str, int] = field(default_factory=dict)  # owner login -> installation id
    org_logins: set[str] = field(default_factory=set)  # owners that are organisations (the rest are users)
    token_lifetime: timedelta = timedelta(hours=1)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    per_page_cap: int = 100
    hooks: dict[str, dict[int, dict]] = field(default_factory=dict)  # "repos/acme/shop" or "orgs/acme" -> hooks
    deliveries: dict[int, list[dict]] = field(default_factory=dict)  # hook id -> newest first; 0 is the App's
    app_config: dict[str, Any] = field(default_factory=lambda: {"content_type": "json", "insecure_ssl": "0",
                                                                "secret": "********", "url": ""})
    app_events: list[str] = field(default_factory=list)
    app_permissions: dict[str, str] = field(default_factory=lambda: {"issues": "read", "pull_requests": "read",
                                                                      "metadata": "read"})
    refused: set[int] = field(default_factory=set)  # delivery ids GitHub will not redeliver (422)
    rate_limited: bool = False  # answer every redelivery request with GitHub's rate-limit 403
    delay: float = 0.0  # seconds each answer takes, to widen the window two workers could share
    attempts: list[tuple[int, int]] = field(default_factory=list)  # (hook id, delivery id); App's hook is 0
    secrets: dict[int, str] = field(default_factory=dict)  # hook id -> the secret it was given
    minted: list[tuple[int, str]] = field(default_factory=list)  # (installation id, token)
    tokens: set[str] = field(default_factory=lambda: {PERSONAL_TOKEN})
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, token)
    base_url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- set-up helpers -------------------------------------------------------------------------------

    def add_repo(self, full_name: str) -> None:
        self.hooks.setdefault(f"repos/{full_name}", {})

    def add_org(self, login: str) -> None:
        self.org_logins.add(login)
        self.hooks.setdefault(f"orgs/{login}", {})

    def add_hook(self, where: str, url: str, events: list[str], *, content_type: str = "json",
                 secret: bool = True, active: bool = True) -> int:
        """Add a hook to ``repos/owner/name`` or ``orgs/login``; return its id."""
        hook_id = next(self._ids)
        config: dict[str, Any] = {"url": url, "content_type": content_type, "insecure_ssl": "0"}
        if secret:
            config["secret"] = "********"
        self.hooks.setdefault(where, {})[hook_id] = self._hook_row(where, hook_id, config, events, active)
        return hook_id

    def add_delivery(self, hook_id: int, *, status_code: int, at: datetime, guid: str | None = None,
                     redelivery: bool = False, event: str = "issues", action: str | None = "opened") -> int:
        """Record a delivery of hook ``hook_id`` (0: the App's hook); return its id."""
        delivery_id = next(self._ids)
        row = {"id": delivery_id, "guid": guid or f"guid-{delivery_id}", "delivered_at": iso(at),
               "redelivery": redelivery, "duration": 0.27, "status": "OK" if 200 <= status_code < 300 else "failed",
               "status_code": status_code, "event": event, "action": action, "installation_id": None,
               "repository_id": None, "throttled_at": None}
        listing = self.deliveries.setdefault(hook_id, [])
        listing.append(row)
        listing.sort(key=lambda r: (r["delivered_at"], r["id"]), reverse=True)
        return delivery_id

    @contextmanager
    def running(self) -> Iterator[str]:
        with serve(self) as url:
            self.base_url = url
            yield url

    # -- HTTP --------------------------------------------------------------------------------------

    def __call__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/"), {k: v[-1] for k, v in parse_qs(parts.query).items()}
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else None
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests.append((method, path, token))
            payload = json.loads(body) if body else None
            if path.startswith("/app/") or path == "/app":
                if not self._valid_jwt(token):
                    return self._json(401, {"message": "A JSON web token could not be decoded"})
                return self._app(method, path, query)
            if path.endswith("/installation"):
                if not self._valid_jwt(token):
                    return self._json(401, {"message": "A JSON web token could not be decoded"})
                return self._installation(path)
            if token not in self.tokens:
                return self._json(401, {"message": "Bad credentials"})
            return self._hooks(method, path, query, payload)

    def _app(self, method: str, path: str, query: dict[str, str]) -> tuple[int, dict, bytes]:
        if path == "/app" and method == "GET":
            return self._json(200, {
                "id": self.app_id, "slug": "delivery-pulse", "node_id": "A_1", "name": "Delivery Pulse",
                "owner": {"login": "acme", "id": 1, "type": "Organization"}, "description": "",
                "external_url": "https://pulse.example.com", "html_url": "https://github.com/apps/delivery-pulse",
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                "permissions": self.app_permissions, "events": self.app_events, "installations_count": 1})
        if path == "/app/hook/config" and method == "GET":
            return self._json(200, self.app_config)
        if path == "/app/hook/deliveries" and method == "GET":
            return self._page(self.deliveries.get(0, []), query, path)
        if path.startswith("/app/hook/deliveries/") and path.endswith("/attempts") and method == "POST":
            return self._attempt(0, int(path.split("/")[4]))
        if path.startswith("/app/installations/") and path.endswith("/access_tokens") and method == "POST":
            installation = int(path.split("/")[3])
            if installation not in self.installations.values():
                return self._not_found()
            token = f"ghs_installation_{installation}_{len(self.minted) + 1}"
            self.minted.append((installation, token))
            self.tokens.add(token)
            return self._json(201, {"token": token, "expires_at": iso(self.now() + self.token_lifetime),
                                    "permissions": {"issues": "read", "pull_requests": "read", "metadata": "read"},
                                    "repository_selection": "all"})
        return self._not_found()

    def _installation(self, path: str) -> tuple[int, dict, bytes]:
        bits = path.strip("/").split("/")  # repos/o/n/installation, orgs/o/installation, users/o/installation
        owner = bits[1]
        if bits[0] == "orgs" and owner not in self.org_logins:
            return self._not_found()
        if bits[0] == "users" and owner in self.org_logins:
            return self._not_found()
        installation = self.installations.get(owner)
        if installation is None:
            return self._not_found()
        kind = "Organization" if owner in self.org_logins else "User"
        return self._json(200, {
            "id": installation, "app_id": self.app_id, "app_slug": "delivery-pulse", "target_id": 1,
            "target_type": kind, "account": {"login": owner, "id": 1, "type": kind},
            "access_tokens_url": f"{self.base_url}/app/installations/{installation}/access_tokens",
            "repositories_url": f"{self.base_url}/installation/repositories",
            "html_url": f"https://github.com/settings/installations/{installation}",
            "permissions": {"issues": "read", "pull_requests": "read", "metadata": "read"},
            "events": [], "repository_selection": "all", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "single_file_name": None, "suspended_at": None,
            "suspended_by": None,
        })

    def _hooks(self, method: str, path: str, query: dict[str, str], payload: Any) -> tuple[int, dict, bytes]:
        bits = path.strip("/").split("/")
        width = 3 if bits[0] == "repos" else 2
        where = "/".join(bits[:width])
        rest = bits[width:]
        if where not in self.hooks or not rest or rest[0] != "hooks":
            return self._not_found()
        hooks = self.hooks[where]
        if len(rest) == 1 and method == "GET":
            return self._page(list(hooks.values()), query, path)
        if len(rest) == 1 and method == "POST":
            hook_id = next(self._ids)
            hooks[hook_id] = self._hook_row(where, hook_id, self._masked(hook_id, payload["config"]),
                                            list(payload.get("events") or ["push"]), payload.get("active", True))
            return self._json(201, hooks[hook_id])
        hook_id = int(rest[1])
        if hook_id not in hooks:
            return self._not_found()
        if len(rest) == 2 and method == "GET":
            return self._json(200, hooks[hook_id])
        if len(rest) == 2 and method == "PATCH":
            row = hooks[hook_id]
            if "config" in payload:
                row["config"] = self._masked(hook_id, payload["config"])
            for key in ("events", "active"):
                if key in payload:
                    row[key] = payload[key]
            row["updated_at"] = iso(self.now())
            return self._json(200, row)
        if len(rest) == 3 and rest[2] == "deliveries" and method == "GET":
            return self._page(self.deliveries.get(hook_id, []), query, path)
        if len(rest) == 5 and rest[2] == "deliveries" and rest[4] == "attempts" and method == "POST":
            return self._attempt(hook_id, int(rest[3]))
        return self._not_found()

    def _masked(self, hook_id: int, config: dict) -> dict:
        shown = {k: v for k, v in config.items() if k != "secret"}
        if config.get("secret"):
            self.secrets[hook_id] = config["secret"]
            shown["secret"] = "********"  # GitHub never shows a secret back
        return shown

    def _attempt(self, hook_id: int, delivery_id: int) -> tuple[int, dict, bytes]:
        if self.rate_limited:
            status, headers, body = self._json(403, {"message": "API rate limit exceeded for installation.",
                                                     "documentation_url": "https://docs.github.com/rest"})
            headers.update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(self.now().timestamp()) + 60)})
            return status, headers, body
        if not any(row["id"] == delivery_id for row in self.deliveries.get(hook_id, [])):
            return self._not_found()
        if delivery_id in self.refused:
            return self._json(422, {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest"})
        self.attempts.append((hook_id, delivery_id))
        return self._json(202, {})

    def _hook_row(self, where: str, hook_id: int, config: dict, events: list[str], active: bool) -> dict:
        url = f"{self.base_url}/{where}/hooks/{hook_id}"
        return {"type": "Repository" if where.startswith("repos/") else "Organization", "id": hook_id,
                "name": "web", "active": active, "events": list(events), "config": config,
                "updated_at": iso(self.now()), "created_at": iso(self.now()), "url": url,
                "test_url": f"{url}/test", "ping_url": f"{url}/pings", "deliveries_url": f"{url}/deliveries",
                "last_response": {"code": None, "status": "unused", "message": None}}

    def _page(self, rows: list[dict], query: dict[str, str], path: str) -> tuple[int, dict, bytes]:
        size = min(int(query.get("per_page", 30)), self.per_page_cap)
        page = int(query.get("page", 1))
        chunk = rows[(page - 1) * size: page * size]
        headers = {"content-type": "application/json; charset=utf-8"}
        if page * size < len(rows):
            headers["link"] = f'<{self.base_url}{path}?per_page={size}&page={page + 1}>; rel="next"'
        return 200, headers, json.dumps(chunk).encode()

    def _valid_jwt(self, token: str | None) -> bool:
        if not token:
            return False
        try:
            claims = jwt.decode(token, self.public_key, algorithms=["RS256"], options={"require": ["iat", "exp"]},
                                leeway=60)
        except jwt.PyJWTError:
            return False
        return str(claims.get("iss")) == str(self.app_id)

    @staticmethod
    def _json(status: int, body: Any) -> tuple[int, dict, bytes]:
        return status, {"content-type": "application/json; charset=utf-8"}, json.dumps(body).encode()

    def _not_found(self) -> tuple[int, dict, bytes]:
        return self._json(404, {"message": "Not Found",
                                "documentation_url": "https://docs.github.com/rest"})
