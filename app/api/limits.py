"""Request body limits for every route, enforced before a body is read, and secrets kept out of access logs."""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import problem_response

API_BODY_LIMIT = 1024 * 1024  # /v1 bodies are small JSON documents
_TOKEN_IN_QUERY = re.compile(r"(?i)(token=)[^&\s]*")


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


class RedactTokens(logging.Filter):
    """Hide ``?token=`` values (the Jira URL token) in access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def redact_access_log() -> None:
    """Install the redaction on uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
