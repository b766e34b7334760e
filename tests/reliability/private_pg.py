"""A private PostgreSQL instance for one test: its own data folder and port, stopped and started at will.

The machine's shared server is never touched. PostgreSQL refuses to run as root, so under root every
command runs as the ``postgres`` OS user (``runuser -u postgres --``) on a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.live import PORT_ATTEMPTS, free_port, port_taken


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _runner() -> tuple[list[str], str | None]:
    """Return the command prefix and the OS user PostgreSQL runs as."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return [], "there is no postgres OS user to run PostgreSQL as (it refuses to run as root)"
    if shutil.which("runuser") is None:
        return [], "runuser is not available to run PostgreSQL as the postgres OS user"
    return ["runuser", "-u", "postgres", "--"], None


def unavailable() -> str | None:
    """Say why a private instance cannot be started here, or None when it can."""
    if _bin_dir() is None:
        return "initdb is not installed (Debian: apt-get install postgresql)"
    return _runner()[1]


def require() -> None:
    """Skip the test with the reason when there is no private PostgreSQL here; in CI, fail instead."""
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"A private PostgreSQL instance is needed and {reason}; CI must provide it.")
    pytest.skip(f"No private PostgreSQL instance: {reason}.")


@dataclass
class PrivatePostgres:
    """One PostgreSQL instance in ``data``, listening on 127.0.0.1:``port``."""

    bin_dir: Path
    prefix: list[str]
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        cmd = [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)  # noqa: S603
        assert done.returncode == 0, f"{' '.join(args)} failed: {done.stdout}{done.stderr}{self.server_log()}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        self._ctl("-l", str(self.data / "server.log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is a crash: no checkpoint, connections cut mid-transaction."""
        self._ctl("-m", mode, "-w", "-t", "60", "stop")

    def server_log(self) -> str:
        path = self.data / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _started(pg: PrivatePostgres) -> PrivatePostgres:
    """Start on a free port; on another, should a parallel test worker bind that one first."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        pg.port = free_port()
        try:
            pg.start()
            return pg
        except AssertionError:
            if attempt == PORT_ATTEMPTS or not port_taken(pg.server_log()):
                raise
    raise AssertionError("unreachable")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Create, start and at the end remove a private PostgreSQL instance (call ``require()`` first)."""
    bin_dir = _bin_dir()
    assert bin_dir is not None
    prefix, _ = _runner()
    home = Path(tempfile.mkdtemp(prefix="pulse-private-pg-"))
    data = home / "data"
    if prefix:
        pw = pwd.getpwnam("postgres")
        os.chown(home, pw.pw_uid, pw.pw_gid)
    done = subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",  # noqa: S603
                           "-E", "UTF8", "--no-sync"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    pg = _started(PrivatePostgres(bin_dir, prefix, data, 0))
    try:
        yield pg
    finally:
        with suppress(AssertionError):  # already stopped, or the test broke it: the folder goes anyway
            pg.stop("fast")
        shutil.rmtree(home, ignore_errors=True)
