"""Client feedback: record a client's own 1-5 ratings of a period, and list them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.audience import AudienceDep
from app.api.deps import AdminDep, ContractsDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.api.params import Time, check_order
from app.core.tables import Feedback
from app.reports.feedback import (
    FeedbackFilter,
    FeedbackInvalid,
    describe_period,
    list_feedback,
    read_feedback,
    save_feedback,
)

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])

_SCORE = {"minimum": 1, "maximum": 5}


class FeedbackIn(BaseModel):
    """A client's rating of a period: at least one of the three scores, each from 1 (poor) to 5 (excellent)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "client": "acme", "developer": "olena", "period": "2026-W07", "responsiveness": 2, "fix_speed": 4,
        "clarity": 5, "comment": "Answers come late when our shop is busy."}]})

    client: str = Field(description="The client's name in the contracts file.")
    developer: str | None = Field(default=None, description="A developer's person id; empty rates the whole team.")
    period: str | None = Field(default=None, description="An ISO week (2026-W07) or a month (2026-02).")
    start: str | None = Field(default=None, description="Instead of period: the first day rated (2026-02-01).")
    end: str | None = Field(default=None, description="Instead of period: the last day rated, included.")
    responsiveness: int | None = Field(default=None, json_schema_extra=_SCORE)
    fix_speed: int | None = Field(default=None, json_schema_extra=_SCORE)
    clarity: int | None = Field(default=None, json_schema_extra=_SCORE)
    comment: str | None = None


class FeedbackOut(BaseModel):
    id: int
    client: str
    developer: str = Field(description='A person id, or "" for the whole team.')
    period: str = Field(description="The period as given: 2026-W07, 2026-02 or 2026-02-01..2026-02-20.")
    period_start: datetime = Field(description="The first moment rated (midnight UTC).")
    period_end: datetime = Field(description="The moment after the last day rated (midnight UTC, exclusive).")
    responsiveness: int | None
    fix_speed: int | None
    clarity: int | None
    comment: str | None
    recommend: int | None = Field(description="How likely the client is to recommend us, 0-10 (from surveys).")
    origin: str = Field(description="Where the rating came from: csv, api, survey, or promises_page (answers to the "
                        "link on the client's promises page only).")
    created_at: datetime
    updated_at: datetime


class FeedbackList(BaseModel):
    feedback: list[FeedbackOut]


def _out(row: Feedback) -> FeedbackOut:
    fields: dict[str, Any] = {name: getattr(row, name) for name in FeedbackOut.model_fields if name != "period"}
    return FeedbackOut(period=describe_period(row.period_start, row.period_end), **fields)


@router.post(
    "", summary="Record a client's rating of a period", response_model=FeedbackOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": FeedbackOut, "description": "A rating for the same client, developer and period "
                                                          "was replaced."},
               **problem_responses(401, 403, 422)},
)
def create_feedback(
    body: FeedbackIn, response: Response, session: SessionDep, contracts: ContractsDep, _: AdminDep,
) -> FeedbackOut:
    """Store a rating; the same client, developer and period replaces the earlier rating instead of doubling."""
    now = datetime.now(UTC)
    try:
        entry = read_feedback(body.model_dump(), contracts, now)
    except FeedbackInvalid as exc:
        first = exc.errors[0]
        raise ProblemError(422, f"The field {first['field']!r} is wrong: {first['problem']}.",
                           errors=exc.errors) from None
    with session.begin():
        row, created = save_feedback(session, entry, now)
        out = _out(row)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("", summary="List client ratings", response_model=FeedbackList, responses=problem_responses(401, 422))
def read_feedback_list(
    session: SessionDep, audience: AudienceDep,
    client: Annotated[str | None, Query(description="Only this client.")] = None,
    developer: Annotated[str | None, Query(description='Only this developer; "" for whole-team ratings.')] = None,
    since: Annotated[Time | None, Query(description="Periods ending after this time (ISO 8601, offset).")] = None,
    until: Annotated[Time | None, Query(description="Periods starting before this time.")] = None,
) -> FeedbackList:
    """List ratings whose period overlaps [since, until), newest period first."""
    check_order(since, until)
    flt = FeedbackFilter(client=audience.narrow(client), developer=developer, since=since, until=until)
    rows = list_feedback(session, flt)
    return FeedbackList(feedback=[_out(r) for r in rows])
