"""Two `pulse serve` replicas on one PostgreSQL database: what one replica stores, two store the same way.

A storm split across the replicas (every repeat of a delivery sent to the other replica than its first copy),
and a race on one issue (replica A stores a merged pull request that fixes the issue while replica B stores a
developer's answer on it, at the same moment) both end with exactly the records and clocks of a calm, in-order,
single-process ingest: nothing failed, lost, doubled or left running, no 5xx, no deadlock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest

from tests.conftest import _require_postgres
from tests.payloads import comment_event, issue, issue_event, ts
from tests.reliability.conftest import live_database
from tests.reliability.corpus import T0, Signed, signed_github
from tests.reliability.live import Outcome, pulse_serve, send_all
from tests.reliability.reference import reference_records
from tests.reliability.snapshot import differences, processed_records

PAIRS = 100


def _race(pairs: int) -> tuple[list[Signed], list[tuple[Signed, Signed]]]:
    """Return the issues to open first, and per issue (a merged PR that fixes it, a developer's answer on it)."""
    opened, races = [], []
    for n in range(1, pairs + 1):
        start = T0 + timedelta(minutes=n)
        bug = issue(n, "alice-acme", start, title=f"Payments fail {n}", labels=("production",),
                    assignees=("olena-dev",))
        opened.append(signed_github("issues", issue_event("opened", bug, "alice-acme"), f"race-open-{n}"))
        answered = start + timedelta(minutes=9)
        answer = comment_event({**bug, "updated_at": ts(answered)}, 900_000 + n, "olena-dev", answered,
                               "Found it: the card check times out. A fix is on its way.")
        merged = start + timedelta(minutes=40)
        pull = issue(5000 + n, "olena-dev", start + timedelta(minutes=20), title=f"Retry the card check ({n})",
                     state="closed", closed=merged, body=f"Fixes #{n}")
        pull.update(html_url=f"https://github.com/acme/shop/pull/{5000 + n}", merged=True, merged_at=ts(merged),
                    merged_by=pull["user"], draft=False)
        pr_event = {"action": "closed", "number": 5000 + n, "pull_request": pull,
                    "repository": issue_event("closed", pull, "olena-dev")["repository"], "sender": pull["user"]}
        races.append((signed_github("pull_request", pr_event, f"race-pr-{n}"),
                      signed_github("issue_comment", answer, f"race-answer-{n}")))
    return opened, races


def _post_together(first: str, second: str, pairs: Sequence[tuple[Signed, Signed]]) -> list[Outcome]:
    """Send each pair's two deliveries at the same moment, one to each replica."""
    barrier = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def side(base_url: str, index: int) -> None:
        for pair in pairs:
            barrier.wait(timeout=60)
            outcomes.extend(send_all(base_url, [pair[index]], senders=1))

    threads = [threading.Thread(target=side, args=(first, 0)), threading.Thread(target=side, args=(second, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _assert_clean(outcomes: Sequence[Outcome], *logs: str) -> None:
    assert [o for o in outcomes if o.errors] == [], "no request may hang or be cut off"
    assert all(o.final is not None and o.final < 500 for o in outcomes), Counter(o.final for o in outcomes)
    for log in logs:
        for word in ("deadlock", "UniqueViolation", "Traceback", "marked failed"):
            assert word not in log, f"{word!r} in a replica's log:\n{log[-3000:]}"


@pytest.fixture
def replicas(tmp_path):
    _require_postgres()
    with live_database("postgresql", tmp_path) as (url, engine), pulse_serve(url, tmp_path) as a, \
            pulse_serve(url, tmp_path) as b:
        yield engine, a, b


def test_a_fixing_pull_request_and_an_answer_racing_on_two_replicas_end_as_one_ingest(replicas, tmp_path):
    engine, a, b = replicas
    opened, races = _race(PAIRS)
    first = send_all(a.base_url, opened)
    processed_records(engine)
    outcomes = first + _post_together(a.base_url, b.base_url, races)
    stored = processed_records(engine)
    _assert_clean(outcomes, a.log(), b.log())
    assert Counter(o.final for o in outcomes) == {202: len(opened) + 2 * len(races)}
    expected = reference_records(tmp_path / "reference.db", opened + [d for pair in races for d in pair])
    assert differences(expected, stored) == []
    assert stored == expected


def test_a_storm_split_across_replicas_with_every_repeat_sent_to_the_other_loses_nothing(
    replicas, storm_deliveries, reference_records
):
    engine, a, b = replicas
    history, shuffled = storm_deliveries
    first_to_a: dict[str, bool] = {}
    to_a, to_b = [], []
    for index, delivery in enumerate(shuffled):
        # A first copy goes to either replica; a repeat to the replica its first copy did not go to.
        goes_to_a = not first_to_a[delivery.key] if delivery.key in first_to_a else index % 2 == 0
        first_to_a.setdefault(delivery.key, goes_to_a)
        (to_a if goes_to_a else to_b).append(delivery)
    outcomes: list[Outcome] = []
    threads = [threading.Thread(target=lambda url=url, part=part: outcomes.extend(send_all(url, part, senders=16)))
               for url, part in ((a.base_url, to_a), (b.base_url, to_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = processed_records(engine)
    _assert_clean(outcomes, a.log(), b.log())
    accepted = Counter(o.delivery.key for o in outcomes if o.final == 202)
    assert set(accepted) == {d.key for d in history} and set(accepted.values()) == {1}
    assert Counter(o.final for o in outcomes)[200] == len(shuffled) - len(history)
    assert differences(reference_records, stored) == []
    assert stored == reference_records
