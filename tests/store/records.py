"""Every stored record, without surrogate ids, to compare two paths of one history; and a way to start over."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from app.core.tables import ActivityRow, ClockRow, ItemLink, ItemMoveRow, RawDelivery, SyncCursor, WorkItemRow


def stored_rows(factory, *, received_deletions: bool = False) -> dict[str, list[tuple]]:
    """Return the stored work items, activities, moves and clocks as sorted tuples.

    With ``received_deletions`` a deleted activity's deletion moment is left out: GitHub says nothing of when a
    comment was deleted, so it is the moment the deletion was received, which differs between two separate runs
    (a replay of the stored deliveries keeps it).
    """
    def strip(row: Any) -> tuple:
        fields = {k: v for k, v in vars(row).items() if not k.startswith("_") and k != "id"}
        if received_deletions and fields.get("deleted") and isinstance(row, ActivityRow):
            fields["updated_at"] = "received"
            fields["data"] = {**fields["data"], "deleted_at": "received"}
        return tuple(sorted((k, repr(v)) for k, v in fields.items()))

    with factory() as s:
        return {name: sorted(strip(r) for r in s.scalars(select(model)))
                for name, model in (("items", WorkItemRow), ("activities", ActivityRow), ("moves", ItemMoveRow),
                                    ("clocks", ClockRow))}


def clear(factory, *, keep_raw: bool = False) -> None:
    """Delete every record (and, unless ``keep_raw``, the raw deliveries) to run a history again."""
    with factory() as s, s.begin():
        for model in (ClockRow, ActivityRow, WorkItemRow, ItemLink, ItemMoveRow, SyncCursor,
                      *(() if keep_raw else (RawDelivery,))):
            s.execute(delete(model))
