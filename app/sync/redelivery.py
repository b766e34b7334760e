"""Missed GitHub deliveries come back by themselves: ask GitHub, once per event, to send failed ones again.

The worker lists the recent deliveries of our webhooks (repository and organisation hooks found by
PULSE_GITHUB_WEBHOOK_URL, and the GitHub App's hook) and, for each event no attempt delivered with a 2xx in
GitHub's three-day window, claims it in ``github_redeliveries`` (unique on the event's delivery guid: of several
workers, one claims it) and asks GitHub for a redelivery. Whatever is still missed, the scheduled sync repairs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import GitHubRedelivery
from app.store.upserts import dialect_insert
from app.sync.runner import Connectors
from connectors.github.client import GitHubError
from connectors.github.hooks import (
    REDELIVERY_WINDOW,
    Delivery,
    HookError,
    HookOwner,
    find_hook,
    list_app_deliveries,
    list_deliveries,
    redeliver,
    redeliver_app,
    to_redeliver,
)

if TYPE_CHECKING:
    from github import Github

log = logging.getLogger("pulse.redelivery")
APP_HOOK = "GitHub App"


@dataclass
class RedeliveryRun:
    """What one pass did, in figures, with the problems met in plain words."""

    hooks: int = 0
    failed: int = 0  # events found undelivered in the window
    requested: int = 0
    refused: int = 0  # GitHub would not redeliver (too old, gone): never asked again
    already: int = 0  # asked before, by this worker or another
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # a rate limit or an outage ended the pass; the next one goes on


@dataclass(frozen=True)
class _Hook:
    label: str
    deliveries: Callable[[datetime], list[Delivery]]
    ask: Callable[[Delivery], None]


def redeliver_missed(*, factory: sessionmaker[Session], contracts: Contracts, connectors: Connectors, now: datetime,
                     worker: str, limit: int) -> RedeliveryRun:
    """Ask GitHub to redeliver, at most ``limit`` this pass, each recent event our endpoint did not take."""
    run = RedeliveryRun()
    since = now - REDELIVERY_WINDOW
    for hook in _our_hooks(contracts, connectors, run):
        if run.stopped or run.requested + run.refused >= limit:
            break
        run.hooks += 1
        try:
            missed = to_redeliver(hook.deliveries(since), now)
        except (HookError, GitHubError) as exc:
            _problem(run, exc)
            continue
        run.failed += len(missed)
        asked = _already_asked(factory, [d.guid for d in missed])
        run.already += sum(d.guid in asked for d in missed)
        for delivery in (d for d in missed if d.guid not in asked):
            if run.stopped or run.requested + run.refused >= limit:
                break
            _ask_once(factory, hook, delivery, now, worker, run)
    if run.requested or run.refused or run.errors:
        log.info("GitHub redelivery: %s hook(s), %s undelivered event(s), %s redelivery(ies) asked, %s refused, "
                 "%s asked before%s", run.hooks, run.failed, run.requested, run.refused, run.already,
                 "; " + " ".join(run.errors) if run.errors else "")
    return run


def _our_hooks(contracts: Contracts, connectors: Connectors, run: RedeliveryRun) -> list[_Hook]:
    settings = connectors.settings
    hooks: list[_Hook] = []
    app = connectors.github_app()
    if app is not None:
        hooks.append(_Hook(APP_HOOK, lambda since: list_app_deliveries(app, since=since),
                           lambda d: redeliver_app(app, d.id)))
    url = settings.github_webhook_url
    if not url or not (settings.github_app or settings.github_token):
        return hooks  # repository and organisation hooks are found by our URL, with credentials that see them
    repos = list(dict.fromkeys(r for _, r in contracts.repositories()))
    for login in dict.fromkeys(r.split("/")[0] for r in repos):
        try:
            gh = connectors.github_admin(login)
        except GitHubError as exc:
            _problem(run, exc)
            continue
        owners = [HookOwner.org(login)] + [HookOwner.repo(r) for r in repos if r.split("/")[0] == login]
        for owner in owners:
            try:
                found = find_hook(gh, owner, url)
            except HookError as exc:
                if owner.kind == "repo" or exc.status not in (403, 404):  # a user account has no organisation hooks
                    _problem(run, exc)
                continue
            if found is not None:
                hooks.append(_Hook(owner.label, functools.partial(_listed, gh, owner, found.id),
                                   functools.partial(_asked, gh, owner, found.id)))
    return hooks


def _listed(gh: Github, owner: HookOwner, hook_id: int, since: datetime) -> list[Delivery]:
    return list_deliveries(gh, owner, hook_id, since=since)


def _asked(gh: Github, owner: HookOwner, hook_id: int, delivery: Delivery) -> None:
    redeliver(gh, owner, hook_id, delivery.id)


def _already_asked(factory: sessionmaker[Session], guids: list[str]) -> set[str]:
    if not guids:
        return set()
    with factory() as session:
        return set(session.scalars(select(GitHubRedelivery.guid).where(GitHubRedelivery.guid.in_(guids))))


def _ask_once(factory: sessionmaker[Session], hook: _Hook, delivery: Delivery, now: datetime, worker: str,
              run: RedeliveryRun) -> None:
    with transaction(factory) as session:
        claimed = session.execute(
            dialect_insert(session, GitHubRedelivery.__table__).values(
                guid=delivery.guid, delivery_id=delivery.id, hook=hook.label, event=delivery.event,
                failed_status=delivery.status_code, delivered_at=delivery.delivered_at, requested_at=now,
                requested_by=worker, outcome="asking",
            ).on_conflict_do_nothing(index_elements=["guid"]).returning(GitHubRedelivery.id)
        ).scalar_one_or_none() is not None  # (rowcount is -1 on PostgreSQL for this statement)
    if not claimed:
        run.already += 1  # another worker claimed it a moment ago
        return
    try:
        hook.ask(delivery)
    except HookError as exc:
        if not exc.permanent:  # GitHub did not take the request (rate limit, outage): free it for the next pass
            with transaction(factory) as session:
                session.execute(delete(GitHubRedelivery).where(GitHubRedelivery.guid == delivery.guid))
            _problem(run, exc)
            return
        _finish(factory, delivery.guid, "refused", str(exc))
        run.refused += 1
        return
    _finish(factory, delivery.guid, "requested", None)
    run.requested += 1


def _finish(factory: sessionmaker[Session], guid: str, outcome: str, error: str | None) -> None:
    with transaction(factory) as session:
        session.execute(update(GitHubRedelivery).where(GitHubRedelivery.guid == guid)
                        .values(outcome=outcome, error=error))


def _problem(run: RedeliveryRun, exc: HookError | GitHubError) -> None:
    run.errors.append(str(exc))
    if not exc.permanent:
        run.stopped = True  # rate limited or GitHub unreachable: the next pass goes on
