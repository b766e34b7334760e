"""Prometheus families for the promises and the operation: attainment per client and promise, alerts, quarantine,
the worker's last job.

Attainment reads the same figures as ``GET /v1/metrics`` (app.reports.figures) over rolling windows of the last 7
and 30 days, per client and promise only (never per developer or item, to keep the label set bounded), and is
kept for ``FIGURES_TTL`` so a scrape every 15 s does not rank a month of clocks each time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.core.tables import Alert, QuarantinedRecord, WorkerJob
from app.reports.clocks import ClockFilter
from app.reports.figures import figures_by
from metrics.model import ClockKind

WINDOWS = {"7d": timedelta(days=7), "30d": timedelta(days=30)}
FIGURES_TTL = 60.0


class FiguresCache:
    """The attainment families, recomputed at most once per ``ttl`` seconds (per app, shared by its scrapes)."""

    def __init__(self, ttl: float = FIGURES_TTL, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._kept: tuple[float, list[Metric]] | None = None

    def families(self, session: Session, clients: list[str]) -> list[Metric]:
        with self._lock:
            if self._kept is not None and self._monotonic() - self._kept[0] < self.ttl:
                return self._kept[1]
            found = attainment_families(session, clients, datetime.now(UTC))
            self._kept = (self._monotonic(), found)
            return found


def attainment_families(session: Session, clients: list[str], now: datetime) -> list[Metric]:
    """Return attainment and the met and breached counts per client and promise, over each rolling window."""
    ratio = GaugeMetricFamily(
        "pulse_attainment_ratio", "Share of judged clocks that met their target (met / (met + breached)), by "
        "client and promise, over clocks started in the last 7 or 30 days; absent while none was judged.",
        labels=["client", "kind", "window"])
    verdicts = GaugeMetricFamily(
        "pulse_clock_verdicts", "Clocks started in the last 7 or 30 days that met or breached their target (running "
        "ones past their target count as breached), by client and promise.",
        labels=["client", "kind", "window", "verdict"])
    for window, span in WINDOWS.items():
        found = figures_by(session, ClockFilter(since=now - span), ["client", "kind"], now)
        names = sorted(set(clients) | {client for client, _ in found})
        for client in names:
            for kind in ClockKind:
                figures = found.get((client, kind.value))
                met, breached = (figures.stats.met, figures.stats.breached) if figures else (0, 0)
                verdicts.add_metric([client, kind.value, window, "met"], met)
                verdicts.add_metric([client, kind.value, window, "breached"], breached)
                if figures is not None and figures.stats.attainment is not None:
                    ratio.add_metric([client, kind.value, window], figures.stats.attainment)
    return [ratio, verdicts]


def operation_families(session: Session) -> list[Metric]:
    """Return the alert deliveries, the quarantine and the worker's last job, read from their small tables."""
    alerts = GaugeMetricFamily("pulse_alerts", "Alert messages by destination kind and status: sent, or pending "
                               "(failing when tried at least once).", labels=["kind", "status"])
    tried = func.sum(case((Alert.attempts > 0, 1), else_=0))
    for kind, status, count, failing in session.execute(
        select(Alert.kind, Alert.status, func.count(), tried).group_by(Alert.kind, Alert.status)
    ):
        if status == "pending":
            alerts.add_metric([kind, "pending"], count - (failing or 0))
            alerts.add_metric([kind, "failing"], failing or 0)
        else:
            alerts.add_metric([kind, status], count)
    quarantined = GaugeMetricFamily("pulse_quarantined_records", "Records a sync could not read, kept raw until a "
                                    "replay reads them (pulse quarantine lists them).", labels=["source"])
    counts = dict(session.execute(select(QuarantinedRecord.source, func.count()).where(
        QuarantinedRecord.resolved_at.is_(None)).group_by(QuarantinedRecord.source)).all())
    for source in sorted(set(counts) | {"github", "jira"}):
        quarantined.add_metric([source], counts.get(source, 0))
    worker = GaugeMetricFamily("pulse_worker_last_job_timestamp_seconds", "When a worker last took a scheduled "
                               "job (Unix time); absent until one has.")
    last = session.scalar(select(func.max(WorkerJob.taken_at)))
    if last is not None:
        moment = last if isinstance(last, datetime) else datetime.fromisoformat(str(last))
        worker.add_metric([], (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    return [alerts, quarantined, worker]
