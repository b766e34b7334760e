"""Request body limits for every route, enforced before a body is read, and secrets kept out of access logs."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import problem_response

API_BODY_LIMIT = 1024 * 1024  # /v1 bodies are small JSON documents
log = logging.getLogger("pulse.api")
# A query parameter whose name (percent-decoded) says it may hold a secret; on webhook paths every value is hidden.
_SECRET_NAME = re.compile(r"(?i)token|key|secret|passw|pwd|auth|sig|credential|session|cookie|code")


class BodyLimit:
    """Guard the server's memory and connections against bodies: too large, too slow, or too many at once.

    - 413 as soon as a body is known to be too large: from Content-Length, or while it streams in;
    - 503 with Retry-After when the bodies being received by this process together would pass
      ``in_flight_limit`` bytes (slow senders cannot make the server hold unbounded memory);
    - 408 when a body has not fully arrived ``body_seconds`` after the request began (a trickle is cut off).
    """

    def __init__(self, app: ASGIApp, *, webhook_limit: int, in_flight_limit: int, body_seconds: float,
                 api_limit: int = API_BODY_LIMIT) -> None:
        self.app = app
        self.webhook_limit = webhook_limit
        self.api_limit = api_limit
        self.in_flight_limit = in_flight_limit
        self.body_seconds = body_seconds
        self.in_flight = 0  # bytes of bodies being received now, by every request of this process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.webhook_limit if scope["path"].startswith("/webhooks/") else self.api_limit
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = held = 0
        complete = False
        deadline = asyncio.get_running_loop().time() + self.body_seconds

        async def limited() -> Message:
            nonlocal seen, held, complete
            if complete:  # the body is in; what follows is waiting for a disconnect, which has no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - asyncio.get_running_loop().time(), 0))
            except TimeoutError:
                raise _TooSlow from None
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                seen += size
                if seen > limit:
                    raise _TooLarge
                if self.in_flight + size > self.in_flight_limit:
                    raise _TooMany
                self.in_flight += size
                held += size
                complete = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(limit)(scope, receive, send)
        except _TooMany:
            log.warning("bodies in flight would pass %s bytes: a request was asked to retry", self.in_flight_limit)
            await problem_response(503, "The server is receiving too much at once; retry in a few seconds. Nothing "
                                        "was stored.", headers={"Retry-After": "5", "Connection": "close"}
                                   )(scope, receive, send)
        except _TooSlow:
            await problem_response(408, f"The body did not arrive within {self.body_seconds:g} seconds; send it "
                                        "again. Nothing was stored.", headers={"Connection": "close"}
                                   )(scope, receive, send)
        finally:
            self.in_flight -= held


class _TooLarge(Exception):
    pass


class _TooMany(Exception):
    pass


class _TooSlow(Exception):
    pass


def _too_large(limit: int) -> Any:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return problem_response(413, f"The body is larger than {size}; nothing was stored.")


def redact_query(path: str) -> str:
    """Hide query values that may be secrets: every one on a webhook path, and those named like a secret."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    webhook = base.startswith("/webhooks/")
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        secret = webhook or _SECRET_NAME.search(unquote_plus(name)) is not None
        pairs.append(f"{name}=[redacted]" if equals and secret else pair)
    return f"{base}?{'&'.join(pairs)}"


class RedactTokens(logging.Filter):
    """Hide secrets in the query strings of access log lines (the Jira URL token, keys, passwords)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) and a.startswith("/") else a
                                for a in record.args)
        return True


def redact_access_log() -> None:
    """Install the redaction on uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
