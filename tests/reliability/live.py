"""A real `pulse serve` on 127.0.0.1 and 32 concurrent senders that retry a 503 like GitHub and Jira do."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import CONTRACTS_YAML, GITHUB_SECRET, JIRA_SECRET, TOKEN
from tests.reliability.corpus import Signed

ROOT = Path(__file__).resolve().parents[2]
SENDERS = 32
ANSWER_TIMEOUT = 30.0  # seconds; a request still unanswered then counts as a hang
PORT_ATTEMPTS = 3  # starts of a server whose free port was taken by another process before it bound it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, contracts: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a server with our secrets and tokens, and nothing from the caller's PULSE_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update({"PULSE_DATABASE_URL": database_url, "PULSE_CONTRACTS": str(contracts),
                "PULSE_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET, "PULSE_JIRA_WEBHOOK_SECRET": JIRA_SECRET,
                "PULSE_API_TOKENS": TOKEN, "PULSE_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", **extra})
    return env


@dataclass
class LiveServer:
    """A `pulse serve` process; its whole log (stdout and stderr) goes to ``log_path``."""

    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def port_taken(log: str) -> bool:
    """Say whether a server's log shows that someone else bound its port first."""
    return "address already in use" in log.lower()


@contextmanager
def pulse_serve(database_url: str, workdir: Path, **env: str) -> Iterator[LiveServer]:
    """Run `pulse serve` against ``database_url`` on a free port until the block ends."""
    contracts = workdir / "pulse.yaml"
    contracts.write_text(CONTRACTS_YAML, encoding="utf-8")
    for attempt in range(1, PORT_ATTEMPTS + 1):
        server = _start_serve(database_url, workdir, contracts, env)
        try:
            _wait_until_up(server)
            break
        except AssertionError:
            _stop(server.process)
            # free_port() lets the port go before the server binds it: another test worker may take it first.
            if attempt == PORT_ATTEMPTS or not port_taken(server.log()):
                raise
    try:
        yield server
    finally:
        _stop(server.process)


def _start_serve(database_url: str, workdir: Path, contracts: Path, env: dict[str, str]) -> LiveServer:
    port = free_port()
    log_path = workdir / f"serve-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "app.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=server_env(database_url, contracts, **env), stdout=log, stderr=subprocess.STDOUT)
    return LiveServer(f"http://127.0.0.1:{port}", log_path, proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"pulse serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"pulse serve did not answer within a minute:\n{server.log()}")


@dataclass
class Outcome:
    """Every answer one delivery got, in order (a retried 503 adds one)."""

    delivery: Signed
    codes: list[int] = field(default_factory=list)
    statuses: list[str | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # transport errors and timeouts: hangs, resets

    @property
    def final(self) -> int | None:
        return self.codes[-1] if self.codes else None


def send_all(base_url: str, deliveries: Sequence[Signed], *, retry_503: bool = False, retry_wait: float = 0.2,
             max_attempts: int = 300, senders: int = SENDERS,
             on_answer: Callable[[int], None] | None = None) -> list[Outcome]:
    """Send every delivery once from ``senders`` threads; with ``retry_503``, resend each 503 until it is not.

    ``on_answer(status code)`` is called from the sender threads after every answer, for progress.
    """
    work: queue.Queue[Outcome] = queue.Queue()
    outcomes = [Outcome(d) for d in deliveries]
    for outcome in outcomes:
        work.put(outcome)

    def sender() -> None:
        with httpx.Client(base_url=base_url, timeout=ANSWER_TIMEOUT) as http:
            while True:
                try:
                    outcome = work.get_nowait()
                except queue.Empty:
                    return
                _deliver(http, outcome, retry_503, retry_wait, max_attempts, on_answer)

    threads = [threading.Thread(target=sender, name=f"sender-{i}") for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _deliver(http: httpx.Client, outcome: Outcome, retry_503: bool, retry_wait: float, max_attempts: int,
             on_answer: Callable[[int], None] | None) -> None:
    d = outcome.delivery
    for _ in range(max_attempts):
        try:
            r = http.post(d.path, content=d.body, headers=d.headers)
        except httpx.HTTPError as exc:
            outcome.errors.append(f"{type(exc).__name__}: {exc}")
            return
        outcome.codes.append(r.status_code)
        outcome.statuses.append(r.json().get("status") if r.status_code < 300 else None)
        if on_answer is not None:
            on_answer(r.status_code)
        if r.status_code != 503 or not retry_503:
            return
        # GitHub and Jira retry a failed delivery later; the test waits less than Retry-After to stay quick.
        time.sleep(retry_wait)


@dataclass
class RawAnswer:
    status: int | None  # None: the connection closed without an answer
    sent: int  # body bytes the server took before it answered


def post_raw(base_url: str, head: str, chunks: Iterator[bytes] | Sequence[bytes]) -> RawAnswer:
    """Send a request head, then the body chunk by chunk, stopping as soon as the server answers.

    A server that refuses a body from its Content-Length answers before taking it all; a plain client
    would fail writing the rest instead of reading that answer.
    """
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=ANSWER_TIMEOUT) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        answer, sent = _send_until_answered(sock, chunks)
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer:
            try:
                more = sock.recv(65536)
            except ConnectionResetError:
                break
            if not more:
                break
            answer += more
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return RawAnswer(status, sent)


def _send_until_answered(sock: socket.socket, chunks: Iterator[bytes] | Sequence[bytes]) -> tuple[bytes, int]:
    answer, sent = b"", 0
    deadline = time.monotonic() + ANSWER_TIMEOUT
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            assert time.monotonic() < deadline, "the server neither read the body nor answered"
            try:
                n = sock.send(view)
                view, sent = view[n:], sent + n
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                return answer, sent
            with suppress(BlockingIOError, ConnectionResetError):
                answer += sock.recv(65536)
            if b"\r\n\r\n" in answer:
                return answer, sent
    return answer, sent
