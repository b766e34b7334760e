"""Fixtures of the reliability suite: the storm's deliveries, the reference records, and live databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.core.db import make_engine
from app.core.migrate import upgrade
from tests.conftest import POSTGRES_URL, _drop_schema, _postgres_engine
from tests.reliability.corpus import Signed, storm
from tests.reliability.reference import reference_records as in_order_records

# 10,000 is the figure; the default keeps the normal run within a few minutes on two cores.
DEFAULT_STORM_SIZE = 2000


def storm_size() -> int:
    return int(os.environ.get("PULSE_STORM_SIZE", DEFAULT_STORM_SIZE))


@pytest.fixture(scope="session")
def storm_deliveries() -> tuple[list[Signed], list[Signed]]:
    """(the history in order, the storm: the history plus 20 % duplicates, shuffled)."""
    return storm(storm_size())


@pytest.fixture(scope="session")
def reference_records(storm_deliveries, tmp_path_factory) -> dict[str, list[tuple[Any, ...]]]:
    """The records of the history ingested in order by a single sender into a fresh SQLite database."""
    history, _ = storm_deliveries
    return in_order_records(tmp_path_factory.mktemp("reference") / "reference.db", history)


@contextmanager
def live_database(db_url: str, workdir: Path) -> Iterator[tuple[str, Engine]]:
    """Yield (a URL another process can use, an engine) for a fresh, migrated database.

    ``db_url`` is the conftest ``db_url`` value: a SQLite URL, or "postgresql" for a private schema on the
    shared test server (its search_path travels in the URL, as in tests/app/test_worker_processes.py).
    """
    if db_url != "postgresql":
        url = f"sqlite:///{workdir / f'live-{uuid.uuid4().hex[:8]}.db'}"
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield url, engine
        finally:
            engine.dispose()
        return
    schema = f"r_{uuid.uuid4().hex[:12]}"
    engine = _postgres_engine(schema)
    upgrade(engine)
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", engine
    finally:
        engine.dispose()
        _drop_schema(schema)
