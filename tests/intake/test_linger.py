"""The processor's adaptive linger: a lone delivery is counted at once, a burst still shares transactions.

The chunks are recorded instead of stored (the linger decides only when and how many go together), so the
waits asserted here are the processor's own, not the database's.
"""

from __future__ import annotations

import threading
import time

import pytest

import app.intake.processor as processor_module
from app.intake.processor import IntakeProcessor
from app.intake.raw_store import Pending
from connectors.records import Batch


class Chunks:
    """Stands in for process_pending: keeps each chunk's size and the moment it was taken."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.at: list[float] = []
        self._cond = threading.Condition()

    def __call__(self, factory, contracts, work) -> None:  # noqa: ANN001
        with self._cond:
            self.sizes.append(len(work))
            self.at.append(time.monotonic())
            self._cond.notify_all()

    def wait_for(self, deliveries: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: sum(self.sizes) >= deliveries, timeout)


@pytest.fixture
def chunks(monkeypatch) -> Chunks:
    recorder = Chunks()
    monkeypatch.setattr(processor_module, "process_pending", recorder)
    return recorder


def _processor(**linger: float) -> IntakeProcessor:
    return IntakeProcessor(sessions=lambda: None, contracts=lambda: None, **linger)  # type: ignore[arg-type,return-value]


def _one(n: int) -> list[Pending]:
    return [Pending(n, f"1:d-{n}", Batch())]


def test_a_lone_delivery_is_processed_at_once_not_after_the_linger(chunks):
    proc = _processor(linger=30.0, quiet=10.0)
    handed = time.monotonic()
    proc.hand_over(_one(1))
    assert chunks.wait_for(1, timeout=5.0), "a delivery after a quiet spell waited for company"
    assert chunks.sizes == [1] and chunks.at[0] - handed < 5.0
    assert proc.close(5)


def test_a_delivery_after_a_pause_goes_at_once_again(chunks):
    proc = _processor(linger=30.0, quiet=0.3)
    proc.hand_over(_one(1))
    assert chunks.wait_for(1, timeout=5.0)
    time.sleep(0.5)  # longer than ``quiet``: the stream went quiet
    handed = time.monotonic()
    proc.hand_over(_one(2))
    assert chunks.wait_for(2, timeout=5.0)
    assert chunks.sizes == [1, 1] and chunks.at[1] - handed < 5.0
    assert proc.close(5)


def test_a_small_burst_lingers_until_it_stops_then_shares_one_transaction(chunks):
    proc = _processor(linger=30.0, quiet=1.0, few=10)
    proc.hand_over(_one(0))
    # Taken before the next arrives (on a busy machine the thread may start later than 2 ms after it).
    assert chunks.wait_for(1, timeout=5.0)
    for n in range(1, 8):  # one every 2 ms, far closer together than ``quiet``
        proc.hand_over(_one(n))
        time.sleep(0.002)
    last = time.monotonic()
    assert chunks.wait_for(8, timeout=10.0)
    # The first came after a quiet spell and went at once; the other 7 waited for the burst to end.
    assert chunks.sizes == [1, 7]
    assert chunks.at[1] - last >= 0.9  # ``quiet`` after the last one, measured from before it was handed over
    assert proc.close(5)


def test_a_storm_waits_the_whole_linger_through_a_pause(chunks):
    proc = _processor(linger=1.5, quiet=0.1, few=10)
    proc.hand_over(_one(0))
    assert chunks.wait_for(1, timeout=5.0)
    handed = time.monotonic()
    proc.hand_over([Pending(n, f"1:d-{n}", Batch()) for n in range(1, 21)])  # a group as large as a storm's
    time.sleep(0.5)  # the senders pause for longer than ``quiet``
    assert chunks.sizes == [1], "a storm's queue was taken at the first pause"
    proc.hand_over(_one(21))
    assert chunks.wait_for(22, timeout=10.0)
    assert chunks.sizes == [1, 21] and chunks.at[1] - handed >= 1.4
    assert proc.close(5)


def test_a_steady_stream_is_taken_every_linger_while_it_lasts(chunks):
    proc = _processor(linger=0.3, quiet=10.0)
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < 1.5:  # never quiet: only the cap ends each wait
        proc.hand_over(_one(n))
        n += 1
        time.sleep(0.01)
    ended = time.monotonic()
    assert chunks.wait_for(n, timeout=15.0)
    during = [size for size, at in zip(chunks.sizes, chunks.at, strict=True) if at < ended]
    assert len(during) >= 3, f"chunks {chunks.sizes}: the stream was not taken while it lasted"
    assert max(chunks.sizes) > 1 and sum(chunks.sizes) == n
    assert proc.close(5)


def test_a_full_chunk_is_taken_without_waiting(chunks):
    proc = _processor(linger=30.0, quiet=30.0, max_chunk=10)
    proc.hand_over(_one(0))
    assert chunks.wait_for(1, timeout=5.0)
    proc.hand_over([Pending(n, f"1:d-{n}", Batch()) for n in range(1, 26)])
    assert chunks.wait_for(26, timeout=5.0), "a full chunk, or what it left, waited for the linger"
    assert chunks.sizes == [1, 10, 10, 5]
    assert proc.close(5)


def test_a_delivery_that_came_while_a_chunk_was_stored_waits_for_company(monkeypatch):
    """A pause in arrivals while the processor is busy is not quiet (it may be the chunk holding senders back)."""
    recorder, release = Chunks(), threading.Event()

    def slow(factory, contracts, work):  # noqa: ANN001
        recorder(factory, contracts, work)
        if len(recorder.sizes) == 1:
            release.wait(10)

    monkeypatch.setattr(processor_module, "process_pending", slow)
    proc = _processor(linger=30.0, quiet=0.5)
    proc.hand_over(_one(1))
    assert recorder.wait_for(1, timeout=5.0)
    time.sleep(0.7)  # longer than ``quiet`` without an arrival, but the first chunk is still being stored
    proc.hand_over(_one(2))
    release.set()
    time.sleep(0.1)
    proc.hand_over(_one(3))
    assert recorder.wait_for(3, timeout=5.0)
    assert recorder.sizes == [1, 2]  # the second did not go alone: it lingered and the third joined it
    assert proc.close(5)
