"""How `pulse serve` runs uvicorn: each process closes connections that send their headers too slowly."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.main import create_app
from app.settings import load_settings

HEADER_SECONDS = 10.0  # a request's line and headers must arrive within this (its body has its own deadline)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, closing a connection whose request headers do not arrive in time.

    uvicorn closes idle connections only between requests; a client that opens a connection and sends nothing,
    or its headers a byte at a time, would hold it for ever.
    """

    header_seconds = HEADER_SECONDS
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on this connection gets the same time for its headers

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


def server_options(log_level: str) -> dict[str, Any]:
    """Return the uvicorn options every `pulse serve` process runs with."""
    # Named, not passed: with several processes uvicorn hands its options to each one by name.
    return {"log_level": log_level.lower(), "http": f"{__name__}:{HeaderDeadlineProtocol.__name__}"}


def freeze_startup_objects() -> None:
    """Keep the objects built at start-up out of garbage collection.

    The app keeps about 150,000 long-lived objects (routes, schemas, word lists); without this every
    full collection rescans them, which profiling showed as the largest cost per webhook delivery.
    """
    gc.collect()
    gc.freeze()


def app_for_server_process() -> FastAPI:
    """Build the app of one `pulse serve --workers N` process from the PULSE_* environment."""
    app = create_app(load_settings())
    freeze_startup_objects()
    return app
