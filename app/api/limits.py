"""Request body limits for every route, enforced before a body is read, and secrets kept out of access logs."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import problem_response

API_BODY_LIMIT = 1024 * 1024  # /v1 bodies are small JSON documents
# A query parameter whose name (percent-decoded) says it may hold a secret; on webhook paths every value is hidden.
_SECRET_NAME = re.compile(r"(?i)token|key|secret|passw|pwd|auth|sig|credential|session|cookie|code")


class BodyLimit:
    """Answer 413 as soon as a body is known to be too large: from Content-Length, or while it streams in."""

    def __init__(self, app: ASGIApp, *, webhook_limit: int, api_limit: int = API_BODY_LIMIT) -> None:
        self.app = app
        self.webhook_limit = webhook_limit
        self.api_limit = api_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.webhook_limit if scope["path"].startswith("/webhooks/") else self.api_limit
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(limit)(scope, receive, send)


class _TooLarge(Exception):
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
