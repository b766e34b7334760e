"""Prometheus exposition: request counts and latency, webhook intake, sync runs, open clocks and attainment per
client, alerts, the quarantine and the worker.

Each app has its own registry (nothing global), so tests and several apps in one process never share counts.
Stored state is read from the database at scrape time, so every replica reports the same; attainment is kept a
minute (app.api.prometheus_figures). `deploy/grafana/delivery-pulse.json` is the dashboard over these.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.prometheus_figures import FiguresCache, operation_families
from app.core.tables import ClockRow, IntakeQueue, SyncRun
from app.reports.clocks import state_expr
from metrics.model import ClockKind, ClockState

log = logging.getLogger("pulse.prom")
OPEN_STATES = (ClockState.RUNNING, ClockState.AT_RISK, ClockState.PAUSED, ClockState.BREACHED)
router = APIRouter(tags=["health"])


class PulseMetrics:
    """The app's registry and the instruments the request middleware feeds."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pulse_http_requests", "HTTP requests answered, by route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("pulse_http_request_duration_seconds", "Time to answer, by route template.",
                                 ["method", "route"], registry=self.registry)
        self.webhooks = Counter("pulse_webhook_deliveries", "Webhook deliveries received, by source and HTTP status "
                                "(202 accepted, 200 duplicate, 4xx refused, 503 not stored).",
                                ["source", "status"], registry=self.registry)
        self.webhook_latency = Histogram("pulse_webhook_duration_seconds", "Time to verify, store and acknowledge "
                                         "a webhook delivery.", ["source"], registry=self.registry)
        # The labelled children of one (method, route, status), looked up once: ``labels()`` takes a lock and
        # builds its key on every call, a cost per request that showed in the webhook storm's profile.
        self._children: dict[tuple[str, str, int], tuple[list[Any], list[Any]]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        children = self._children.get((method, route, status))
        if children is None:
            children = self._children.setdefault((method, route, status), self._labelled(method, route, status))
        counters, histograms = children
        for counter in counters:
            counter.inc()
        for histogram in histograms:
            histogram.observe(seconds)

    def _labelled(self, method: str, route: str, status: int) -> tuple[list[Any], list[Any]]:
        """The counters and histograms one request of this method, route and status is counted and timed in."""
        counters = [self.requests.labels(method, route, str(status))]
        histograms = [self.latency.labels(method, route)]
        if route.startswith("/webhooks/"):
            source = route.removeprefix("/webhooks/")
            counters.append(self.webhooks.labels(source, str(status)))
            histograms.append(self.webhook_latency.labels(source))
        return counters, histograms


class RequestMetricsMiddleware:
    """Count and time every HTTP request by its route template (never the raw path, to bound label values)."""

    def __init__(self, app: ASGIApp, metrics: PulseMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope.get("method", "GET"), route, status, time.perf_counter() - started)


class StoredStateCollector:
    """Read sync runs and open clocks from the database at each scrape."""

    def __init__(self, open_session: Callable[[], Session], clients: Callable[[], list[str]]) -> None:
        # Both are called at scrape time: tests swap the engine, and the contracts may be reloaded.
        self.open_session = open_session
        self.clients = clients
        self.figures = FiguresCache()

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pulse_database_up", "1 when the database answered this scrape.")
        try:
            with self.open_session() as session:
                clients = self.clients()
                families = [*_sync_families(session), _open_clock_family(session, clients),
                            _intake_queue_family(session), *operation_families(session),
                            *self.figures.families(session, clients)]
        except SQLAlchemyError as exc:
            log.warning("metrics scrape could not read the database: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _sync_families(session: Session) -> list[Metric]:
    runs = CounterMetricFamily("pulse_sync_runs", "Sync runs recorded, by source, mode and outcome.",
                               labels=["source", "mode", "status"])
    for source, mode, status, count in session.execute(
        select(SyncRun.source, SyncRun.mode, SyncRun.status, func.count()).group_by(
            SyncRun.source, SyncRun.mode, SyncRun.status)
    ):
        runs.add_metric([source, mode, status], count)
    last = GaugeMetricFamily("pulse_sync_last_finished_timestamp_seconds",
                             "When the last sync run of each source and outcome finished (Unix time).",
                             labels=["source", "status"])
    for source, status, finished in session.execute(
        select(SyncRun.source, SyncRun.status, func.max(SyncRun.finished_at))
        .where(SyncRun.finished_at.is_not(None)).group_by(SyncRun.source, SyncRun.status)
    ):
        moment = finished if isinstance(finished, datetime) else _parse_stored(finished)
        if moment is not None:
            last.add_metric([source, status], moment.timestamp())
    return [runs, last]


def _parse_stored(value: Any) -> datetime | None:
    # SQLite returns max() of a datetime column as the stored text, without the column's type.
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _intake_queue_family(session: Session) -> Metric:
    family = GaugeMetricFamily("pulse_intake_queue_deliveries", "Webhook deliveries acknowledged whose records and "
                               "clocks are not stored yet (normally a handful; a growing number means the database "
                               "is refusing them or the server is behind).")
    family.add_metric([], session.scalar(select(func.count()).select_from(IntakeQueue)) or 0)
    return family


def _open_clock_family(session: Session, clients: list[str]) -> Metric:
    family = GaugeMetricFamily("pulse_open_clocks", "Clocks not stopped yet, by client, promise and state right "
                               "now (running, at_risk, paused, breached).", labels=["client", "kind", "state"])
    # Counted here rather than with GROUP BY, which SQLite answers by walking an index row by row.
    counts = Tally(tuple(row) for row in session.execute(
        select(ClockRow.client, ClockRow.kind, state_expr(datetime.now(UTC))).where(ClockRow.stopped_at.is_(None))
    ))
    # Every client, promise and state is reported, zeros included, so dashboards see a series from the start.
    names = sorted(set(clients) | {c for c, _, _ in counts})
    for client in names:
        for kind in ClockKind:
            for st in OPEN_STATES:
                family.add_metric([client, kind.value, st.value], counts.get((client, kind.value, st.value), 0))
    return family


def install_metrics(app: Any) -> PulseMetrics:
    """Give the app its registry, the request middleware and the scrape-time collector."""
    metrics = PulseMetrics()
    metrics.registry.register(StoredStateCollector(
        lambda: app.state.sessionmaker(), lambda: sorted(app.state.contracts.clients)))
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.state.prom = metrics
    return metrics


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests by route and status (webhook intake by source and status), latency, sync runs, open "
    "clocks per client and state, attainment per client and promise over the last 7 and 30 days, alerts, the "
    "quarantine and the worker's last job. Outside bearer auth, like the health endpoints.",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format 0.0.4.",
                     "content": {"text/plain": {"schema": {"type": "string"},
                                                "example": 'pulse_open_clocks{client="acme",kind="response",'
                                                           'state="at_risk"} 1.0\n'}}}},
)
def read_metrics(request: Request) -> Response:
    metrics: PulseMetrics = request.app.state.prom
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)
