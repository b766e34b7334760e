"""Recompute the stored clocks of work items whose activities changed."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.core.db import pairs_in
from app.core.locks import lock_all_work_items, lock_work_items
from app.core.tables import ClockRow, WorkItemRow
from app.store.histories import clock_to_row, handed_over_clocks, load_handovers, load_histories
from app.store.terms import clocks_under_terms, record_terms, term_versions

_CHUNK = 400


def recompute_clocks(session: Session, contracts: Contracts, keys: Iterable[tuple[str, str]]) -> int:
    """Replace the clocks of these work items with freshly computed ones; return how many were written.

    The items stay locked until the transaction ends, so concurrent writers of one item (two API replicas, a
    worker's sync) recompute it one after the other, each from everything committed before it.
    """
    keys = sorted(set(keys))
    if not keys:
        return 0
    lock_work_items(session, keys)
    histories, _ = load_histories(session, contracts, keys)
    handovers = load_handovers(session, contracts, keys)  # items moved to another client's project or repository
    clients = {history.client for history in histories} | {o.client.name for h in handovers for o in h if o.client}
    record_terms(session, contracts, clients)
    versions = term_versions(session, contracts, clients)
    rows = []
    for history in histories:
        rows.extend(clock_to_row(c) for c in clocks_under_terms(history, versions[history.client]))
    for owners in handovers:
        clocks = handed_over_clocks(owners, lambda history, client: clocks_under_terms(history, versions[client.name]))
        rows.extend(clock_to_row(c) for c in clocks)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        session.execute(delete(ClockRow).where(pairs_in(ClockRow.source, ClockRow.item_key, chunk)))
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(ClockRow), rows[start : start + _CHUNK])
    return len(rows)


def recompute_all(session: Session, contracts: Contracts) -> int:
    """Recompute every clock (after a contracts change or a replay), with every item locked."""
    lock_all_work_items(session)
    keys = session.execute(select(WorkItemRow.source, WorkItemRow.key)).all()
    session.execute(delete(ClockRow))
    return recompute_clocks(session, contracts, [(s, k) for s, k in keys])
