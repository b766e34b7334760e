"""Group commit for webhook intake: deliveries that arrive together are stored raw in one transaction.

Each request still waits until its own delivery is durably committed before it is acknowledged; while
one group is being committed the next one gathers, so under load a commit covers many deliveries and
the event loop never waits on the database. The records and clocks follow in the intake processor, whose
``hand_over`` the committer is given (it does not import the processor).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from app.intake.deliveries import Delivery, IntakeResult
from app.intake.raw_store import Pending, store_raw
from connectors.records import Batch

log = logging.getLogger("pulse.intake")


@dataclass
class GroupCommitter:
    """Collect deliveries from concurrent requests and commit them raw in groups of at most ``max_group``."""

    sessions: Callable[[], sessionmaker[Session]]  # read per group: a test may point a built app at its database
    hand_over: Callable[[Sequence[Pending]], None]  # gets the committed deliveries whose records are still to store
    max_group: int = 200
    _queue: asyncio.Queue[tuple[Delivery, Batch, asyncio.Future[IntakeResult]]] | None = None
    _task: asyncio.Task[None] | None = None
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    async def submit(self, delivery: Delivery, batch: Batch) -> IntakeResult:
        """Store a delivery with the next group; return once it is committed (or raise the database's error)."""
        self._ensure_running()
        assert self._queue is not None
        future: asyncio.Future[IntakeResult] = asyncio.get_running_loop().create_future()
        await self._queue.put((delivery, batch, future))
        return await future

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._queue = asyncio.Queue()
            self._loop = loop
            self._task = loop.create_task(self._run(), name="pulse-intake")

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            group = [await self._queue.get()]
            while len(group) < self.max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            await self._commit(group)

    async def _commit(self, group: list[tuple[Delivery, Batch, asyncio.Future[IntakeResult]]]) -> None:
        try:
            results, pending = await run_in_threadpool(store_raw, self.sessions(), [(d, b) for d, b, _ in group])
        except Exception as exc:
            if len(group) > 1:
                # One bad delivery must not fail its neighbours: store them one by one instead.
                log.warning("group of %s deliveries failed (%s); storing them one by one", len(group), exc)
                for item in group:
                    await self._commit([item])
                return
            _, _, future = group[0]
            if not future.done():
                future.set_exception(exc)
            return
        self.hand_over(pending)
        for (_, _, future), result in zip(group, results, strict=True):
            if not future.done():
                future.set_result(result)
