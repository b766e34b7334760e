"""Contract terms over time: past clocks keep the terms they ran under.

A client's terms are what the clocks apply: its calendar, targets, production-bug rule, pause statuses, unknown
authors and start date. Each version is kept (table ``contract_terms``) with the moment it took effect: the
file's ``effective_from:`` day (the start of that day in the client's time zone), or else the moment the
changed terms were first loaded. The earliest version also covers everything before it (the first terms recorded
for a client are in force from the beginning, unless they give their own day).

A clock is judged by the version in force when it started, so editing the file, ``POST /v1/contracts/reload``,
a restart, ``pulse replay`` or a later edit of the item never re-judges an older clock. This is what Zendesk
does with an edited SLA policy (tickets already measured keep the policy they had) and Jira Service Management
with a changed SLA goal (completed cycles keep their goal).

Versions are recorded the first time a process computes clocks with terms the table does not hold yet, under a
PostgreSQL advisory lock so that replicas starting together add one version, not one each.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client, ClientSpec, Contracts, build_client
from app.core.locks import lock_named
from app.core.tables import ContractTerms, utcnow
from metrics.calendar import local_day_start
from metrics.clocks import compute_clocks
from metrics.model import Clock, ClockPolicy, ItemHistory

# The keys of a client's section that the clocks apply; everything else (repositories, alerts, glossary, ...)
# is read from the file as it is now.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)  # the effective moment of a client's first recorded terms
CLOCK_TERMS = ("unknown_authors", "since", "calendar", "targets", "production_bug", "pause_statuses",
               "bug_fix_calendar")


@dataclass(frozen=True)
class TermsVersion:
    """One version of a client's terms: in force from `effective_from` (None: from the beginning)."""

    number: int  # 1, 2, ... in the order they took effect
    effective_from: datetime | None
    policy: ClockPolicy

    def words(self) -> str:
        start = "the beginning" if self.effective_from is None else f"{self.effective_from:%Y-%m-%d %H:%M} UTC"
        return f"judged by the contract terms in force when it started (version {self.number}, from {start})"


def terms_of(spec: ClientSpec) -> tuple[dict[str, Any], str]:
    """Return a client's clock terms as JSON-ready data, and their digest."""
    terms = spec.model_dump(mode="json", include=set(CLOCK_TERMS))
    digest = hashlib.sha256(json.dumps(terms, sort_keys=True).encode()).hexdigest()
    return terms, digest


def record_terms(session: Session, contracts: Contracts, clients: Iterable[str] | None = None) -> int:
    """Add a version for each client whose terms in the loaded file differ from its latest stored version."""
    names = sorted(contracts.clients if clients is None else set(clients) & set(contracts.clients))
    wanted = {}
    for name in names:
        terms, digest = terms_of(contracts.clients[name].spec)
        if contracts.recorded_terms.get(name) != digest:
            wanted[name] = (terms, digest)
    if not wanted:
        return 0
    if _latest_digests(session, wanted) == {n: d for n, (_, d) in wanted.items()}:
        contracts.recorded_terms.update({n: d for n, (_, d) in wanted.items()})
        return 0
    lock_named(session, "contract_terms")  # one writer at a time; re-read under the lock
    latest = _latest_rows(session, wanted)
    added = 0
    now = utcnow()
    for name, (terms, digest) in wanted.items():
        row = latest.get(name)
        if row is None or row.digest != digest:
            client = contracts.clients[name]
            if client.spec.effective_from is not None:
                effective = local_day_start(client.spec.effective_from, client.calendar)
            elif row is None:
                effective = BEGINNING  # the first terms known cover everything before them
            else:
                effective = max(now, row.effective_from)
            session.add(ContractTerms(client=name, digest=digest, terms=terms, effective_from=effective,
                                      recorded_at=now))
            added += 1
        contracts.recorded_terms[name] = digest
    session.flush()
    return added


def term_versions(session: Session, contracts: Contracts, clients: Iterable[str]) -> dict[str, list[TermsVersion]]:
    """Return each client's versions of terms, oldest first (its current terms alone when none is stored)."""
    names = sorted(set(clients) & set(contracts.clients))
    rows: dict[str, list[ContractTerms]] = defaultdict(list)
    if names:
        for row in session.scalars(select(ContractTerms).where(ContractTerms.client.in_(names))
                                   .order_by(ContractTerms.client, ContractTerms.effective_from, ContractTerms.id)):
            if not rows[row.client] or rows[row.client][-1].digest != row.digest:  # the same terms twice: one
                rows[row.client].append(row)
    out: dict[str, list[TermsVersion]] = {}
    for name in names:
        client = contracts.clients[name]
        stored = rows.get(name)
        if not stored:
            out[name] = [TermsVersion(1, None, client.policy)]
            continue
        out[name] = [
            TermsVersion(i + 1, None if i == 0 else row.effective_from, _policy(client, row.digest, row.terms))
            for i, row in enumerate(stored)
        ]
    return out


def clocks_under_terms(history: ItemHistory, versions: Sequence[TermsVersion]) -> list[Clock]:
    """Compute an item's clocks, each judged by the version of terms in force when it started."""
    if len(versions) == 1:
        return compute_clocks(history, versions[0].policy)
    kept: list[Clock] = []
    latest = versions[-1]
    for i, version in enumerate(versions):
        end = versions[i + 1].effective_from if i + 1 < len(versions) else None
        for clock in compute_clocks(history, version.policy):
            if version.effective_from is not None and clock.started_at < version.effective_from:
                continue
            if end is not None and clock.started_at >= end:
                continue
            if version is not latest:
                clock = replace(clock, notes=(*clock.notes, version.words()))
            kept.append(clock)
    out: list[Clock] = []
    seq: dict[Any, int] = defaultdict(int)
    for clock in sorted(kept, key=lambda c: (c.kind.value, c.started_at)):  # stable ids: 0, 1, ... per kind
        out.append(replace(clock, seq=seq[clock.kind]))
        seq[clock.kind] += 1
    return sorted(out, key=lambda c: (c.kind.value != "response", c.seq))


def changes_between(session: Session, since: datetime, until: datetime,
                    client: str | None = None) -> list[dict[str, Any]]:
    """List the changes of terms that took effect inside a period (a report over it should say so)."""
    stmt = select(ContractTerms.client, ContractTerms.effective_from).where(
        ContractTerms.effective_from > since, ContractTerms.effective_from < until)
    if client is not None:
        stmt = stmt.where(ContractTerms.client == client)
    firsts = dict(session.execute(
        select(ContractTerms.client, ContractTerms.effective_from).order_by(ContractTerms.effective_from.desc())
    ).all())  # each client's earliest version (the last one written into the dict) is no change
    return [{"client": name, "effective_from": at} for name, at in session.execute(
        stmt.order_by(ContractTerms.effective_from, ContractTerms.client)) if firsts.get(name) != at]


def _latest_rows(session: Session, wanted: dict[str, Any]) -> dict[str, ContractTerms]:
    latest: dict[str, ContractTerms] = {}
    for row in session.scalars(select(ContractTerms).where(ContractTerms.client.in_(sorted(wanted)))
                               .order_by(ContractTerms.effective_from, ContractTerms.id)):
        latest[row.client] = row
    return latest


def _latest_digests(session: Session, wanted: dict[str, Any]) -> dict[str, str]:
    return {name: row.digest for name, row in _latest_rows(session, wanted).items()}


def _policy(client: Client, digest: str, terms: dict[str, Any]) -> ClockPolicy:
    rest = json.dumps(client.spec.model_dump(mode="json", exclude=set(CLOCK_TERMS)), sort_keys=True)
    return _policy_of(digest, rest, json.dumps(terms, sort_keys=True))


@lru_cache(maxsize=256)
def _policy_of(digest: str, rest: str, terms: str) -> ClockPolicy:
    """Rebuild a stored version's policy (cached: building a calendar reads the holidays)."""
    spec = ClientSpec.model_validate({**json.loads(rest), **json.loads(terms)})
    return build_client(spec).policy
