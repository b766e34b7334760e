"""Records and clocks for webhook deliveries already committed raw, stored off the request path.

A webhook is acknowledged once its raw body is committed and queued (intake_queue); the processor then stores
its records and recomputes the clocks it touches, many deliveries per transaction: while one chunk is being
stored the next one gathers, so a storm costs a few transactions, not one per delivery. A queued delivery
is never lost: whatever the processor could not finish (a crash, the database gone) stays queued and is
swept up again from the stored body, at start-up, after a failure, and by `pulse worker`. ``ingest_many``
stores raw deliveries with their records and clocks in one transaction, for callers that wait (the demo).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import IntakeQueue, RawDelivery, utcnow
from app.intake.deliveries import Delivery, IntakeResult
from app.intake.errors import IntakeError, intake_error
from app.intake.normalize import renormalize
from app.intake.raw_store import Pending, dequeue, insert_raw, mark_failed
from app.store.recompute import recompute_clocks
from app.store.statistics import refresh_statistics
from app.store.upserts import store_batch
from connectors.records import Batch

log = logging.getLogger("pulse.intake")

SWEEP_CHUNK = 500


def _store_records(session: Session, contracts: Contracts, pending: Sequence[Pending]) -> None:
    merged = Batch()
    for item in pending:
        merged.extend(item.batch)
    touched = store_batch(session, merged)
    recompute_clocks(session, contracts, touched)


def process_pending(factory: sessionmaker[Session], contracts: Contracts, pending: Sequence[Pending]) -> None:
    """Store the records of queued raw deliveries, recompute their clocks and take them off the queue, at once.

    Records and the dequeue share one transaction, so a crash leaves them queued, never half-done; storing
    a delivery again changes nothing, so processing one twice is harmless.
    """
    if not pending:
        return
    with transaction(factory) as session:
        _store_records(session, contracts, pending)
        dequeue(session, [item.raw_id for item in pending])
    refresh_statistics(factory.kw["bind"])


def ingest(factory: sessionmaker[Session], contracts: Contracts, delivery: Delivery, batch: Batch) -> IntakeResult:
    """Store one delivery with its records and clocks (see ``ingest_many``)."""
    return ingest_many(factory, contracts, [(delivery, batch)])[0]


def ingest_many(
    factory: sessionmaker[Session], contracts: Contracts, deliveries: Sequence[tuple[Delivery, Batch]]
) -> list[IntakeResult]:
    """Store raw deliveries, their records and the recomputed clocks in one transaction, nothing queued.

    A delivery seen before (same source and delivery id, earlier or in this group) changes nothing and
    is answered as a duplicate. Database errors propagate.
    """
    with transaction(factory) as session:
        results, pending = insert_raw(session, deliveries)
        _store_records(session, contracts, pending)
    return results


@dataclass
class SweepSummary:
    processed: int = 0
    ignored: int = 0
    failed: int = 0


def sweep_pending(
    factory: sessionmaker[Session], contracts: Contracts, *, older_than: timedelta = timedelta(0)
) -> SweepSummary:
    """Process the queued raw deliveries, oldest first, from their stored bodies.

    ``older_than`` leaves alone the ones a running server is about to process itself (doing one twice is
    harmless, only wasted). A delivery at fault (a permanent ``IntakeError``: its body no longer normalizes, or
    the database refuses its records) is marked ``failed`` with the reason; a transient error propagates and
    the deliveries stay queued for the next sweep.
    """
    summary, last_id = SweepSummary(), 0
    while True:
        cutoff = utcnow() - older_than
        with factory() as session:
            rows = session.execute(
                select(RawDelivery.id, RawDelivery.source, RawDelivery.delivery_id, RawDelivery.event,
                       RawDelivery.action, RawDelivery.body, RawDelivery.received_at)
                .join(IntakeQueue, IntakeQueue.raw_id == RawDelivery.id)
                .where(IntakeQueue.raw_id > last_id, IntakeQueue.queued_at <= cutoff)
                .order_by(IntakeQueue.raw_id).limit(SWEEP_CHUNK)
            ).all()
        if not rows:
            break
        work: list[Pending] = []
        for raw_id, source, delivery_id, event, action, body, received_at in rows:
            last_id = raw_id
            try:
                batch = renormalize(source, delivery_id, event, action, body, received_at=received_at)
            except IntakeError as exc:
                if not exc.permanent:
                    raise
                mark_failed(factory, raw_id, exc.reason)
                summary.failed += 1
                continue
            if batch is None:  # an event no longer used: nothing to store, but done with
                summary.ignored += 1
            work.append(Pending(raw_id, delivery_id, batch or Batch()))
        summary.failed += _process_or_split(factory, contracts, work)
        summary.processed += len(work)
    if summary.processed or summary.failed:
        log.info("processed %s queued deliveries (%s failed)", summary.processed, summary.failed)
    return summary


def _process_or_split(factory: sessionmaker[Session], contracts: Contracts, work: Sequence[Pending]) -> int:
    """Process a chunk; if a delivery in it is at fault (a permanent error), find it by halving the chunk and
    mark it ``failed``. Return how many failed; a transient error propagates and the chunk stays queued."""
    try:
        process_pending(factory, contracts, work)
        return 0
    except Exception as exc:
        error = intake_error(exc, stage="storing")
        if not error.permanent:
            raise
        if len(work) == 1:
            log.warning("delivery %s cannot be stored (%s); kept as failed", work[0].delivery_id, error.reason)
            mark_failed(factory, work[0].raw_id, error.reason)
            return 1
        half = len(work) // 2
        return _process_or_split(factory, contracts, work[:half]) + _process_or_split(factory, contracts, work[half:])


@dataclass
class IntakeProcessor:
    """One background thread per app that stores the records of committed raw deliveries in chunks.

    ``hand_over`` is called by the group commit once raw deliveries are durable; ``settle`` waits until all
    handed over are processed (tests, shutdown). The thread exits after ``idle_exit`` seconds with nothing
    to do and starts again on the next hand-over, so an app that is dropped leaves no thread behind.

    The linger adapts to the traffic. A few deliveries (fewer than ``few``) that come after ``quiet`` seconds
    without any, and without a chunk being stored, are processed at once; while the queue holds fewer than
    ``few``, it waits for company only until ``quiet`` passes without a new one. A queue of ``few`` or more is a
    storm, and waits until its oldest has waited ``linger``: under a storm the senders themselves pause now and
    then (each waits for its answer, and the request path shares one process with the processor), and ending the
    wait at each pause cut the chunks down to one group each, at half the throughput (bench/RESULTS.md). So a
    storm costs a few large transactions, and a trickle is counted within milliseconds.
    """

    sessions: Callable[[], sessionmaker[Session]]  # read per chunk: a test may point a built app at its database
    contracts: Callable[[], Contracts]  # read per chunk: POST /v1/contracts/reload replaces them
    max_chunk: int = 2000
    linger: float = 0.1  # at most this long the oldest delivery in the queue waits for others to share its transaction
    quiet: float = 0.02  # a small queue waits for company until no delivery came for this long
    few: int = 10  # a queue this long is a storm: it waits the whole linger
    idle_exit: float = 2.0
    retry_after: float = 1.0
    _queue: list[Pending] = field(default_factory=list)
    _in_flight: int = 0
    _sweep_due: float | None = None
    _failures: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    _closed: bool = False
    _first_at: float = 0.0  # when the oldest delivery in the queue arrived
    _last_at: float = float("-inf")  # when the latest delivery arrived
    _at_once: bool = False  # the queue came after a quiet spell (or is what a full chunk left): no lingering
    _busy: bool = False  # a chunk is being stored now
    _settling: int = 0  # callers waiting in settle(): process what is queued without lingering

    def hand_over(self, pending: Sequence[Pending]) -> None:
        if not pending:
            return
        with self._cond:
            self._closed = False
            now = time.monotonic()
            wake = not self._queue or len(self._queue) + len(pending) >= self.max_chunk
            if not self._queue:
                self._first_at = now
                self._at_once = not self._busy and len(pending) < self.few and now - self._last_at >= self.quiet
            self._last_at = now
            self._queue.extend(pending)
            self._in_flight += len(pending)
            self._start()
            if wake:  # a lingering thread needs no wake-up per arrival: it looks at _last_at when its wait ends
                self._cond.notify()

    def recover(self) -> None:
        """Sweep up deliveries left queued (by a crash, or a failed chunk) as soon as possible."""
        with self._cond:
            self._closed = False
            self._sweep_due = time.monotonic()
            self._start()
            self._cond.notify()

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until everything handed over was processed or left to the sweep; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._settling += 1
            self._cond.notify_all()
            try:
                while self._in_flight or (self._sweep_due is not None and self._failures == 0):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            finally:
                self._settling -= 1
        return True

    def close(self, timeout: float = 30.0) -> bool:
        """Finish the deliveries in hand, then stop the thread (no more retries); False if some are left queued."""
        deadline = time.monotonic() + timeout
        settled = self.settle(timeout)
        with self._cond:
            retry = self._sweep_due is not None and self._failures > 0
            if retry:  # a chunk failed earlier: one last try now, rather than leave it to the next start
                self._failures, self._sweep_due = 0, time.monotonic()
                self._closed = False  # a second close() after a first one must still make its one try
                self._start()
                self._cond.notify_all()
        if retry:
            settled = self.settle(max(deadline - time.monotonic(), 1.0)) and self._failures == 0
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(max(timeout, 1.0))
        return settled

    @property
    def queued(self) -> int:
        return self._in_flight

    def _start(self) -> None:  # under the lock
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pulse-intake-processor", daemon=True)
            self._thread.start()

    def _next(self) -> tuple[list[Pending], bool] | None:
        """Wait for work; None when idle long enough to exit (under the lock, the thread is then forgotten)."""
        with self._cond:
            idle_since = time.monotonic()
            while True:
                now = time.monotonic()
                lingering = self._lingering(now)
                if self._queue and lingering <= 0:
                    work, self._queue = self._queue[: self.max_chunk], self._queue[self.max_chunk :]
                    self._at_once = bool(self._queue)  # what is left waited long enough already: next chunk at once
                    self._first_at = now
                    self._busy = True
                    return work, False
                if self._queue:
                    self._cond.wait(lingering)
                    continue
                if self._sweep_due is not None and self._sweep_due <= now and not self._closed:
                    self._busy = True
                    return [], True
                wait = self.idle_exit - (now - idle_since)
                if self._sweep_due is not None and not self._closed:
                    wait = self._sweep_due - now
                elif wait <= 0 or self._closed:
                    self._thread = None
                    self._cond.notify_all()
                    return None
                self._cond.wait(wait)

    def _lingering(self, now: float) -> float:
        """How much longer the queued deliveries may wait for company (under the lock; <= 0: process them now)."""
        if self._at_once or self._settling or self._closed or len(self._queue) >= self.max_chunk:
            return 0.0
        lingering = self.linger - (now - self._first_at)
        if len(self._queue) < self.few:
            lingering = min(lingering, self.quiet - (now - self._last_at))
        return lingering

    def _run(self) -> None:
        while (task := self._next()) is not None:
            work, sweep = task
            factory, contracts = self.sessions(), self.contracts()
            try:
                if sweep:
                    sweep_pending(factory, contracts)
                else:
                    _process_or_split(factory, contracts, work)
                failed = False
            except Exception as exc:  # the database away: the deliveries stay queued, the sweep retries them
                failed = True
                log.warning("records of %s deliveries not stored yet (%s); retrying from the stored bodies",
                            len(work) or "pending", type(exc).__name__)
            with self._cond:
                self._in_flight -= len(work)
                # A pause in arrivals while a chunk is being stored is not quiet: the chunk itself may hold the
                # senders back (SQLite's write lock, the GIL), and taking that for the end of a storm cut every
                # chunk down to one group (measured: half the throughput). Quiet counts from when it is done.
                self._last_at = max(self._last_at, time.monotonic())
                self._busy = False
                if failed:
                    self._failures += 1
                    delay = min(self.retry_after * 2 ** (self._failures - 1), 10.0)
                    self._sweep_due = time.monotonic() + delay
                elif sweep:
                    self._failures, self._sweep_due = 0, None
                self._cond.notify_all()
