"""Storm: signed GitHub and Jira deliveries, 20 % duplicated and shuffled, from 32 concurrent senders to a real
`pulse serve` on 127.0.0.1 — nothing lost, nothing counted twice, the same records and clocks as in order."""

from __future__ import annotations

from collections import Counter

from tests.reliability.conftest import live_database
from tests.reliability.live import SENDERS, pulse_serve, send_all
from tests.reliability.secrets import assert_no_secrets
from tests.reliability.snapshot import differences, processed_records


def test_a_storm_loses_nothing_and_counts_nothing_twice(db_url, tmp_path, storm_deliveries, reference_records):
    history, shuffled = storm_deliveries
    with live_database(db_url, tmp_path) as (url, engine), pulse_serve(url, tmp_path) as server:
        outcomes = send_all(server.base_url, shuffled, senders=SENDERS)
        stored = processed_records(engine)
    assert [o for o in outcomes if o.errors] == [], "no request may hang or be cut off"
    answers = Counter((o.final, o.statuses[-1]) for o in outcomes)
    assert set(answers) <= {(202, "accepted"), (200, "duplicate")}, answers
    accepted = Counter(o.delivery.key for o in outcomes if o.final == 202)
    assert set(accepted) == {d.key for d in history}, "every unique delivery is accepted"
    assert set(accepted.values()) == {1}, "and accepted exactly once"
    assert answers[(200, "duplicate")] == len(shuffled) - len(history)
    assert differences(reference_records, stored) == []
    assert stored == reference_records
    assert_no_secrets(server.log())
