"""Shared query parameters: times with offsets, the reporting period, and JSON-or-CSV answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response

from app.api.errors import ProblemError
from app.reports.formats import csv_text
from app.reports.schemas import Time
from app.reports.scorecards import Period

ClientQ = Annotated[str | None, Query(description="Only this client (its name in the contracts file).",
                                      examples=["acme"])]
DeveloperQ = Annotated[str | None, Query(description="Only clocks credited to this person id (roster id, or "
                                                     "`github:<login>` for people not in the roster).",
                                         examples=["olena"])]
SinceQ = Annotated[Time | None, Query(
    description="Clocks started at or after this time: ISO 8601 with an offset, e.g. 2026-03-02T09:00:00+02:00 "
    "or 2026-03-02T07:00:00Z (encode + as %2B).")]
UntilQ = Annotated[Time | None, Query(
    description="Clocks started before this time: ISO 8601 with an offset (encode + as %2B).")]
PeriodSinceQ = Annotated[Time | None, Query(
    description="Start of the period, ISO 8601 with an offset; default 30 days before `until`.")]
PeriodUntilQ = Annotated[Time | None, Query(
    description="End of the period (exclusive), ISO 8601 with an offset; default now.")]


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


FormatQ = Annotated[OutputFormat | None, Query(
    alias="format",
    description="`csv` for a spreadsheet (the same as sending `Accept: text/csv`); JSON otherwise.")]

CSV_MEDIA = "text/csv"


def check_order(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise ProblemError(422, "The parameter 'since' must be before 'until'.",
                           errors=[{"field": "since", "problem": "must be before until"}])


def period(since: datetime | None, until: datetime | None, now: datetime) -> Period:
    """Resolve the reporting period, refusing one that ends before it starts."""
    resolved = Period.resolve(since, until, now.replace(microsecond=0))
    check_order(resolved.since, resolved.until)
    return resolved


def wants_csv(request: Request, fmt: OutputFormat | None) -> bool:
    """Choose CSV when `format=csv`, or when the Accept header prefers text/csv to JSON."""
    if fmt is not None:
        return fmt is OutputFormat.CSV
    accept = request.headers.get("accept", "").lower()
    if CSV_MEDIA not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find(CSV_MEDIA) < json_at


def csv_response(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], filename: str,
                 headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        csv_text(columns, rows),
        media_type=f"{CSV_MEDIA}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )


def csv_doc(example: str) -> dict[str, Any]:
    """Describe the CSV alternative of a 200 answer for the OpenAPI schema."""
    return {CSV_MEDIA: {"schema": {"type": "string"}, "example": example}}
