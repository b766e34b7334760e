"""Output formats for people and spreadsheets: human durations, UTC times with Z, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

# A cell starting with one of these is run as a formula by spreadsheet programs; titles and names come
# from client messages, so they are neutralized (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def human_duration(seconds: float | None) -> str | None:
    """Say a duration briefly: 45 -> '45 s', 750 -> '12 min', 5400 -> '1 h 30 min', 97200 -> '1 d 3 h'."""
    if seconds is None:
        return None
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    if total < 600:
        minutes, rest = divmod(total, 60)
        return f"{minutes} min" if rest == 0 else f"{minutes} min {rest} s"
    minutes = (total + 30) // 60  # half a minute rounds up, never to an even number
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"
    days, hours = divmod((total + 1800) // 3600, 24)
    return f"{days} d" if hours == 0 else f"{days} d {hours} h"


def utc_text(moment: datetime | None) -> str | None:
    """Write a moment in UTC with a Z, to the second unless it has a fraction."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; every time here must be timezone-aware.")
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Write rows as CSV with a header line; missing keys are empty cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()
