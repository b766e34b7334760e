"""GET /metrics: requests by route and status, webhook intake, sync runs and open clocks, read at scrape time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from app.core.db import transaction
from app.core.tables import SyncRun
from tests.api.conftest import ADMIN, seed_story
from tests.conftest import post_github
from tests.payloads import issue, issue_event


def _samples(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_requests_are_counted_by_route_template_and_status(client, story):
    client.get("/v1/developers/olena", headers=ADMIN)
    client.get("/v1/developers/nobody", headers=ADMIN)
    client.get("/v1/developers/olena")
    client.get("/no/such/page")
    samples = _samples(client)
    route = "/v1/developers/{developer_id}"
    assert _value(samples, "pulse_http_requests_total", method="GET", route=route, status="200") == 1
    assert _value(samples, "pulse_http_requests_total", method="GET", route=route, status="404") == 1
    assert _value(samples, "pulse_http_requests_total", method="GET", route=route, status="401") == 1
    assert _value(samples, "pulse_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert _value(samples, "pulse_http_request_duration_seconds_count", method="GET", route=route) == 3


def test_webhook_intake_is_counted_by_source_and_status(client):
    created = datetime.now(UTC) - timedelta(minutes=3)
    payload = issue_event("opened", issue(9, "alice-acme", created), "alice-acme")
    post_github(client, "issues", payload, delivery="d-9")
    post_github(client, "issues", payload, delivery="d-9")
    post_github(client, "issues", payload, secret="wrong")
    samples = _samples(client)
    assert _value(samples, "pulse_webhook_deliveries_total", source="github", status="202") == 1
    assert _value(samples, "pulse_webhook_deliveries_total", source="github", status="200") == 1
    assert _value(samples, "pulse_webhook_deliveries_total", source="github", status="401") == 1
    assert _value(samples, "pulse_webhook_duration_seconds_count", source="github") == 3


def test_open_clocks_per_client_and_state_are_computed_at_scrape_time(client, story):
    samples = _samples(client)
    assert _value(samples, "pulse_open_clocks", client="acme", kind="response", state="running") == 1
    assert _value(samples, "pulse_open_clocks", client="acme", kind="response", state="breached") == 1
    assert ("pulse_open_clocks", (("client", "acme"), ("kind", "bug_fix"), ("state", "at_risk"))) in samples
    assert _value(samples, "pulse_database_up") == 1


def test_sync_runs_come_from_the_sync_runs_table(client, factory):
    finished = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with transaction(factory) as session:
        for status in ("succeeded", "succeeded", "failed"):
            session.add(SyncRun(source="github", mode="incremental", requested_by="schedule", status=status,
                                started_at=finished - timedelta(minutes=1), finished_at=finished))
    samples = _samples(client)
    assert _value(samples, "pulse_sync_runs_total", source="github", mode="incremental", status="succeeded") == 2
    assert _value(samples, "pulse_sync_runs_total", source="github", mode="incremental", status="failed") == 1
    assert _value(samples, "pulse_sync_last_finished_timestamp_seconds", source="github",
                  status="succeeded") == finished.timestamp()


def test_deliveries_waiting_for_their_records_are_counted(client, factory, contracts):
    from app.intake.deliveries import Delivery
    from app.intake.normalize import renormalize
    from app.intake.raw_store import store_raw
    from tests.payloads import issue, issue_event

    assert _value(_samples(client), "pulse_intake_queue_deliveries") == 0
    body = json.dumps(issue_event("opened", issue(9, "alice-acme", datetime(2026, 3, 2, tzinfo=UTC)), "alice-acme"))
    delivery = Delivery("github", "1:queued", "issues", "opened", body.encode(), json.loads(body))
    store_raw(factory, [(delivery, renormalize("github", "1:queued", "issues", "opened", body.encode()))])
    assert _value(_samples(client), "pulse_intake_queue_deliveries") == 1


def test_a_database_that_does_not_answer_shows_as_down_not_as_an_error(client):
    from app.core.db import make_engine, make_sessionmaker

    client.app.state.sessionmaker = make_sessionmaker(make_engine("sqlite:////nonexistent/dir/pulse.db"))
    samples = _samples(client)
    assert _value(samples, "pulse_database_up") == 0


def test_attainment_per_client_and_promise_over_rolling_windows(client, story):
    samples = _samples(client)
    # Response clocks of the story: #1 and #3 met; #2 answered late and #5 unanswered past its target: breached.
    for window in ("7d", "30d"):
        assert _value(samples, "pulse_attainment_ratio", client="acme", kind="response", window=window) == 0.5
        assert _value(samples, "pulse_clock_verdicts", client="acme", kind="response", window=window,
                      verdict="breached") == 2
        assert _value(samples, "pulse_attainment_ratio", client="acme", kind="bug_fix", window=window) == 1
    assert not any(labels for name, labels in samples if name == "pulse_attainment_ratio"
                   and dict(labels).keys() - {"client", "kind", "window"})


def test_attainment_is_kept_a_minute_between_scrapes(client, factory):
    from app.api.prometheus_figures import FiguresCache

    moment = [0.0]
    cache = FiguresCache(ttl=60, monotonic=lambda: moment[0])
    with factory() as session:
        first = cache.families(session, ["acme"])
        moment[0] = 30.0
        assert cache.families(session, ["acme"]) is first  # 30 s later: the kept figures
        seed_story(client)
        moment[0] = 61.0
        fresh = cache.families(session, ["acme"])  # past the minute: read again
    assert fresh is not first
    assert any(s.value for s in fresh[1].samples)


def test_alerts_quarantine_and_worker_are_exported(client, factory):
    from app.core.tables import Alert, QuarantinedRecord, WorkerJob

    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with transaction(factory) as session:
        session.add_all([
            Alert(clock_id="a", stage="at_risk", client="acme", destination="d", kind="slack", status="sent",
                  attempts=1, sent_at=now),
            Alert(clock_id="b", stage="at_risk", client="acme", destination="d", kind="slack", attempts=3),
            Alert(clock_id="c", stage="breached", client="acme", destination="d", kind="slack"),
            QuarantinedRecord(source="github", scope="acme/shop", kind="issue", ref="1", body={}, reason="odd"),
            QuarantinedRecord(source="github", scope="acme/shop", kind="issue", ref="2", body={}, reason="odd",
                              resolved_at=now),
            WorkerJob(name="clocks", next_at=now, taken_at=now, taken_by="host:1"),
        ])
    samples = _samples(client)
    assert _value(samples, "pulse_alerts", kind="slack", status="sent") == 1
    assert _value(samples, "pulse_alerts", kind="slack", status="failing") == 1
    assert _value(samples, "pulse_alerts", kind="slack", status="pending") == 1
    assert _value(samples, "pulse_quarantined_records", source="github") == 1
    assert ("pulse_quarantined_records", (("source", "jira"),)) in samples
    assert _value(samples, "pulse_worker_last_job_timestamp_seconds") == now.timestamp()
