"""Database outage: a private PostgreSQL is crashed and restarted twice mid-storm. Every answer is 2xx or 503 (never
a hang or a 500); once the senders have retried their 503s, the records equal the in-order, no-outage run."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable

from app.core.db import make_engine
from app.core.migrate import upgrade
from tests.reliability import private_pg
from tests.reliability.live import pulse_serve, send_all
from tests.reliability.private_pg import PrivatePostgres
from tests.reliability.secrets import assert_no_secrets
from tests.reliability.snapshot import differences, processed_records

OUTAGES_AT = (0.25, 0.6)  # share of the deliveries answered 2xx when the database goes down
DOWN_FOR = 2.0  # seconds


class Outages(threading.Thread):
    """Crash the database each time the storm reaches a mark, keep it down a while, start it again."""

    def __init__(self, pg: PrivatePostgres, total: int) -> None:
        super().__init__(name="outages", daemon=True)
        self.pg, self.total = pg, total
        self.stored = itertools.count()
        self.done = 0
        self.error: BaseException | None = None

    def on_answer(self, code: int) -> None:
        if code in (200, 202):
            self.done = next(self.stored) + 1

    def run(self) -> None:
        try:
            for mark in OUTAGES_AT:
                self._wait_for(lambda m=mark: self.done >= m * self.total)
                self.pg.stop("immediate")
                time.sleep(DOWN_FOR)
                self.pg.start()
        except BaseException as exc:  # noqa: BLE001 - reported by the test after join()
            self.error = exc

    def _wait_for(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 300
        while not condition():
            assert time.monotonic() < deadline, "the storm stalled before the outage mark"
            time.sleep(0.01)


def test_a_database_crash_mid_storm_loses_nothing_once_503s_are_retried(tmp_path, storm_deliveries,
                                                                          reference_records):
    private_pg.require()
    history, shuffled = storm_deliveries
    with private_pg.private_postgres() as pg:
        engine = make_engine(pg.url)
        upgrade(engine)
        with pulse_serve(pg.url, tmp_path) as server:
            outages = Outages(pg, len(shuffled))
            outages.start()
            outcomes = send_all(server.base_url, shuffled, retry_503=True, on_answer=outages.on_answer)
            outages.join(timeout=120)
            assert outages.error is None, f"{outages.error}\n{pg.server_log()}"
            assert not outages.is_alive()
            stored = processed_records(engine)
        engine.dispose()
    assert [o.errors for o in outcomes if o.errors] == [], "no request may hang or be cut off"
    codes = Counter(code for o in outcomes for code in o.codes)
    print(f"answers: {dict(codes)}")
    assert set(codes) <= {200, 202, 503}, codes
    assert codes[503] > 0, "the outage was not felt: no request was answered 503"
    assert {o.final for o in outcomes} <= {200, 202}, "every delivery is stored in the end"
    accepted = Counter(o.delivery.key for o in outcomes if 202 in o.codes)
    assert set(accepted.values()) <= {1}, "no delivery is accepted twice"
    assert differences(reference_records, stored) == []
    assert stored == reference_records
    log = server.log()
    assert_no_secrets(log)
    assert " 500 " not in log and "Traceback" not in log, log[-3000:]
