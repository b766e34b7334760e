"""The Grafana dashboard under deploy/grafana asks only for metrics /metrics exports, and is provisionable."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.core.db import transaction
from app.core.tables import Alert, QuarantinedRecord, SyncRun, WorkerJob
from tests.api.conftest import seed_story

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "delivery-pulse.json"

# PromQL words that are not metric names: functions are followed by "(", and these are the rest.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or",
             "unless", "inf", "nan"}
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """Return the metric names a PromQL expression selects (not its functions, labels or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values, Grafana variables inside them
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges such as [5m] or [$__rate_interval]
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # label lists
    names = set()
    for match in _IDENT.finditer(text):
        word, rest = match.group(), text[match.end():]
        if word.lower() in _KEYWORDS or rest.lstrip().startswith("(") or text[match.start() - 1:match.start()] == "$":
            continue
        names.add(word)
    return names


def test_the_promql_reader_finds_metrics_and_nothing_else():
    expr = ('histogram_quantile(0.95, sum by (le, source) (rate(pulse_webhook_duration_seconds_bucket'
            '{source=~"$src"}[$__rate_interval]))) / on(source) group_left max(up) > bool 0')
    assert metric_names(expr) == {"pulse_webhook_duration_seconds_bucket", "up"}
    assert metric_names('time() - max by (source) (pulse_sync_last_finished_timestamp_seconds{status="ok"})') == {
        "pulse_sync_last_finished_timestamp_seconds"}


def _queries(dashboard: dict) -> list[str]:
    exprs = []
    panels = list(dashboard["panels"])
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels", []))
        exprs.extend(t["expr"] for t in panel.get("targets", []) if "expr" in t)
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            exprs.append(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", text))
    return exprs


def _seed_operations(factory) -> None:
    """Give every stored-state family a row: a sync run, an alert, a quarantined record, a worker job."""
    now = datetime.now(UTC)
    with transaction(factory) as session:
        session.add(SyncRun(source="github", mode="incremental", requested_by="schedule", status="succeeded",
                            started_at=now - timedelta(minutes=2), finished_at=now - timedelta(minutes=1)))
        session.add(Alert(clock_id="c1", stage="at_risk", client="acme", destination="https://hooks.example/x",
                          kind="webhook", status="sent", attempts=1, sent_at=now))
        session.add(QuarantinedRecord(source="jira", scope="SHOP", kind="issue", ref="1", body={}, reason="odd"))
        session.add(WorkerJob(name="clocks", next_at=now + timedelta(minutes=1), taken_at=now, taken_by="w:1"))


@pytest.mark.postgres
def test_every_dashboard_query_names_a_metric_that_metrics_exports(client, factory):
    seed_story(client)
    _seed_operations(factory)
    exported = {sample.name for family in text_string_to_metric_families(client.get("/metrics").text)
                for sample in family.samples}
    exprs = _queries(json.loads(DASHBOARD.read_text()))
    assert len(exprs) >= 15
    asked = {name for expr in exprs for name in metric_names(expr)}
    assert {"pulse_attainment_ratio", "pulse_open_clocks", "pulse_intake_queue_deliveries", "pulse_alerts",
            "pulse_sync_last_finished_timestamp_seconds", "pulse_webhook_deliveries_total"} <= asked
    assert asked - exported == set(), f"the dashboard asks for metrics /metrics does not export: {asked - exported}"


def test_the_dashboard_is_provisionable():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "delivery-pulse" and "id" not in dashboard  # a fixed uid, no database id
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"  # the Prometheus chosen in the variable
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards.yaml").read_text())
    assert provider["apiVersion"] == 1 and provider["providers"][0]["type"] == "file"
    source = yaml.safe_load((GRAFANA / "provisioning" / "datasources.example.yaml").read_text())
    assert source["datasources"][0]["type"] == "prometheus"
