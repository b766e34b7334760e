"""Clocks with their evidence: the raw material behind every figure, paged with a cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.audience import AudienceDep
from app.api.deps import ContractsDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.api.params import (
    ClientQ,
    DeveloperQ,
    FormatQ,
    SinceQ,
    UntilQ,
    check_order,
    csv_doc,
    csv_response,
    wants_csv,
)
from app.reports.clocks import ClockFilter, clock_page
from app.reports.schemas import CLOCK_COLUMNS, ClockOut, clock_out, clock_row
from metrics.model import ClockKind, ClockState

router = APIRouter(prefix="/v1/clocks", tags=["clocks"])


class ClockPage(BaseModel):
    clocks: list[ClockOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.",
                                    examples=["WyIyMDI2LTAzLTAyVDEwOjAwOjAwKzAwOjAwIiwiZ2l0aHViOmFjbWUvc2hvcCMxOnJlc3BvbnNlOjAiXQ"])
    limit: int = Field(examples=[100])


_CSV_EXAMPLE = (",".join(CLOCK_COLUMNS) + "\r\n"
                "github:acme/shop#123:response:0,response,acme,github,acme/shop#123,Checkout button does nothing,"
                "https://github.com/acme/shop/issues/123,olena,Olena Koval,met,2026-03-02T07:00:00Z,"
                "2026-03-02T07:12:00Z,720,12 min,1800,30 min,,https://github.com/acme/shop/issues/123,"
                "https://github.com/acme/shop/issues/123#issuecomment-1\r\n")
_NEXT_LINK = {"Link": {"description": 'The next page, as `<url>; rel="next"` (absent on the last page).',
                       "schema": {"type": "string"}}}


@router.get(
    "",
    summary="List clocks with their evidence",
    description="Newest start first. Follow `next_cursor` (or the `Link: rel=\"next\"` header) for the next page; "
    "a running clock's elapsed time is counted up to now in the client's calendar.",
    response_model=ClockPage,
    responses={200: {"description": "One page of clocks, as JSON or CSV.", "content": csv_doc(_CSV_EXAMPLE),
                     "headers": _NEXT_LINK},
               **problem_responses(401, 422)},
)
def read_clocks(
    request: Request,
    response: Response,
    session: SessionDep,
    contracts: ContractsDep,
    audience: AudienceDep,
    kind: Annotated[ClockKind | None, Query(description="response or bug_fix.")] = None,
    state: Annotated[ClockState | None, Query(description="The state right now: running, at_risk, paused, met or "
                                                          "breached.")] = None,
    client: ClientQ = None,
    developer: DeveloperQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Clocks per page.")] = 100,
    cursor: Annotated[str | None, Query(max_length=2000, description="The `next_cursor` of the previous page.")]
    = None,
    fmt: FormatQ = None,
) -> Any:
    check_order(since, until)
    now = datetime.now(UTC)
    flt = ClockFilter(kind=kind, client=audience.narrow(client), developer=developer, since=since, until=until,
                      state=state)
    try:
        views, next_cursor = clock_page(session, flt, contracts, now, limit=limit, cursor=cursor)
    except ValueError as exc:
        raise ProblemError(422, f"The parameter 'cursor' {exc}.",
                           errors=[{"field": "cursor", "problem": str(exc)}]) from None
    headers = {}
    if next_cursor is not None:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        query.append(("cursor", next_cursor))
        headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    if wants_csv(request, fmt):
        return csv_response(CLOCK_COLUMNS, (clock_row(v, contracts) for v in views), "clocks.csv", headers)
    response.headers.update(headers)
    return ClockPage(clocks=[audience.clock(clock_out(v, contracts)) for v in views], next_cursor=next_cursor,
                     limit=limit)
