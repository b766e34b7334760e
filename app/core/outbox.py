"""The rule every outgoing queue follows: claim due rows with a lease, retry a failure later with backoff."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import transaction

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# Longer than a delivery can take (an HTTP post or an SMTP session, with retries): a claimed row is not taken twice.
CLAIM_LEASE = timedelta(minutes=5)


def retry_at(attempts: int, now: datetime) -> datetime:
    """Return when to try again after ``attempts`` failed tries: 30 s, doubling, at most an hour."""
    return now + min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim_due(factory: sessionmaker[Session], table: Table, now: datetime, columns: Sequence[str],
              limit: int = 200) -> list[Row[Any]]:
    """Take the due rows of a queue table for this process: each is leased to one process at a time.

    The lease moves the row's next attempt past the time a delivery can take; a process that dies holding it
    only delays the row by the lease. PostgreSQL skips rows another process is claiming; SQLite has one writer.
    """
    due = (select(table.c.id).where(table.c.status == "pending", table.c.next_attempt_at <= now)
           .order_by(table.c.id).limit(limit).with_for_update(skip_locked=True))
    with transaction(factory) as session:
        claimed = session.execute(
            update(table).where(table.c.id.in_(due.scalar_subquery())).values(next_attempt_at=now + CLAIM_LEASE)
            .returning(table.c.id, *(table.c[name] for name in columns))
        ).all()
    return sorted(claimed, key=lambda row: row.id)
