"""One job at a time: a PostgreSQL advisory lock, or a file lock beside the SQLite database."""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url


class JobBusy(RuntimeError):
    """Another process is running this job right now."""


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_path(engine: Engine, name: str) -> Path:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        base = Path(tempfile.gettempdir()) / "pulse-memory"
    else:
        base = Path(database).resolve()
    return base.with_name(f"{base.name}.{name}.lock")


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock for ``name`` while the block runs; raise JobBusy at once if another holder has it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            # Advisory locks span the whole database: name the schema too, so two installations
            # (or two test runs) in one database never block each other.
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            key = _advisory_key(f"{schema}:{name}")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            if not got:
                raise JobBusy(f"Another process is already running the {name} job; try again when it ends.")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    path = _lock_path(engine, name)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JobBusy(f"Another process is already running the {name} job; try again when it ends.") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
