"""`pulse serve`: several processes on one port, and connections that send their headers too slowly are closed."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI

from app.cli.serving import HeaderDeadlineProtocol
from tests.conftest import TOKEN
from tests.reliability.live import ROOT, free_port, server_env


def test_serve_with_workers_runs_several_processes_on_one_port(tmp_path):
    contracts = tmp_path / "pulse.yaml"
    contracts.write_text("clients: []\n")
    port = free_port()
    env = server_env(f"sqlite:///{tmp_path / 'pulse.db'}", contracts)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(re.findall(r"Started server process", log_path.read_text())) < 2:
            assert proc.poll() is None, log_path.read_text()
            time.sleep(0.2)
        assert len(set(re.findall(r"Started server process \[(\d+)\]", log_path.read_text()))) == 2
        answers = set()
        for _ in range(20):
            r = httpx.get(f"http://127.0.0.1:{port}/v1/clocks", headers={"Authorization": f"Bearer {TOKEN}"},
                          timeout=10)
            answers.add(r.status_code)
        assert answers == {200}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert "Traceback" not in log_path.read_text()


class _QuickDeadline(HeaderDeadlineProtocol):
    header_seconds = 1.0


def _closed_after(port: int, first_bytes: bytes, trickle: bytes = b"") -> float:
    """Open a connection, send some bytes (then a byte every 0.3 s), and return the seconds until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        started = time.monotonic()
        sock.sendall(first_bytes)
        sock.settimeout(0.3)
        for byte in trickle:
            try:
                if sock.recv(1024) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                pass
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return time.monotonic() - started
        sock.settimeout(20)
        while sock.recv(1024):
            pass
        return time.monotonic() - started


def test_connections_that_send_nothing_or_trickle_their_headers_are_closed():
    app = FastAPI()

    @app.get("/")
    def root() -> dict[str, str]:
        return {"ok": "yes"}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=_QuickDeadline, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        assert _closed_after(port, b"") < 5  # opened, nothing sent
        assert _closed_after(port, b"GET / HTTP/1.1\r\n", b"Host: x\r\nX-Slow: " + b"a" * 40) < 5
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).json() == {"ok": "yes"}  # a normal request
    finally:
        server.should_exit = True
        thread.join(timeout=10)
