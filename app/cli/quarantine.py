"""`pulse quarantine`: the records a sync could not read, with the reason, and one record's raw body."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from app.cli.common import console
from app.core.tables import QuarantinedRecord
from app.store.quarantine import count_unresolved, unresolved


def print_quarantine(factory: sessionmaker[Session], *, source: str | None, limit: int) -> None:
    """Print the unresolved records, oldest first, as a table (or say there are none)."""
    out = console()
    with factory() as session:
        rows = unresolved(session, source=source, limit=limit)
        total = count_unresolved(session)
    if not rows:
        out.print("No records are waiting in quarantine: every record the sync listed could be read.")
        return
    table = Table(title=f"Records a sync could not read ({total} waiting)", show_lines=False)
    for name in ("no.", "source", "repository or project", "what", "id", "reason", "last seen (UTC)", "times"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(str(row.id), row.source, row.scope, row.kind, row.ref, escape(row.reason),
                      row.last_seen_at.strftime("%Y-%m-%d %H:%M"), str(row.times_seen))
    out.print(table)
    if total > len(rows):
        out.print(f"Showing {len(rows)} of {total}; use --limit to see more.")
    out.print("`pulse quarantine --show N` prints a record's raw body; after an upgrade `pulse replay` reads them "
              "again.")


def print_record(factory: sessionmaker[Session], number: int) -> bool:
    """Print one quarantined record with its raw body; return False when there is no such record."""
    with factory() as session:
        row = session.get(QuarantinedRecord, number)
    if row is None:
        return False
    out = console()
    state = "read by a replay" if row.resolved_at is not None else "waiting"
    out.print(f"{row.source} {row.kind} {row.ref} in {row.scope} ({state}; seen {row.times_seen} time(s), last "
              f"{row.last_seen_at:%Y-%m-%d %H:%M} UTC)", highlight=False)
    out.print(f"Reason: {escape(row.reason)}", highlight=False)
    out.print_json(json.dumps({"body": row.body, "context": row.context}, default=str))
    return True
