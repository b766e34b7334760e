"""Promise metrics: response time to client messages and production-bug fix time, grouped."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from app.api.deps import ContractsDep, SessionDep, TokenDep
from app.api.problems import Problem
from app.queries import ClockFilter, group_stats, load_clocks
from metrics.model import ClockKind

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


class GroupBy(StrEnum):
    DEVELOPER = "developer"
    CLIENT = "client"
    WORK_ITEM = "work_item"
    WEEK = "week"


class GroupFigures(BaseModel):
    key: str = Field(description="Person id, client name, item key (owner/repo#123, PROJ-45) or ISO week.")
    name: str
    clocks: int
    met: int
    breached: int = Field(description="Past their target, stopped or still running.")
    running: int = Field(description="Not yet stopped, whatever their state.")
    at_risk: int
    attainment: float | None = Field(description="met / (met + breached); null when both are 0.")
    median_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None
    target_seconds: int | None


class MetricReport(BaseModel):
    metric: str
    since: datetime | None
    until: datetime | None
    groups: list[GroupFigures]


_RESPONSES = {401: {"model": Problem, "description": "Missing or wrong API token."}}


def _report(
    kind: ClockKind,
    metric: str,
    session: SessionDep,
    contracts: ContractsDep,
    client: str | None,
    developer: str | None,
    since: datetime | None,
    until: datetime | None,
    group_by: GroupBy,
) -> MetricReport:
    now = datetime.now(UTC)
    clocks = load_clocks(session, ClockFilter(kind=kind, client=client, developer=developer, since=since,
                                              until=until))
    groups = group_stats(clocks, group_by.value, contracts, now, session)
    return MetricReport(metric=metric, since=since, until=until, groups=[GroupFigures(**g) for g in groups])


ClientQ = Annotated[str | None, Query(description="Only this client (its name in the contracts file).")]
DeveloperQ = Annotated[str | None, Query(description="Only clocks credited to this person id.")]
SinceQ = Annotated[AwareDatetime | None, Query(description="Clocks started at or after this time (ISO 8601 with offset).")]
UntilQ = Annotated[AwareDatetime | None, Query(description="Clocks started before this time (ISO 8601 with offset).")]
GroupQ = Annotated[GroupBy, Query(description="How to group the figures.")]


@router.get("/responsiveness", summary="Response time to client messages, grouped", response_model=MetricReport,
            responses=_RESPONSES)
def read_responsiveness(
    session: SessionDep, contracts: ContractsDep, _: TokenDep, client: ClientQ = None, developer: DeveloperQ = None,
    since: SinceQ = None, until: UntilQ = None, group_by: GroupQ = GroupBy.DEVELOPER,
) -> MetricReport:
    return _report(ClockKind.RESPONSE, "responsiveness", session, contracts, client, developer, since, until,
                   group_by)


@router.get("/bug-fix", summary="Production-bug fix time, grouped", response_model=MetricReport,
            responses=_RESPONSES)
def read_bug_fix(
    session: SessionDep, contracts: ContractsDep, _: TokenDep, client: ClientQ = None, developer: DeveloperQ = None,
    since: SinceQ = None, until: UntilQ = None, group_by: GroupQ = GroupBy.DEVELOPER,
) -> MetricReport:
    return _report(ClockKind.BUG_FIX, "bug-fix", session, contracts, client, developer, since, until, group_by)
