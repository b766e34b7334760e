"""The sync runner: page through GitHub and Jira from saved cursors, store each page, then move its cursor."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.locks import JobBusy, job_lock
from app.core.tables import HttpETag, SyncRun, WorkItemRow, utcnow
from app.intake.checks import checked_batch
from app.settings import Settings
from app.store.quarantine import has_waiting, resolve_read
from app.store.quarantine import keep as keep_quarantined
from app.store.recompute import recompute_clocks
from app.store.statistics import refresh_statistics
from app.store.upserts import get_cursors, save_cursor, store_batch
from connectors.github.app_auth import InstallationTokens, app_integration
from connectors.github.client import GitHubClient, GitHubError, MemoryETagCache
from connectors.github.hooks import admin_github
from connectors.github.sync import GitHubSync
from connectors.jira.client import JiraClient, JiraError
from connectors.jira.sync import JiraSync
from connectors.records import Batch, PayloadError

if TYPE_CHECKING:
    from github import Github, GithubIntegration  # imported by the calls that need it: it costs about a second

log = logging.getLogger("pulse.sync")

SOURCES = ("github", "jira")
JIRA_NOT_CONFIGURED = (
    "Jira projects are listed in the contracts file but PULSE_JIRA_URL is not set; set it (and PULSE_JIRA_EMAIL "
    "with PULSE_JIRA_TOKEN for Jira Cloud), or rely on Jira webhooks alone."
)


class SyncConfigError(RuntimeError):
    """The sync cannot run as configured; the message says what to set."""


@dataclass
class SyncSummary:
    """What one run did, in figures."""

    run_id: int | None
    source: str
    mode: str
    status: str = "running"
    scopes: int = 0
    pages: int = 0
    items: int = 0
    activities: int = 0
    requests: int = 0
    quarantined: int = 0  # distinct records met that could not be read, kept in quarantine
    rate_limit_remaining: int | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    errors: list[str] = field(default_factory=list)
    stopped_early: bool = False
    # What the run stored, each record once however often the listings repeat it (overlaps, re-read pages).
    _stored_items: set[int] = field(default_factory=set, repr=False)
    _stored_activities: set[int] = field(default_factory=set, repr=False)
    _quarantined: set[int] = field(default_factory=set, repr=False)

    def count(self, batch: Batch) -> None:
        """Count a stored page: distinct work items, activities and quarantined records of the whole run."""
        self._stored_items.update(hash((i.source, i.key)) for i in batch.work_items)
        self._stored_activities.update(hash((a.source, a.external_id)) for a in batch.activities)
        self._quarantined.update(hash((r.source, r.scope, r.kind, r.ref)) for r in batch.rejected)
        self.items, self.activities = len(self._stored_items), len(self._stored_activities)
        self.quarantined = len(self._quarantined)

    @property
    def duration_seconds(self) -> float:
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()


Progress = Callable[[str, str, SyncSummary], None]  # (scope label, stream, summary so far)


class DbETagCache:
    """ETags kept in the database, so a cron re-sync in a new process still asks conditionally."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def get(self, key: str) -> str | None:
        with self.factory() as session:
            row = session.get(HttpETag, key[:700])
            return row.etag if row else None

    def put(self, key: str, etag: str | None) -> None:
        with transaction(self.factory) as session:
            row = session.get(HttpETag, key[:700])
            if etag is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(HttpETag(key=key[:700], etag=etag[:300]))
            else:
                row.etag, row.updated_at = etag[:300], utcnow()


@dataclass
class Connectors:
    """Builds API clients from settings; tests replace it to point at a stand-in server."""

    settings: Settings
    factory: sessionmaker[Session]
    github_transport: Any = None
    jira_transport: Any = None
    sleep: Callable[[float], None] = time.sleep
    write_pause: float = 1.0  # seconds between GitHub writes (its secondary rate limits); tests use 0
    _tokens: InstallationTokens | None = field(default=None, init=False, repr=False)

    def github(self) -> GitHubClient:
        """Return the sync's client: with a GitHub App, its installation tokens; else the personal token, if any."""
        token: Any = self.settings.github_token.get_secret_value() if self.settings.github_token else None
        if self.settings.github_app:
            token = self.installation_tokens()
        return GitHubClient(
            token, base_url=self.settings.github_api_url, timeout=self.settings.http_timeout_seconds,
            max_wait_seconds=self.settings.max_rate_limit_wait_seconds, transport=self.github_transport,
            sleep=self.sleep, etags=DbETagCache(self.factory),
        )

    def github_app(self) -> GithubIntegration | None:
        """Return a client that authenticates as the GitHub App, or None when no App is configured."""
        s = self.settings
        if s.github_app_id is None or s.github_app_private_key is None:
            return None
        return app_integration(s.github_app_id, s.github_app_private_key.get_secret_value(),
                               base_url=s.github_api_url, timeout=int(s.http_timeout_seconds),
                               seconds_between_writes=self.write_pause)

    def github_admin(self, owner: str) -> Github:
        """Return a PyGithub client for webhook administration on ``owner``'s repositories or organisation."""
        s = self.settings
        if s.github_app:
            token: str | None = self.installation_tokens().token_for(owner)
        else:
            token = s.github_token.get_secret_value() if s.github_token else None
        return admin_github(token, base_url=s.github_api_url, timeout=int(s.http_timeout_seconds),
                            seconds_between_writes=self.write_pause)

    def installation_tokens(self) -> InstallationTokens:
        """Return the App's installation tokens, one cache for this process (tokens live an hour)."""
        if self._tokens is None:
            app = self.github_app()
            if app is None:
                raise SyncConfigError("No GitHub App is configured: set PULSE_GITHUB_APP_ID and its key.")
            self._tokens = InstallationTokens(app)
        return self._tokens

    def available(self, source: str) -> bool:
        """Say whether this source can be read (Jira needs its URL; GitHub works without a token, slowly)."""
        return source != "jira" or bool(self.settings.jira_url)

    def jira(self) -> JiraClient:
        s = self.settings
        if not s.jira_url:
            raise SyncConfigError(JIRA_NOT_CONFIGURED)
        return JiraClient(
            s.jira_url, email=s.jira_email, token=s.jira_token.get_secret_value() if s.jira_token else None,
            deployment=s.jira_deployment, timeout=s.http_timeout_seconds,
            max_wait_seconds=s.max_rate_limit_wait_seconds, transport=self.jira_transport, sleep=self.sleep,
        )


def plan(contracts: Contracts, source: str | None) -> list[tuple[str, str]]:
    """Return the (source, repository or project) pairs one run covers."""
    if source is not None and source not in SOURCES:
        raise SyncConfigError(f"Unknown source {source!r}; choose github or jira.")
    scopes = []
    if source in (None, "github"):
        scopes += [("github", repo) for _, repo in contracts.repositories()]
    if source in (None, "jira"):
        scopes += [("jira", project) for _, project in contracts.jira_projects()]
    if not scopes:
        where = "GitHub repositories or Jira projects" if source is None else f"{source} scopes"
        raise SyncConfigError(f"The contracts file lists no {where}; add github_repos or jira_projects to a client.")
    return scopes


def run_sync(
    *,
    factory: sessionmaker[Session],
    contracts: Contracts,
    connectors: Connectors,
    source: str | None = None,
    mode: str = "incremental",
    requested_by: str = "cli",
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    run_id: int | None = None,
) -> SyncSummary:
    """Run one sync (incremental, full or reconcile) under the job lock; never two at once."""
    scopes = plan(contracts, source)
    if source is not None and not connectors.available(source):
        raise SyncConfigError(JIRA_NOT_CONFIGURED)
    skipped = [scope for scope in scopes if not connectors.available(scope[0])]
    if skipped:
        log.info("Jira is not configured (PULSE_JIRA_URL): its projects are kept current by webhooks only.")
        scopes = [scope for scope in scopes if connectors.available(scope[0])]
    if not scopes:
        raise SyncConfigError(JIRA_NOT_CONFIGURED)
    engine = factory.kw["bind"]
    with job_lock(engine, "sync"):
        summary = SyncSummary(run_id=None, source=source or "all", mode=mode)
        summary.run_id = _open_run(factory, summary, requested_by, run_id)
        try:
            for src, scope in scopes:
                if stop is not None and stop.is_set():
                    summary.stopped_early = True
                    break
                _sync_scope(factory, contracts, connectors, summary, src, scope, progress, stop)
        except BaseException:
            # Cut off (stopped by a signal, the database lost): the run says so, never "succeeded".
            summary.status = "interrupted"
            raise
        finally:
            summary.finished_at = datetime.now(UTC)
            if summary.status != "interrupted":
                summary.status = _status(summary, len(scopes))
            _close_run(factory, summary)
    return summary


def _status(summary: SyncSummary, scopes: int) -> str:
    if not summary.errors:
        return "stopped" if summary.stopped_early else "succeeded"
    return "failed" if len(summary.errors) >= scopes else "partial"


def _sync_scope(
    factory: sessionmaker[Session], contracts: Contracts, connectors: Connectors, summary: SyncSummary,
    source: str, scope: str, progress: Progress | None, stop: threading.Event | None,
) -> None:
    label = f"{source}:{scope}"
    client: GitHubClient | JiraClient | None = None
    try:
        client = connectors.github() if source == "github" else connectors.jira()
        before = client.requests_made
        try:
            with factory() as session:
                waiting = has_waiting(session, source, scope)
            for page in _pages(factory, client, source, scope, summary.mode):
                _store_page(factory, contracts, source, scope, page, summary.run_id, resolve=waiting)
                summary.pages += 1
                summary.count(page.batch)
                summary.requests += client.requests_made - before
                before = client.requests_made
                if progress is not None:
                    progress(label, page.stream, summary)
                if stop is not None and stop.is_set():
                    summary.stopped_early = True
                    return
        finally:
            summary.requests += client.requests_made - before
            summary.rate_limit_remaining = getattr(client, "rate_limit_remaining", summary.rate_limit_remaining)
        summary.scopes += 1
    except (GitHubError, JiraError, PayloadError) as exc:
        log.warning("sync of %s failed: %s", label, exc)
        summary.errors.append(f"{label}: {exc}")
    except SyncConfigError as exc:
        summary.errors.append(f"{label}: {exc}")
    except Exception as exc:  # noqa: BLE001 - an unforeseen failure fails this scope, and the run says so
        log.exception("sync of %s stopped on an unexpected error", label)
        summary.errors.append(f"{label}: stopped on an unexpected error ({type(exc).__name__}: {exc}); what was "
                              "stored before it is kept and the next run goes on from there")
    finally:
        if client is not None:
            client.close()


def _pages(factory: sessionmaker[Session], client: Any, source: str, scope: str, mode: str) -> Iterator[Any]:
    started = datetime.now(UTC)
    check = _record_check(started)
    with factory() as session:
        cursors = {} if mode == "full" else get_cursors(session, source, scope)
        stored = _stored_keys(session, source, scope) if mode == "reconcile" else []
    if source == "github":
        if mode == "full":
            # Everything again means no "not modified since" answers: a parser upgrade must see every record.
            client.etags = MemoryETagCache()
        yield from GitHubSync(client, scope, cursors, started_at=started, check=check).iter_pages()
        return
    jira = JiraSync(client, scope, cursors, started_at=started, check=check,
                    stored_updates=lambda keys: _stored_updates(factory, source, keys))
    if mode == "reconcile":
        page = jira.reconcile_page(stored)
        yield replace(page, batch=check(page.batch))
    else:
        yield from jira.iter_pages()


def _stored_updates(factory: sessionmaker[Session], source: str, keys: Sequence[str]) -> dict[str, datetime | None]:
    """Return when each stored work item was last updated, as its source said (complete snapshots only)."""
    with factory() as session:
        rows = session.execute(
            select(WorkItemRow.key, WorkItemRow.updated_at).where(
                WorkItemRow.source == source, WorkItemRow.key.in_(list(keys)), WorkItemRow.partial.is_(False),
                WorkItemRow.deleted.is_(False),
            )
        )
        return dict(rows.tuples().all())


def _stored_keys(session: Session, source: str, scope: str) -> list[str]:
    rows = session.scalars(
        select(WorkItemRow.key).where(
            WorkItemRow.source == source, WorkItemRow.container == scope, WorkItemRow.deleted.is_(False)
        )
    )
    return list(rows)


def _record_check(now: datetime) -> Callable[[Batch], Batch]:
    """The intake's record checks, which the connectors apply to each listed record (a failing one is quarantined)."""
    return lambda batch: checked_batch(batch, now)


def _store_page(
    factory: sessionmaker[Session], contracts: Contracts, source: str, scope: str, page: Any, run_id: int | None,
    *, resolve: bool = False,
) -> None:
    """Store a page, its clocks and its quarantined records, then its cursor, in one transaction: a crash loses
    nothing, repeats nothing. The connectors checked each record as they read it (``_record_check``). With
    ``resolve`` (records of this scope wait in quarantine), those the page read are marked resolved."""
    batch = page.batch
    with transaction(factory) as session:
        touched = store_batch(session, batch)
        recompute_clocks(session, contracts, touched)
        if resolve and batch.read:
            resolve_read(session, source, scope, batch.read)
        if batch.rejected:
            keep_quarantined(session, batch.rejected, run_id=run_id)
        if page.cursor is not None:
            save_cursor(session, source, scope, page.stream, page.cursor)
    refresh_statistics(factory.kw["bind"])  # a first sync grows the tables from nothing: keep the plans right


def _open_run(factory: sessionmaker[Session], summary: SyncSummary, requested_by: str, run_id: int | None) -> int:
    with transaction(factory) as session:
        # We hold the lock, so any other run still marked running was cut off (killed or crashed).
        session.execute(
            update(SyncRun).where(SyncRun.status == "running", SyncRun.id != (run_id or -1))
            .values(status="interrupted", finished_at=utcnow())
        )
        row = session.get(SyncRun, run_id) if run_id is not None else None
        if row is not None and row.status != "queued":  # another worker ran it while this one waited
            raise JobBusy(f"The requested sync {run_id} was already run by another worker.")
        if row is None:
            row = SyncRun(source=summary.source, mode=summary.mode, requested_by=requested_by, status="running")
            session.add(row)
        row.status, row.started_at = "running", summary.started_at
        session.flush()
        return row.id


def _close_run(factory: sessionmaker[Session], summary: SyncSummary) -> None:
    with transaction(factory) as session:
        row = session.get(SyncRun, summary.run_id)
        if row is None:
            return
        row.status = summary.status
        row.finished_at = summary.finished_at
        row.items, row.activities, row.requests = summary.items, summary.activities, summary.requests
        row.rate_limit_remaining = summary.rate_limit_remaining
        row.quarantined = summary.quarantined
        row.errors = list(summary.errors)
