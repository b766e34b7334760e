"""Clients and their scorecards: the promises from the client's side, with the contract in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from app.api.audience import AudienceDep
from app.api.deps import ContractsDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.api.params import PeriodSinceQ, PeriodUntilQ, period
from app.reports.recommend import Recommendation, recommendations
from app.reports.schemas import ClientOut, ClockOut, Promises, UTCTime, WeekFigures, WeekTimeZone, clock_out
from app.reports.scorecards import client_rows, client_scorecard

router = APIRouter(prefix="/v1/clients", tags=["clients"])


class RecommendationOut(BaseModel):
    """How likely the client's people are to recommend us (0-10), from the surveys."""

    latest: int | None = Field(description="The newest score, 0-10; null when never asked.", examples=[8])
    latest_period: str | None = Field(description="The period the newest score rates.", examples=["2026-W09"])
    last_quarter: float | None = Field(description="Average over the last 91 days.", examples=[8.5])
    quarter_before: float | None = Field(description="Average over the 91 days before.", examples=[7.0])
    trend: str = Field(description="up, down or same from the quarter before to the last; empty when unknown.",
                       examples=["up"])
    answers: int = Field(description="Ratings with a score in the last 91 days.", examples=[4])


class ClientSummary(Promises, ClientOut):
    open_clocks: int = Field(description="Their clocks not stopped yet, right now.", examples=[3])
    recommend: RecommendationOut = Field(description="How likely they are to recommend us, and its trend.")


class ClientList(BaseModel):
    since: UTCTime
    until: UTCTime
    clients: list[ClientSummary]


class _DeveloperKey(BaseModel):
    id: str = Field(description="Person id, or `unassigned` for clocks nobody is assigned to.", examples=["olena"])
    name: str = Field(examples=["Olena Koval"])


class DeveloperFigures(Promises, _DeveloperKey):
    """One developer's figures for this client."""


class _ClientHead(BaseModel):
    client: ClientOut
    since: UTCTime
    until: UTCTime


class ClientScorecard(Promises, _ClientHead):
    """Totals are the `responsiveness` and `bug_fix` fields; later promises and feedback join as new fields."""

    developers: list[DeveloperFigures] = Field(description="The same figures for each developer credited; empty for "
                                               "a client token (per-developer figures are for the team's own use).")
    trend: list[WeekFigures] = Field(description="Week by week over the period, empty weeks included, in the "
                                     "client's own weeks.")
    week_time_zone: WeekTimeZone
    open_clocks: list[ClockOut] = Field(description="Their clocks not stopped yet, oldest first.")


ClientName = Annotated[str, Path(description="The client's name in the contracts file.", examples=["acme"])]


@router.get(
    "",
    summary="List clients with both promises over a period",
    description="Every client in the contracts file, its promises in plain words and how they were kept. "
    "Default period: the last 30 days.",
    response_model=ClientList,
    responses=problem_responses(401, 422),
)
def read_clients(
    session: SessionDep, contracts: ContractsDep, audience: AudienceDep, since: PeriodSinceQ = None,
    until: PeriodUntilQ = None,
) -> Any:
    now = datetime.now(UTC)
    span = period(since, until, now)
    rows = [r for r in client_rows(session, contracts, span, now) if audience.sees(r["name"])]
    scores = recommendations(session, [r["name"] for r in rows], now)
    clients = [ClientSummary(**r, recommend=_recommend_out(scores[r["name"]])) for r in rows]
    return ClientList(since=span.since, until=span.until, clients=clients)


def _recommend_out(score: Recommendation) -> RecommendationOut:
    return RecommendationOut(latest=score.latest, latest_period=score.latest_period, last_quarter=score.last_quarter,
                             quarter_before=score.quarter_before, trend=score.trend, answers=score.answers)


@router.get(
    "/{client_name}",
    summary="One client's scorecard",
    description="Both promises over the period (default the last 30 days) from the client's side: per developer, "
    "week by week, and the clocks open right now, with the contract's targets in plain words.",
    response_model=ClientScorecard,
    responses=problem_responses(401, 404, 422, d404="No client with that name."),
)
def read_client(
    client_name: ClientName, session: SessionDep, contracts: ContractsDep, audience: AudienceDep,
    since: PeriodSinceQ = None, until: PeriodUntilQ = None,
) -> Any:
    now = datetime.now(UTC)
    span = period(since, until, now)
    if client_name not in contracts.clients:
        raise ProblemError(404, f"No client named {client_name!r}. GET /v1/clients lists them.")
    card = client_scorecard(session, contracts, client_name, span, now)
    card["open_clocks"] = [audience.clock(clock_out(v, contracts)) for v in card["open_clocks"]]
    if audience.is_client:
        card["developers"] = []  # per-developer figures are for the team's own use
    return ClientScorecard(**card)
