"""Alignment: delivery figures beside the client's own scores, per promise, with a verdict when they disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import ContractsDep, ReadDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.api.params import PeriodSinceQ, PeriodUntilQ, period
from app.reports.alignment import Alignment, ClientAlignment, Verdict, alignment_report
from app.reports.clocks import storable

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


class DeliveryOut(BaseModel):
    measure: str = Field(description="response_attainment, bug_fix_attainment or plain_pass_share.")
    value: float | None = Field(description="A share from 0 to 1; null when there is too little to judge.")
    basis: int = Field(description="Clocks met or breached, or messages scored, behind the value.")
    note: str | None


class PromiseOut(BaseModel):
    promise: str = Field(description="responsiveness, fix_speed or clarity.")
    delivery: DeliveryOut
    client_score: float | None = Field(description="The client's mean rating, 1-5, over ratings in the period.")
    ratings: int
    verdict: Verdict
    explanation: str


class AlignmentOut(BaseModel):
    developer: str | None = Field(description="Person id; null for the client's whole team.")
    name: str
    promises: list[PromiseOut]
    disagreements: list[str] = Field(description="The explanations of the promises the two sides see differently.")


class ThresholdsOut(BaseModel):
    good_attainment: float
    poor_attainment: float
    happy_score: float
    unhappy_score: float
    plain_pass_share: float


class ClientAlignmentOut(BaseModel):
    client: str
    thresholds: ThresholdsOut = Field(description="From the contract's `alignment:` section.")
    team: AlignmentOut
    developers: list[AlignmentOut]


class AlignmentReport(BaseModel):
    since: datetime
    until: datetime
    clients: list[ClientAlignmentOut]


def _alignment(a: Alignment) -> AlignmentOut:
    promises = [
        PromiseOut(promise=p.promise, delivery=DeliveryOut(measure=p.delivery.measure, value=_round(p.delivery.value),
                                                           basis=p.delivery.basis, note=p.delivery.note),
                   client_score=_round(p.client_score), ratings=p.ratings, verdict=p.verdict,
                   explanation=p.explanation)
        for p in a.promises
    ]
    return AlignmentOut(developer=a.developer, name=a.name, promises=promises, disagreements=a.disagreements)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _client(c: ClientAlignment) -> ClientAlignmentOut:
    return ClientAlignmentOut(client=c.client, thresholds=ThresholdsOut(**c.thresholds.model_dump()),
                              team=_alignment(c.team), developers=[_alignment(d) for d in c.developers])


@router.get("/alignment", summary="Delivery figures beside the client's own scores, with verdicts",
            response_model=AlignmentReport, responses=problem_responses(401, 404, 422))
def read_alignment(
    session: SessionDep, contracts: ContractsDep, _: ReadDep,
    client: Annotated[str | None, Query(description="Only this client (its name in the contracts file).")] = None,
    since: PeriodSinceQ = None, until: PeriodUntilQ = None,
) -> AlignmentReport:
    """Per client and per developer: each promise's delivery figure, the client's score for it, and a verdict."""
    now = datetime.now(UTC)
    span = period(since, until, now)
    if client is not None and (not storable(client) or client not in contracts.clients):
        raise ProblemError(404, f"No client named {client!r} in the contracts file; known clients: "
                                f"{', '.join(sorted(contracts.clients)) or 'none'}.")
    report = alignment_report(session, contracts, since=span.since, until=span.until, now=now, client=client)
    return AlignmentReport(since=span.since, until=span.until, clients=[_client(c) for c in report])
