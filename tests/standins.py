"""Real HTTP servers on 127.0.0.1 for tests: a stand-in GitHub API and an alert receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.connectors.github.fake_github import API, FakeGitHub


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def serve(handler: Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]) -> Iterator[str]:
    """Serve ``handler(method, path, headers, body)`` on a free port; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, out = handler(self.command, self.path, dict(self.headers), body)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed mid-request: that is what some tests do

        do_GET = do_POST = do_PATCH = do_DELETE = _handle  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    # serve_forever looks for shutdown() every poll_interval: its default of 0.5 s made each stop wait ~0.5 s.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class GitHubStandIn:
    """Serve a FakeGitHub over real HTTP, optionally slowly (to be killed mid-sync)."""

    def __init__(self, fake: FakeGitHub, delay: float = 0.0) -> None:
        self.fake = fake
        self.delay = delay
        self.base_url = ""

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        if self.delay:
            time.sleep(self.delay)
        request = httpx.Request(method, API + path, headers={k.lower(): v for k, v in headers.items()})
        response = self.fake.respond(request)
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)}
        link = out_headers.get("link")
        if link:
            out_headers["link"] = link.replace(API, self.base_url)
        return response.status_code, out_headers, response.content

    @contextmanager
    def running(self) -> Iterator[str]:
        with serve(self) as url:
            self.base_url = url
            yield url


class Receiver:
    """An alert destination that records what it gets; it can fail for a while, then recover."""

    def __init__(self, fail_first: int = 0, delay: float = 0.0) -> None:
        self.fail_first = fail_first
        self.delay = delay  # seconds each answer takes, to widen the window two senders could share
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        time.sleep(self.delay)
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                return 500, {}, b"down"
            self.received.append({"path": path, "body": json.loads(body or b"{}"),
                                  "idempotency_key": headers.get("Idempotency-Key")})
        return 200, {"content-type": "application/json"}, b"{}"
