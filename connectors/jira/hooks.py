"""Jira admin webhooks: list them, find ours by its URL, compare it with what Delivery Pulse needs, register it.

Both Cloud and Data Center take admin webhooks at ``/rest/webhooks/1.0/webhook``
(https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-using-the-jira-rest-api-other-integrations,
https://developer.atlassian.com/server/jira/platform/webhooks/), with the JQL filter under
``filters["issue-related-events-section"]``; registering one needs the *Administer Jira* global permission. Cloud's
``/rest/api/3/webhook`` (dynamic webhooks) serves only Connect and OAuth 2.0 apps, not an API token's basic auth,
and expires after 30 days, so it is not used. Jira never shows a webhook's secret back: a webhook is "the same" when
its URL, events, JQL filter and enabled flag are, and a changed secret is set again only with ``force``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from connectors.jira.client import JiraClient, JiraError
from connectors.jira.webhook import SUPPORTED_EVENTS

ADMIN_WEBHOOKS = "/rest/webhooks/1.0/webhook"
JQL_FILTER = "issue-related-events-section"
WEBHOOK_NAME = "Delivery Pulse"
_PROJECT_LIST = re.compile(r"\bproject\s+in\s*\(([^)]*)\)", re.IGNORECASE)
_PROJECT_ONE = re.compile(r"\bproject\s*=\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_]+)", re.IGNORECASE)


@dataclass(frozen=True)
class JiraWebhook:
    """An admin webhook as Jira shows it (``id`` is None for one not registered yet)."""

    name: str
    url: str
    events: frozenset[str]
    jql: str
    enabled: bool = True
    id: str | None = None

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> JiraWebhook:
        """Read one entry of ``GET /rest/webhooks/1.0/webhook``."""
        filters = body.get("filters") if isinstance(body.get("filters"), Mapping) else {}
        link = str(body.get("self") or "")
        ident = link.rstrip("/").rsplit("/", 1)[-1] if link else body.get("id")
        return cls(name=str(body.get("name") or ""), url=str(body.get("url") or ""),
                   events=frozenset(str(e) for e in body.get("events") or []),
                   jql=str(filters.get(JQL_FILTER) or ""), enabled=body.get("enabled", True) is not False,
                   id=None if ident in (None, "") else str(ident))

    def as_body(self, secret: str | None) -> dict[str, Any]:
        """Return the body that registers or updates this webhook."""
        body: dict[str, Any] = {"name": self.name, "url": self.url, "events": sorted(self.events),
                                "filters": {JQL_FILTER: self.jql}, "excludeBody": False, "enabled": self.enabled}
        if secret:
            body["secret"] = secret
        return body

    @property
    def projects(self) -> frozenset[str]:
        """Return the project keys its JQL filter names (``project in (...)`` or ``project = X``)."""
        keys = [k for m in _PROJECT_LIST.finditer(self.jql) for k in m.group(1).split(",")]
        keys += [m.group(1) for m in _PROJECT_ONE.finditer(self.jql)]
        return frozenset(k.strip().strip("\"'").upper() for k in keys if k.strip().strip("\"'"))


def project_jql(projects: Iterable[str]) -> str:
    """Return the JQL filter that selects exactly these projects."""
    return "project in (" + ", ".join(f'"{key}"' for key in sorted({p.upper() for p in projects})) + ")"


def wanted_webhook(url: str, projects: Iterable[str]) -> JiraWebhook:
    """Return the webhook Delivery Pulse needs: its URL, the events it reads, the contracts' projects."""
    return JiraWebhook(WEBHOOK_NAME, url, SUPPORTED_EVENTS, project_jql(projects))


def same_endpoint(a: str, b: str) -> bool:
    """Say whether two webhook URLs reach the same endpoint (the ``?token=`` query may differ)."""
    ua, ub = httpx.URL(a), httpx.URL(b)
    return (ua.scheme, ua.host, ua.port, ua.path.rstrip("/")) == (ub.scheme, ub.host, ub.port, ub.path.rstrip("/"))


def masked(url: str) -> str:
    """Return a webhook URL fit to print: the value of its ``token`` query (a secret) hidden."""
    parsed = httpx.URL(url)
    if "token" not in parsed.params:
        return url
    return str(parsed.copy_set_param("token", "****")).replace("%2A", "*")


def find_ours(hooks: Sequence[JiraWebhook], url: str) -> JiraWebhook | None:
    """Return the webhook registered for our endpoint: the exact URL first, else the same endpoint."""
    return next((h for h in hooks if h.url == url), None) or next((h for h in hooks if same_endpoint(h.url, url)),
                                                                   None)


def differences(have: JiraWebhook, want: JiraWebhook) -> list[str]:
    """Say, in words, how a registered webhook differs from the one needed (empty: it is the same)."""
    found = []
    if have.url != want.url:
        found.append(f"its URL is {masked(have.url)}, expected {masked(want.url)}")
    if missing := sorted(want.events - have.events):
        found.append("it is not sent for " + ", ".join(missing))
    if extra := sorted(have.events - want.events):
        found.append("it is also sent for " + ", ".join(extra) + ", which Delivery Pulse does not read")
    if missing_projects := sorted(want.projects - have.projects):
        found.append("its JQL filter leaves out " + ", ".join(missing_projects))
    elif have.jql.strip() != want.jql:
        found.append(f"its JQL filter is {have.jql or 'empty (all issues)'}, expected {want.jql}")
    if not have.enabled:
        found.append("it is disabled")
    return found


def list_webhooks(client: JiraClient) -> list[JiraWebhook]:
    """Return the site's admin webhooks."""
    found = client.get_json(ADMIN_WEBHOOKS)
    return [JiraWebhook.from_api(h) for h in found or [] if isinstance(h, Mapping)]


@dataclass(frozen=True)
class Registration:
    """What ``register`` did: created, updated, unchanged, or manual (the account may not; enter it by hand)."""

    action: Literal["created", "updated", "unchanged", "manual"]
    webhook: JiraWebhook
    changes: tuple[str, ...] = ()
    reason: str = ""


def register(client: JiraClient, want: JiraWebhook, secret: str | None, *, force: bool = False) -> Registration:
    """Create our admin webhook, or update it where it differs; leave it alone when it is the same."""
    try:
        have = find_ours(list_webhooks(client), want.url)
        if have is not None:
            changes = tuple(differences(have, want))
            if not changes and not force:
                return Registration("unchanged", have)
            client.send_json("PUT", f"{ADMIN_WEBHOOKS}/{have.id}", want.as_body(secret))
            return Registration("updated", _with_id(want, have.id), changes or ("the secret, set again",))
        body = client.send_json("POST", ADMIN_WEBHOOKS, want.as_body(secret))
        made = JiraWebhook.from_api(body) if isinstance(body, Mapping) else want
        return Registration("created", made if made.id else want)
    except JiraError as exc:
        if exc.status == 403:  # not a Jira administrator: the webhook can only be entered by hand
            return Registration("manual", want, reason=exc.message)
        raise


def _with_id(hook: JiraWebhook, ident: str | None) -> JiraWebhook:
    return JiraWebhook(hook.name, hook.url, hook.events, hook.jql, hook.enabled, ident)
