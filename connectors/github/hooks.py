"""Administer Delivery Pulse's GitHub webhooks: find, create or fix them, list their deliveries, redeliver.

Every call goes through PyGithub (``github.Github`` for repository and organisation hooks, authenticated with a
personal token or an App installation token; ``github.GithubIntegration`` for the App's own hook, authenticated
with the App's JWT). PyGithub 2.x has no call for ``POST …/deliveries/{id}/attempts`` nor for the App hook's
``/app/hook/config`` and ``/app/hook/deliveries``: those go through PyGithub's own ``requester``, so they share its
authentication, base URL and error types.

The events asked for are exactly the keys of ``connectors.github.webhook.SUPPORTED_EVENTS``: the webhook table is
the only list of what Delivery Pulse reads.

PyGithub is imported by the functions that call it: importing it takes about a second, and most processes that
import this module (``pulse --help`` for its events, `pulse sync` and the worker through the sync runner) never
call these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from connectors.github.webhook import SUPPORTED_EVENTS

if TYPE_CHECKING:
    from github import Github, GithubIntegration
    from github.Hook import Hook
    from github.HookDelivery import HookDeliverySummary
    from github.PaginatedList import PaginatedList
    from github.Requester import Requester

HOOK_EVENTS: tuple[str, ...] = tuple(sorted(SUPPORTED_EVENTS))
CONTENT_TYPE = "json"
# GitHub keeps deliveries for redelivery for three days:
# https://docs.github.com/en/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks
REDELIVERY_WINDOW = timedelta(days=3)
DELIVERY_PAGE = 100  # the most GitHub sends per page of deliveries
_MASKED = "********"  # GitHub shows a hook's secret only as this, and only when one is set


class HookError(Exception):
    """A webhook call to GitHub failed; ``permanent`` says whether trying again later can help."""

    def __init__(self, message: str, permanent: bool, *, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True, slots=True)
class HookOwner:
    """Where a webhook lives: a repository (``owner/name``) or an organisation."""

    kind: Literal["repo", "org"]
    name: str

    @classmethod
    def repo(cls, full_name: str) -> HookOwner:
        return cls("repo", full_name)

    @classmethod
    def org(cls, name: str) -> HookOwner:
        return cls("org", name)

    @property
    def label(self) -> str:
        return self.name if self.kind == "repo" else f"organisation {self.name}"


@dataclass(frozen=True, slots=True)
class Webhook:
    """One webhook as GitHub shows it (its secret is never shown, only whether one is set)."""

    owner: HookOwner
    id: int
    url: str
    events: tuple[str, ...]
    content_type: str | None
    active: bool
    has_secret: bool
    insecure_ssl: bool

    def differences(self) -> list[str]:
        """Return what differs from what Delivery Pulse needs, in plain words (empty when nothing does)."""
        found = []
        missing = sorted(set(HOOK_EVENTS) - set(self.events))
        extra = sorted(set(self.events) - set(HOOK_EVENTS))
        if missing:
            found.append("events missing: " + ", ".join(missing))
        if extra:
            found.append("events not used: " + ", ".join(extra))
        if self.content_type != CONTENT_TYPE:
            found.append(f"content type is {self.content_type or 'not set'}, not json")
        if not self.has_secret:
            found.append("no secret set")
        if self.insecure_ssl:
            found.append("TLS certificate checks are off")
        if not self.active:
            found.append("inactive")
        return found


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class HookResult:
    """What ``ensure_hook`` did: the change, the hook as it is now, and what was wrong before an update."""

    change: Change
    hook: Webhook
    fixed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery attempt of a webhook event; a redelivery is a new attempt with the same ``guid``."""

    id: int
    guid: str
    delivered_at: datetime
    status_code: int | None
    redelivery: bool
    event: str | None
    action: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class AppHookConfig:
    """The GitHub App's webhook configuration (``GET /app/hook/config``)."""

    url: str | None
    content_type: str | None
    has_secret: bool
    insecure_ssl: bool

    def differences(self, url: str | None = None) -> list[str]:
        """Return what differs from what Delivery Pulse needs, in plain words (the URL only when given)."""
        found = []
        if url is not None and _same_url(self.url, url) is False:
            found.append(f"webhook URL is {self.url or 'not set'}, not {url}")
        if self.content_type != CONTENT_TYPE:
            found.append(f"content type is {self.content_type or 'not set'}, not json")
        if not self.has_secret:
            found.append("no webhook secret set")
        if self.insecure_ssl:
            found.append("TLS certificate checks are off")
        return found


# What the App must be allowed to read (Permissions & events): issues, pull requests (with their reviews and
# comments) and the repository metadata GitHub requires of every App.
APP_PERMISSIONS: Mapping[str, str] = {"issues": "read", "pull_requests": "read", "metadata": "read"}


@dataclass(frozen=True, slots=True)
class AppSubscription:
    """The GitHub App's subscribed events and permissions (``GET /app``)."""

    events: tuple[str, ...]
    permissions: Mapping[str, str]

    def differences(self) -> list[str]:
        """Return what differs from what Delivery Pulse needs, in plain words (empty when nothing does)."""
        found = []
        missing = sorted(set(HOOK_EVENTS) - set(self.events))
        extra = sorted(set(self.events) - set(HOOK_EVENTS))
        if missing:
            found.append("events not ticked: " + ", ".join(missing))
        if extra:
            found.append("events ticked but not used: " + ", ".join(extra))
        lacking = [name for name in APP_PERMISSIONS if self.permissions.get(name) not in ("read", "write")]
        if lacking:
            found.append("permissions missing (read is enough): " + ", ".join(lacking))
        return found


def admin_github(token: str | None, *, base_url: str = "https://api.github.com", timeout: int = 30,
                 seconds_between_writes: float = 1.0) -> Github:
    """Return a PyGithub client for administrative calls with ``token`` (a personal or installation token).

    urllib3's own retries are off (``retry=0``): a failed call raises at once and the caller decides (the
    worker tries on its next run), instead of sleeping inside the library. GitHub asks for a pause between
    writes (secondary rate limits); ``seconds_between_writes`` keeps PyGithub's default of one second.
    """
    from github import Auth, Github

    return Github(auth=Auth.Token(token) if token else None, base_url=base_url, timeout=timeout, retry=0,
                  seconds_between_writes=seconds_between_writes, lazy=True)


def list_hooks(gh: Github, owner: HookOwner) -> list[Webhook]:
    """Return every webhook of the repository or organisation."""
    with _plain_errors(f"list the webhooks of {owner.label}"):
        return [_webhook(owner, hook) for hook in _owner(gh, owner).get_hooks()]


def find_hook(gh: Github, owner: HookOwner, url: str) -> Webhook | None:
    """Return the webhook that posts to ``url`` (trailing slash ignored), or None when there is none."""
    return next((hook for hook in list_hooks(gh, owner) if _same_url(hook.url, url)), None)


def ensure_hook(gh: Github, owner: HookOwner, url: str, secret: str) -> HookResult:
    """Create the webhook for ``url``, or fix its events, content type and secret; return what was done.

    A hook that already has exactly our events, JSON, TLS checks, a secret and is active is left as it is
    (GitHub never shows a secret, so one that is set is taken as ours).
    """
    if not secret:
        raise HookError("No webhook secret to give GitHub: set PULSE_GITHUB_WEBHOOK_SECRET first.", True)
    config = {"url": url, "content_type": CONTENT_TYPE, "secret": secret, "insecure_ssl": "0"}
    existing = find_hook(gh, owner, url)
    target = _owner(gh, owner)
    if existing is None:
        with _plain_errors(f"create the webhook of {owner.label}"):
            hook = target.create_hook("web", config, events=list(HOOK_EVENTS), active=True)
        return HookResult(Change.CREATED, _webhook(owner, hook))
    wrong = existing.differences()
    if not wrong:
        return HookResult(Change.UNCHANGED, existing)
    with _plain_errors(f"update the webhook of {owner.label}"):
        hook = target.get_hook(existing.id)
        hook.edit("web", config, events=list(HOOK_EVENTS), active=True)
    return HookResult(Change.UPDATED, _webhook(owner, hook), tuple(wrong))


def list_deliveries(gh: Github, owner: HookOwner, hook_id: int, *, since: datetime | None = None,
                    limit: int = 1000) -> list[Delivery]:
    """Return the hook's deliveries, newest first, back to ``since`` (default: GitHub's three-day window)."""
    from github.HookDelivery import HookDeliverySummary
    from github.PaginatedList import PaginatedList

    with _plain_errors(f"list the deliveries of the webhook of {owner.label}"):
        target = _owner(gh, owner)
        listing = PaginatedList(HookDeliverySummary, _requester(target), f"{target.url}/hooks/{hook_id}/deliveries",
                                {"per_page": DELIVERY_PAGE})
        return _recent(listing, since, limit)


def list_app_deliveries(app: GithubIntegration, *, since: datetime | None = None, limit: int = 1000) -> list[Delivery]:
    """Return the GitHub App hook's deliveries, newest first, back to ``since`` (default: three days)."""
    from github.HookDelivery import HookDeliverySummary
    from github.PaginatedList import PaginatedList

    with _plain_errors("list the deliveries of the GitHub App's webhook"):
        listing = PaginatedList(HookDeliverySummary, app.requester, "/app/hook/deliveries",
                                {"per_page": DELIVERY_PAGE})
        return _recent(listing, since, limit)


def redeliver(gh: Github, owner: HookOwner, hook_id: int, delivery_id: int) -> None:
    """Ask GitHub to deliver a repository or organisation hook's delivery again; return nothing once accepted."""
    with _plain_errors(f"ask for a redelivery of {owner.label}'s delivery {delivery_id}"):
        target = _owner(gh, owner)
        path = f"{target.url}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
        _requester(target).requestJsonAndCheck("POST", path)


def redeliver_app(app: GithubIntegration, delivery_id: int) -> None:
    """Ask GitHub to deliver the App hook's delivery again; return nothing once accepted."""
    with _plain_errors(f"ask for a redelivery of the GitHub App's delivery {delivery_id}"):
        app.requester.requestJsonAndCheck("POST", f"/app/hook/deliveries/{delivery_id}/attempts")


def app_hook_config(app: GithubIntegration) -> AppHookConfig:
    """Return the GitHub App's webhook configuration."""
    with _plain_errors("read the GitHub App's webhook configuration"):
        _, data = app.requester.requestJsonAndCheck("GET", "/app/hook/config")
    data = data if isinstance(data, dict) else {}
    return AppHookConfig(url=_text(data.get("url")), content_type=_text(data.get("content_type")),
                         has_secret=bool(data.get("secret")), insecure_ssl=str(data.get("insecure_ssl", "0")) != "0")


def app_subscription(app: GithubIntegration) -> AppSubscription:
    """Return the GitHub App's subscribed events and permissions."""
    with _plain_errors("read the GitHub App's events and permissions"):
        details = app.get_app()
        events, permissions = details.events or [], details.permissions or {}
    return AppSubscription(tuple(sorted(str(e) for e in events)), {str(k): str(v) for k, v in permissions.items()})


def to_redeliver(deliveries: Iterable[Delivery], now: datetime) -> list[Delivery]:
    """Return, oldest first, the newest failed attempt of each event that no attempt delivered (last 3 days)."""
    by_guid: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        by_guid.setdefault(delivery.guid, []).append(delivery)
    failed = []
    for attempts in by_guid.values():
        if any(a.ok or a.status_code is None for a in attempts):
            continue  # delivered, or an attempt GitHub has not finished yet
        latest = max(attempts, key=lambda a: (a.delivered_at, a.id))
        if now - min(a.delivered_at for a in attempts) < REDELIVERY_WINDOW:
            failed.append(latest)
    return sorted(failed, key=lambda a: (a.delivered_at, a.id))


def _recent(listing: PaginatedList[HookDeliverySummary], since: datetime | None, limit: int) -> list[Delivery]:
    cutoff = since if since is not None else datetime.now(UTC) - REDELIVERY_WINDOW
    found: list[Delivery] = []
    for summary in listing:
        delivery = _delivery(summary.raw_data)
        if delivery is None:
            continue
        if delivery.delivered_at < cutoff or len(found) >= limit:
            break  # GitHub lists newest first: the rest are older still
        found.append(delivery)
    return found


def _delivery(raw: dict[str, Any]) -> Delivery | None:
    try:
        delivered_at = datetime.fromisoformat(str(raw["delivered_at"]).replace("Z", "+00:00")).astimezone(UTC)
        code = raw.get("status_code")
        return Delivery(id=int(raw["id"]), guid=str(raw["guid"]), delivered_at=delivered_at,
                        status_code=int(code) if isinstance(code, int) and code > 0 else (0 if code == 0 else None),
                        redelivery=bool(raw.get("redelivery")), event=_text(raw.get("event")),
                        action=_text(raw.get("action")))
    except (KeyError, TypeError, ValueError):
        return None  # a summary without its id, guid or time cannot be redelivered nor judged


def _webhook(owner: HookOwner, hook: Hook) -> Webhook:
    config = hook.config if isinstance(hook.config, dict) else {}
    events = hook.events if isinstance(hook.events, list) else []
    return Webhook(owner=owner, id=int(hook.id), url=_text(config.get("url")) or "",
                   events=tuple(sorted(str(e) for e in events)), content_type=_text(config.get("content_type")),
                   active=hook.active is not False, has_secret=bool(config.get("secret")),
                   insecure_ssl=str(config.get("insecure_ssl", "0")) != "0")


def _owner(gh: Github, owner: HookOwner) -> Any:
    # Lazy: no GET of the repository or organisation itself, only the hooks calls.
    return gh.get_repo(owner.name) if owner.kind == "repo" else gh.get_organization(owner.name)


def _requester(target: Any) -> Requester:
    return target.requester


def _same_url(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/") == (b or "").rstrip("/")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class _plain_errors:  # noqa: N801 - used as a context manager, read as a phrase
    """Turn PyGithub's and requests' exceptions into a HookError that says what to do."""

    def __init__(self, doing: str) -> None:
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> bool:
        if exc is None or isinstance(exc, HookError):
            return False
        from github import GithubException, RateLimitExceededException

        if isinstance(exc, RateLimitExceededException):
            raise HookError(f"Could not {self.doing}: GitHub's rate limit was reached; it is tried again later.",
                            False, status=exc.status) from None
        if isinstance(exc, GithubException):
            raise HookError(f"Could not {self.doing}: GitHub answered {exc.status}.{_hint(exc.status)}",
                            exc.status not in (None, 500, 502, 503, 504), status=exc.status) from None
        if isinstance(exc, OSError):  # requests' ConnectionError and Timeout are OSErrors
            raise HookError(f"Could not {self.doing}: GitHub could not be reached ({type(exc).__name__}); "
                            "it is tried again later.", False) from None
        return False


def _hint(status: int | None) -> str:
    return {
        401: " Check that the GitHub token or the GitHub App's key is valid.",
        403: " The credentials may not administer webhooks here: a personal token needs the admin:repo_hook "
             "(or admin:org_hook) scope, a GitHub App the repository or organisation webhooks permission.",
        404: " Check the name, and that the credentials can see it and may administer its webhooks.",
        422: " GitHub refused the webhook settings; check that the URL is reachable from the internet.",
    }.get(status or 0, "")


