"""The worker: scheduled sync, reconcile, clock checks and alerts; one long-running process."""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.locks import JobBusy
from app.core.tables import SyncRun, WorkerJob
from app.intake.processor import sweep_pending
from app.notify import Senders
from app.notify import deliver_due as deliver_notifications
from app.reports.plain_language import ScoreCursor, score_pending
from app.settings import Settings
from app.store.statistics import refresh_statistics
from app.store.upserts import dialect_insert
from app.surveys import Links, ask_due, links_from, remind_due
from app.sync import one_on_ones
from app.sync.alerts import deliver_due, queue_digests, scan
from app.sync.redelivery import RedeliveryRun, redeliver_missed
from app.sync.runner import Connectors, SyncConfigError, run_sync

log = logging.getLogger("pulse.worker")
# A delivery queued longer than this was left by a server that stopped; a younger one is in a server's hands.
PENDING_GRACE = timedelta(minutes=2)


@dataclass
class Job:
    """Something the worker does every ``interval``."""

    name: str
    interval: timedelta
    run: Callable[[datetime], object]
    next_at: datetime | None = None


def _always(job: Job, now: datetime) -> bool:
    return True


@dataclass
class Scheduler:
    """Run jobs when they are due; time comes from ``clock`` so tests never sleep.

    ``take`` decides whether this process runs a due job: with several workers, the one that takes its due
    time in the database (``take_due_time``); the others skip it until it is due again.
    """

    jobs: list[Job]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    take: Callable[[Job, datetime], bool] = _always

    def run_pending(self) -> list[str]:
        """Run every job that is due now and that this process takes; return their names."""
        ran = []
        for job in self.jobs:
            now = self.clock()
            if job.next_at is None or job.next_at <= now:
                job.next_at = now + job.interval
                if not self.take(job, now):
                    continue
                try:
                    job.run(now)
                except Exception:  # a failing job must not stop the others; it is logged and retried on schedule
                    log.exception("job %s failed", job.name)
                ran.append(job.name)
        return ran

    def seconds_until_next(self) -> float:
        now = self.clock()
        pending = [(j.next_at - now).total_seconds() for j in self.jobs if j.next_at is not None]
        return max(min(pending, default=0.0), 0.0)


@dataclass
class Worker:
    """The worker's jobs, wired to one database and one set of contracts."""

    settings: Settings
    factory: sessionmaker[Session]
    contracts: Contracts
    connectors: Connectors
    http: httpx.Client
    stop: threading.Event = field(default_factory=threading.Event)
    senders: Senders | None = None  # how notifications leave; from the settings unless a test passes its own

    links: Links | None = field(init=False, default=None)
    # Where this process's sweep over the messages to score stopped; None: the next pass starts a new sweep.
    _score_cursor: ScoreCursor | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.senders is None:
            self.senders = Senders.from_settings(self.settings, self.http)
        self.links = links_from(self.settings, self.contracts)  # refuses surveys without a secret to sign links

    def scheduler(self, clock: Callable[[], datetime] | None = None) -> Scheduler:
        s = self.settings
        jobs = [
            Job("pending-deliveries", timedelta(seconds=s.clock_check_seconds), self.sweep_deliveries),
            Job("clocks", timedelta(seconds=s.clock_check_seconds), self.check_clocks),
            Job("requested-sync", timedelta(seconds=s.queue_poll_seconds), self.run_requested),
            Job("surveys", timedelta(seconds=s.clock_check_seconds), self.ask_clients),
            Job("notifications", timedelta(seconds=s.clock_check_seconds), self.send_notifications),
            Job("plain-language", timedelta(seconds=s.clock_check_seconds), self.score_messages),
            Job("one-on-one-reports", one_on_ones.CHECK_EVERY, self.queue_one_on_ones),
            Job("sync", timedelta(seconds=s.sync_interval_seconds), lambda now: self.sync("incremental", "schedule")),
            Job("reconcile", timedelta(seconds=s.reconcile_interval_seconds),
                lambda now: self.sync("reconcile", "schedule")),
            Job("github-redelivery", timedelta(seconds=s.redelivery_interval_seconds), self.redeliver),
        ]
        take = functools.partial(take_due_time, self.factory, f"{socket.gethostname()}:{os.getpid()}")
        return Scheduler(jobs, clock, take) if clock else Scheduler(jobs, take=take)

    def sweep_deliveries(self, now: datetime) -> int:
        """Store the records of webhook deliveries a stopped server left queued (the server does its own at start)."""
        return sweep_pending(self.factory, self.contracts, older_than=PENDING_GRACE).processed

    def check_clocks(self, now: datetime) -> tuple[int, int]:
        """Queue alerts for clocks that crossed a stage, then send what is due."""
        with transaction(self.factory) as session:
            queued = scan(session, self.contracts, now) + queue_digests(session, self.contracts, now)
        sent, failed = deliver_due(self.factory, now, self.http)
        if queued or sent or failed:
            log.info("alerts: %s queued, %s sent, %s to retry", queued, sent, failed)
        return sent, failed

    def ask_clients(self, now: datetime) -> tuple[int, int]:
        """Create the surveys now due and the reminders, each queued once (sent by the notifications job)."""
        if self.links is None:
            return 0, 0
        with transaction(self.factory) as session:
            asked = ask_due(session, self.contracts, self.links, now)
            reminded = remind_due(session, self.contracts, self.links, now)
        if asked or reminded:
            log.info("surveys: %s asked, %s reminded", asked, reminded)
        return asked, reminded

    def send_notifications(self, now: datetime) -> tuple[int, int]:
        """Send the queued e-mails and Slack messages that are due."""
        assert self.senders is not None
        sent, failed = deliver_notifications(self.factory, now, self.senders)
        if sent or failed:
            log.info("notifications: %s sent, %s to retry", sent, failed)
        return sent, failed

    def queue_one_on_ones(self, now: datetime) -> int:
        """Queue the weekly reports due today and the disagreement warnings of last week (each once)."""
        with transaction(self.factory) as session:
            queued = one_on_ones.queue_weekly_reports(session, self.contracts, now, self.settings.public_url)
            queued += one_on_ones.queue_disagreement_warnings(session, self.contracts, now, self.settings.public_url)
        if queued:
            log.info("one-on-ones: %s reports and warnings queued", queued)
        return queued

    def score_messages(self, now: datetime) -> int:
        """Score new and edited developer messages for plain language (off the webhook path)."""
        with transaction(self.factory) as session:
            run = score_pending(session, self.contracts, limit=500, resume=self._score_cursor)
        # The scores grow from nothing on a first pass: keep the planner's view of them right (app/store/statistics).
        refresh_statistics(self.factory.kw["bind"])
        self._score_cursor = run.resume
        return run.scored

    def redeliver(self, now: datetime) -> RedeliveryRun:
        """Ask GitHub to redeliver recent webhook deliveries our endpoint did not take, once each."""
        return redeliver_missed(factory=self.factory, contracts=self.contracts, connectors=self.connectors, now=now,
                                worker=f"{socket.gethostname()}:{os.getpid()}",
                                limit=self.settings.redelivery_max_per_run)

    def sync(self, mode: str, requested_by: str, run_id: int | None = None, source: str | None = None) -> str:
        try:
            summary = run_sync(factory=self.factory, contracts=self.contracts, connectors=self.connectors,
                               source=source, mode=mode, requested_by=requested_by, stop=self.stop, run_id=run_id)
        except JobBusy:
            log.info("%s sync skipped: another process is running one", mode)
            return "busy"
        except SyncConfigError as exc:
            log.warning("%s sync not run: %s", mode, exc)
            if run_id is not None:
                _fail_run(self.factory, run_id, str(exc))
            return "config"
        log.info("%s sync %s: %s items, %s activities, %s requests", mode, summary.status, summary.items,
                 summary.activities, summary.requests)
        return summary.status

    def run_requested(self, now: datetime) -> int:
        """Run the syncs asked for through the API, oldest first."""
        with self.factory() as session:
            queued = session.scalars(select(SyncRun).where(SyncRun.status == "queued").order_by(SyncRun.id)).all()
        for run in queued:
            if self.stop.is_set():
                break
            self.sync(run.mode, run.requested_by, run_id=run.id, source=None if run.source == "all" else run.source)
        return len(queued)

    def serve_forever(self, sleep: Callable[[float], bool] | None = None) -> None:
        """Run jobs until asked to stop (SIGTERM): the current page is finished first."""
        scheduler = self.scheduler()
        wait = sleep or self.stop.wait
        while not self.stop.is_set():
            scheduler.run_pending()
            wait(min(scheduler.seconds_until_next(), 5.0))


def take_due_time(factory: sessionmaker[Session], worker: str, job: Job, now: datetime) -> bool:
    """Take the job's current due time for this worker; False when it is not due or another worker took it."""
    with transaction(factory) as session:
        session.execute(dialect_insert(session, WorkerJob.__table__).values(name=job.name, next_at=now)
                        .on_conflict_do_nothing(index_elements=["name"]))
        taken = session.execute(
            update(WorkerJob).where(WorkerJob.name == job.name, WorkerJob.next_at <= now)
            .values(next_at=now + job.interval, taken_at=now, taken_by=worker)
        )
        return taken.rowcount == 1


def _fail_run(factory: sessionmaker[Session], run_id: int, error: str) -> None:
    with transaction(factory) as session:
        row = session.get(SyncRun, run_id)
        if row is not None:
            row.status, row.errors, row.finished_at = "failed", [error], datetime.now(UTC)
