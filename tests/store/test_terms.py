"""Contracts change; past clocks keep the terms they ran under (app.store.terms)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.contracts import parse_contracts
from app.core.tables import ClockRow, ContractTerms
from app.intake.replay import replay
from app.store.histories import row_to_clock
from app.store.recompute import recompute_all
from app.store.terms import TermsVersion, changes_between, clocks_under_terms, record_terms, term_versions
from metrics.model import ClockKind, Role
from tests.conftest import CONTRACTS_YAML, _require_postgres, post_github, settle
from tests.metrics.builders import T0, item, mins, msg, policy
from tests.payloads import comment_event, issue, issue_event
from tests.reliability.conftest import live_database

TEN_MINUTES = CONTRACTS_YAML.replace("response_time: 30m", "response_time: 10m")


def test_each_clock_is_judged_by_the_terms_in_force_when_it_started():
    history = item([msg("d1", mins(20), Role.DEVELOPER), msg("c2", mins(200), Role.CLIENT),
                    msg("d2", mins(220), Role.DEVELOPER)])
    versions = [TermsVersion(1, None, policy(response=1800)), TermsVersion(2, mins(100), policy(response=600))]
    clocks = clocks_under_terms(history, versions)
    assert [(c.seq, c.started_at, c.target_seconds, c.state_at(mins(999)).value) for c in clocks] == [
        (0, T0, 1800, "met"),  # started under version 1: 20 min against 30
        (1, mins(200), 600, "breached"),  # started under version 2: 20 min against 10
    ]
    assert clocks[0].notes == ("judged by the contract terms in force when it started (version 1, from the "
                               "beginning)",)
    assert clocks[1].notes == ()


def test_one_version_computes_as_before():
    history = item([msg("d1", mins(20), Role.DEVELOPER)])
    [clock] = clocks_under_terms(history, [TermsVersion(1, None, policy())])
    assert (clock.kind, clock.seq, clock.notes) == (ClockKind.RESPONSE, 0, ())


def _versions(factory) -> list[tuple[str, int]]:
    with factory() as s:
        return [(r.client, r.terms["targets"]["response_time"]) for r in
                s.scalars(select(ContractTerms).order_by(ContractTerms.effective_from, ContractTerms.id))]


def test_a_version_is_added_only_when_the_terms_change(factory):
    first, second = parse_contracts(CONTRACTS_YAML), parse_contracts(TEN_MINUTES)
    with factory() as s, s.begin():
        assert record_terms(s, first) == 1
    with factory() as s, s.begin():  # the same file again, in another process: nothing new
        assert record_terms(s, parse_contracts(CONTRACTS_YAML)) == 0
    with factory() as s, s.begin():
        assert record_terms(s, second) == 1
    with factory() as s, s.begin():  # and back: the earlier terms again are a third version
        assert record_terms(s, parse_contracts(CONTRACTS_YAML)) == 1
    assert _versions(factory) == [("acme", 1800), ("acme", 600), ("acme", 1800)]
    with factory() as s:
        versions = term_versions(s, second, ["acme"])["acme"]
    assert [(v.number, v.policy.response_target_seconds) for v in versions] == [(1, 1800), (2, 600), (3, 1800)]
    assert versions[0].effective_from is None  # the earliest version covers everything before it


def test_effective_from_places_a_version_at_the_start_of_that_day_in_the_clients_time(factory):
    with factory() as s, s.begin():
        record_terms(s, parse_contracts(CONTRACTS_YAML))
    dated = TEN_MINUTES.replace("  - name: acme\n", "  - name: acme\n    effective_from: 2026-03-01\n")
    with factory() as s, s.begin():
        record_terms(s, parse_contracts(dated))
    with factory() as s:
        versions = term_versions(s, parse_contracts(dated), ["acme"])["acme"]
        assert versions[1].effective_from.isoformat() == "2026-03-01T00:00:00+00:00"  # acme's calendar is UTC
        changes = changes_between(s, versions[1].effective_from - timedelta(days=1),
                                  versions[1].effective_from + timedelta(days=1))
    assert changes == [{"client": "acme", "effective_from": versions[1].effective_from}]


_RECORD = textwrap.dedent("""
    import sys
    from app.contracts import parse_contracts
    from app.core.db import make_engine, make_sessionmaker
    sessions = make_sessionmaker(make_engine(sys.argv[1]))
    with sessions() as session, session.begin():
        print(record_terms(session, parse_contracts(open(sys.argv[2]).read())))
""").replace("from app.contracts", "from app.store.terms import record_terms\nfrom app.contracts")


def test_replicas_loading_a_changed_file_together_add_one_version(tmp_path):
    _require_postgres()
    path = tmp_path / "pulse.yaml"
    path.write_text(TEN_MINUTES)
    with live_database("postgresql", tmp_path) as (url, engine):
        replicas = [subprocess.Popen([sys.executable, "-c", _RECORD, url, str(path)], stdout=subprocess.PIPE,
                                     text=True) for _ in range(4)]
        added = [int(p.communicate(timeout=120)[0].strip()) for p in replicas]
        assert all(p.returncode == 0 for p in replicas)
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(ContractTerms)) == 1
    assert sorted(added) == [0, 0, 0, 1]


def test_a_reload_a_replay_and_a_later_edit_do_not_rejudge_older_clocks(client, factory, contracts):
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    one = issue(1, "alice-acme", t0)
    for event, payload in [("issues", issue_event("opened", one, "alice-acme")),
                           ("issue_comment", comment_event(one, 11, "olena-dev", t0 + timedelta(minutes=12)))]:
        assert post_github(client, event, payload).status_code in (200, 202)

    def judged() -> list[tuple[int, str]]:
        with factory() as s:
            return [(c.target_seconds, c.state_at(t0 + timedelta(days=9)).value)
                    for c in map(row_to_clock, s.scalars(select(ClockRow).where(ClockRow.kind == "response")))]

    assert judged() == [(1800, "met")]  # 12 minutes against 30
    second = parse_contracts(TEN_MINUTES)
    with factory() as s, s.begin():  # what POST /v1/contracts/reload does
        record_terms(s, second)
        recompute_all(s, second)
    assert judged() == [(1800, "met")]
    replay(factory, second)
    assert judged() == [(1800, "met")]
    later = issue(1, "alice-acme", t0, title="Checkout is broken on Safari", updated=t0 + timedelta(days=1))
    client.app.state.contracts = second
    assert post_github(client, "issues", issue_event("edited", later, "alice-acme")).status_code in (200, 202)
    settle(client.app)
    assert judged() == [(1800, "met")]
