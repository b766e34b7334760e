"""Shared helpers for the benchmarks: the machine, percentiles, throwaway databases, servers in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
POSTGRES_URL = os.environ.get("PULSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> str:
    """Describe this machine in one line: date, cores, memory and CPU model."""
    cpu = "unknown CPU"
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    total = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    python = sys.version.split()[0]
    return f"{today}; nproc {os.cpu_count()}, {total / 1024 / 1024:.1f} GiB memory, {cpu}; Python {python}"


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) by linear interpolation, as numpy's default does."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_available() -> bool:
    """Say whether the machine's PostgreSQL answers at POSTGRES_URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except OperationalError:
        return False


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty database with the app's tables: a SQLite file, or a private PostgreSQL schema."""
    from sqlalchemy import create_engine, text

    from app.core.db import make_engine
    from app.core.tables import Base

    if kind == "sqlite":
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Every connection the app opens gets the schema through libpq's options, so no app code changes.
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def uvicorn_server(
    target: str, env: dict[str, str], *, root: Path = ROOT, wait_path: str = "/openapi.json", wait_s: float = 120
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve ``module:factory`` from the code tree ``root`` under uvicorn in its own process; yield (URL, process).

    ``root`` may be a scratch copy of the repository holding a candidate change, measured like the original.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--loop", "auto", "--http", "auto", "--no-access-log", "--log-level", "warning",
    ]
    # The bench helpers come from this tree; the app from ``root`` (first on the path, as uvicorn's cwd).
    path = os.pathsep.join(dict.fromkeys([str(root), str(ROOT)]))
    proc = subprocess.Popen(command, cwd=root, env={**os.environ, "PYTHONPATH": path, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_s  # a loaded machine can take half a minute to import the app
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{target} exited with {proc.returncode} before serving")
            try:
                if httpx.get(base + wait_path, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not answer on {base} within {wait_s:.0f} s")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """Return (current RSS, peak RSS) of a process in MB, from /proc (VmRSS and VmHWM)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def profile_during(pid: int, out: Path, seconds: int, focus: Sequence[str] = ()) -> Callable[[], dict[str, Any]]:
    """Record ``pid`` with py-spy for ``seconds``; return a function that waits and sums the profile up.

    Only the thread holding the GIL is sampled (``--gil``): in one Python process that is the scarce
    resource, so the shares say where the server's time really goes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "-p", str(pid), "-d", str(seconds), "-r", "200", "--gil", "-f", "raw",
               "-o", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def finish() -> dict[str, Any]:
        proc.wait(timeout=seconds + 60)
        return summarize_profile(out, focus)

    return finish


def summarize_profile(path: Path, focus: Sequence[str] = (), top: int = 12) -> dict[str, Any]:
    """Read py-spy's collapsed stacks; return the samples, each focus function's share, the top self frames."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_short(f) for f in stack.split(";")]
        for name in {f.split(" (")[0] for f in frames}:
            inclusive[name] += samples
        own[frames[-1]] += samples
    total = max(total, 1)
    lines = [f"inclusive {100 * inclusive[name] / total:5.1f}%  {name}" for name in focus]
    lines += [f"self      {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return {"samples": total, "path": str(path), "top": lines}


def _short(frame: str) -> str:
    """Shorten 'func (/long/path/site-packages/pkg/mod.py:12)' to 'func (pkg/mod.py)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


LUA = """
local f = io.open("%(body_path)s", "rb")
local body = f:read("*a")
f:close()
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  wrk.method = "POST"
  wrk.body = body
%(headers)s
end

function request()
  counter = counter + 1
  wrk.headers["%(unique)s"] = "%(prefix)s-" .. tid .. "-" .. counter
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"status": %%d, "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def ensure_wrk() -> bool:
    """Say whether wrk is here, installing Debian's package first if it is missing and we may."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        done = subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True)
        if done.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True)
    return shutil.which("wrk") is not None


def wrk_load(endpoint: str, body: bytes, headers: dict[str, str], unique: str, *, seconds: int, connections: int,
             prefix: str) -> dict[str, Any]:
    """POST ``body`` to ``endpoint`` with wrk (one thread, fixed connections), header ``unique`` new each time."""
    with tempfile.TemporaryDirectory(prefix="pulse-wrk-") as tmp:
        body_path, script = Path(tmp) / "body.json", Path(tmp) / "deliveries.lua"
        body_path.write_bytes(body)
        lines = "\n".join(f'  wrk.headers["{name}"] = "{value}"' for name, value in headers.items())
        script.write_text(LUA % {"body_path": body_path, "headers": lines, "unique": unique, "prefix": prefix})
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), endpoint],
            capture_output=True, text=True, timeout=seconds + 60,
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("RESULT "))
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "requests": raw["requests"], "non_2xx": raw["status"],
            "socket_errors": socket_errors, "acknowledged": raw["requests"] - raw["status"]}


def python_load(endpoint: str, body: bytes, headers: dict[str, str], unique: str, *, seconds: int, connections: int,
                prefix: str) -> dict[str, Any]:
    """POST like ``wrk_load`` from ``connections`` asyncio senders for ``seconds`` (the fallback without wrk)."""
    import asyncio

    async def run() -> tuple[list[float], list[int], float]:
        latencies: list[float] = []
        statuses: list[int] = []
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:
            start = time.monotonic()
            deadline = start + seconds

            async def sender(n: int) -> None:
                count = 0
                while time.monotonic() < deadline:
                    count += 1
                    sent = time.monotonic()
                    try:
                        answer = await client.post(endpoint, content=body,
                                                   headers={**headers, unique: f"{prefix}-{n}-{count}"})
                        statuses.append(answer.status_code)
                    except httpx.HTTPError:
                        statuses.append(0)
                    latencies.append(time.monotonic() - sent)

            await asyncio.gather(*(sender(n) for n in range(connections)))
            return latencies, statuses, time.monotonic() - start

    latencies, statuses, elapsed = asyncio.run(run())
    ok = sum(1 for s in statuses if 200 <= s < 300)
    return {"rps": len(statuses) / elapsed, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "requests": len(statuses),
            "non_2xx": sum(1 for s in statuses if s and not 200 <= s < 300),
            "socket_errors": statuses.count(0), "acknowledged": ok}
