"""The body guard: too large (413), too many bytes in flight at once (503), too slow (408), on a real socket too."""

from __future__ import annotations

import asyncio
import json
import socket
import time

from app.api.limits import BodyLimit
from tests.reliability.live import pulse_serve


async def _echo_length(scope, receive, send):
    """An app that reads the whole body, answers its length, then waits for the disconnect as servers do."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps({"size": size}).encode()})


def _scope(path="/v1/feedback"):
    return {"type": "http", "method": "POST", "path": path, "headers": []}


async def _call(guard, chunks, *, pause=0.0, path="/v1/feedback"):
    """Send ``chunks`` (the last one ends the body), sleeping ``pause`` before each; return (status, body)."""
    queue = list(chunks)
    sent: list[dict] = []

    async def receive():
        if not queue:
            await asyncio.sleep(3600)
        await asyncio.sleep(pause)
        chunk = queue.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(queue)}

    async def send(message):
        sent.append(message)

    await guard(_scope(path), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def _guard(**overrides):
    options = {"webhook_limit": 1000, "in_flight_limit": 1500, "body_seconds": 5.0, "api_limit": 1000} | overrides
    return BodyLimit(_echo_length, **options)


def test_a_body_within_every_limit_reaches_the_app_and_releases_its_bytes():
    guard = _guard()
    assert asyncio.run(_call(guard, [b"a" * 400, b"b" * 400])) == (200, b'{"size": 800}')
    assert guard.in_flight == 0


def test_bodies_that_together_pass_the_budget_are_asked_to_retry():
    guard = _guard()

    async def two_at_once():
        slow = asyncio.create_task(_call(guard, [b"a" * 900, b"b" * 50], pause=0.3))
        await asyncio.sleep(0.45)  # the first body's first 900 bytes are held now
        second = await _call(guard, [b"c" * 700])
        return await slow, second

    first, second = asyncio.run(two_at_once())
    assert first == (200, b'{"size": 950}')
    assert second[0] == 503 and b"receiving too much at once" in second[1]
    assert guard.in_flight == 0


def test_a_body_that_trickles_in_is_cut_off_at_its_deadline():
    guard = _guard(body_seconds=0.5)
    status, body = asyncio.run(_call(guard, [b"x"] * 20, pause=0.1))
    assert status == 408 and b"did not arrive within 0.5 seconds" in body
    assert guard.in_flight == 0


def test_an_oversized_body_is_refused_as_it_streams():
    status, body = asyncio.run(_call(_guard(), [b"a" * 600, b"b" * 600]))
    assert status == 413 and b"nothing was stored" in body


def test_a_real_server_closes_a_connection_whose_body_trickles(tmp_path):
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    with pulse_serve(url, tmp_path, PULSE_BODY_TIMEOUT_SECONDS="1") as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{")
            started = time.monotonic()
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
            waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert waited < 8, "the server closes the connection soon after the deadline"
