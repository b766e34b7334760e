"""Developers and their scorecards: both promises over a period, per client, week by week, open now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from app.api.deps import ContractsDep, ReadDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.api.params import ClientQ, PeriodSinceQ, PeriodUntilQ, period
from app.reports.clocks import has_clocks
from app.reports.schemas import (
    ClockOut,
    DeveloperList,
    DeveloperSummary,
    PersonOut,
    Promises,
    UTCTime,
    WeekFigures,
    WeekTimeZone,
    clock_out,
)
from app.reports.scorecards import developer_rows, developer_scorecard

router = APIRouter(prefix="/v1/developers", tags=["developers"])


class _ClientKey(BaseModel):
    client: str = Field(examples=["acme"])


class ClientFigures(Promises, _ClientKey):
    """One client's figures."""


class _DeveloperHead(BaseModel):
    developer: PersonOut
    since: UTCTime
    until: UTCTime


class DeveloperScorecard(Promises, _DeveloperHead):
    """Totals are the `responsiveness` and `bug_fix` fields; later promises join them as new fields."""

    clients: list[ClientFigures] = Field(description="The same figures for each client they worked for.")
    trend: list[WeekFigures] = Field(description="Week by week over the period, empty weeks included, in UTC "
                                     "weeks: a developer's clocks span several clients.")
    week_time_zone: WeekTimeZone
    open_clocks: list[ClockOut] = Field(description="Their clocks not stopped yet, oldest first.")


DeveloperId = Annotated[str, Path(description="Roster id from the contracts file (or `github:<login>` for people "
                                              "not in the roster).", examples=["olena"])]


@router.get(
    "",
    summary="List developers with both promises over a period",
    description="Roster developers, and anyone else credited with a clock. Default period: the last 30 days.",
    response_model=DeveloperList,
    responses=problem_responses(401, 422),
)
def read_developers(
    session: SessionDep, contracts: ContractsDep, _: ReadDep, client: ClientQ = None,
    since: PeriodSinceQ = None, until: PeriodUntilQ = None,
) -> Any:
    now = datetime.now(UTC)
    span = period(since, until, now)
    rows = developer_rows(session, contracts, span, now, client=client)
    return DeveloperList(since=span.since, until=span.until, developers=[DeveloperSummary(**r) for r in rows])


@router.get(
    "/{developer_id}",
    summary="One developer's scorecard",
    description="Both promises over the period (default the last 30 days), per client, week by week, and the "
    "clocks open right now.",
    response_model=DeveloperScorecard,
    responses=problem_responses(401, 404, 422, d404="No developer with that id."),
)
def read_developer(
    developer_id: DeveloperId, session: SessionDep, contracts: ContractsDep, _: ReadDep,
    since: PeriodSinceQ = None, until: PeriodUntilQ = None,
) -> Any:
    now = datetime.now(UTC)
    span = period(since, until, now)
    person = contracts.people.get(developer_id)
    known = contracts.is_developer(developer_id) if person else has_clocks(session, developer_id)
    if not known:
        raise ProblemError(404, f"No developer with id {developer_id!r}. GET /v1/developers lists them.")
    card = developer_scorecard(session, contracts, developer_id, span, now)
    card["open_clocks"] = [clock_out(v, contracts) for v in card["open_clocks"]]
    return DeveloperScorecard(**card)

