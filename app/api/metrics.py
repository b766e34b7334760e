"""Promise metrics: response time to client messages and production-bug fix time, grouped."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from app.api.audience import AudienceDep
from app.api.deps import ContractsDep, SessionDep
from app.api.errors import problem_responses
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
from app.reports.clocks import ClockFilter, week_calendar
from app.reports.figures import metric_groups
from app.reports.schemas import EARLIEST, Figures, UTCTime
from app.store.terms import changes_between
from metrics.model import ClockKind

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


class GroupBy(StrEnum):
    DEVELOPER = "developer"
    CLIENT = "client"
    WORK_ITEM = "work_item"
    WEEK = "week"


class _GroupKey(BaseModel):
    key: str = Field(description="Person id, client name, item key (owner/repo#123, PROJ-45) or ISO week.",
                     examples=["olena"])
    name: str = Field(examples=["Olena Koval"])


class GroupFigures(Figures, _GroupKey):
    """One group's figures, after its key and name."""


class ContractChange(BaseModel):
    client: str = Field(examples=["acme"])
    effective_from: UTCTime


class MetricReport(BaseModel):
    metric: str = Field(examples=["responsiveness"])
    since: UTCTime | None
    until: UTCTime | None
    group_by: str = Field(examples=["developer"])
    week_time_zone: str | None = Field(
        description="Grouped by week: the IANA time zone the weeks run Monday to Sunday in, the client's contract "
        "calendar when `client` is given, else UTC. Null for other groupings.", examples=["Asia/Tokyo"])
    groups: list[GroupFigures]
    contract_changes: list[ContractChange] = Field(
        default=[], description="Changes of a client's contract terms that took effect inside the period: each "
        "clock is judged by the terms in force when it started, so the figures mix both versions.")


GROUP_COLUMNS = ["key", "name", "clocks", "met", "breached", "running", "at_risk", "paused", "cancelled", "attainment",
                 "median_seconds", "median", "p90_seconds", "p90", "mean_seconds", "mean", "target_seconds", "target"]
_CSV_EXAMPLE = ("key,name,clocks,met,breached,running,at_risk,paused,cancelled,attainment,median_seconds,median,"
                "p90_seconds,p90,mean_seconds,mean,target_seconds,target\r\n"
                "olena,Olena Koval,42,37,4,2,1,0,1,0.9024,720.0,12 min,1980.0,33 min,904.5,15 min,1800,30 min\r\n")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Figures per group, as JSON or CSV.", "content": csv_doc(_CSV_EXAMPLE)},
    **problem_responses(401, 422),
}

GroupQ = Annotated[GroupBy, Query(description="How to group the figures.")]


def _report(
    kind: ClockKind, metric: str, request: Request, session: SessionDep, contracts: ContractsDep, *,
    client: str | None, developer: str | None, since: datetime | None, until: datetime | None, group_by: GroupBy,
    fmt: Any,
) -> Any:
    check_order(since, until)
    now = datetime.now(UTC)
    flt = ClockFilter(kind=kind, client=client, developer=developer, since=since, until=until)
    groups = metric_groups(session, flt, group_by.value, contracts, now)
    if wants_csv(request, fmt):
        return csv_response(GROUP_COLUMNS, groups, f"{metric}-by-{group_by.value}.csv")
    zone = week_calendar(contracts, client).timezone if group_by is GroupBy.WEEK else None
    changes = changes_between(session, since or EARLIEST, until or now, client)
    return MetricReport(metric=metric, since=since, until=until, group_by=group_by.value, week_time_zone=zone,
                        groups=[GroupFigures(**g) for g in groups],
                        contract_changes=[ContractChange(**change) for change in changes])


@router.get(
    "/responsiveness",
    summary="Response time to client messages, grouped",
    description="Every client message starts a clock that the next developer message in the same thread stops. "
    "Unanswered messages past their target count as breached; durations are over answered ones.",
    response_model=MetricReport,
    responses=_RESPONSES,
)
def read_responsiveness(
    request: Request, session: SessionDep, contracts: ContractsDep, audience: AudienceDep, client: ClientQ = None,
    developer: DeveloperQ = None, since: SinceQ = None, until: UntilQ = None,
    group_by: GroupQ = GroupBy.DEVELOPER, fmt: FormatQ = None,
) -> Any:
    return _report(ClockKind.RESPONSE, "responsiveness", request, session, contracts, client=audience.narrow(client),
                   developer=developer, since=since, until=until, group_by=group_by, fmt=fmt)


@router.get(
    "/bug-fix",
    summary="Production-bug fix time, grouped",
    description="A clock starts when an item becomes a production bug, pauses in the contract's waiting statuses "
    "and stops at resolution. Open bugs past their target count as breached.",
    response_model=MetricReport,
    responses=_RESPONSES,
)
def read_bug_fix(
    request: Request, session: SessionDep, contracts: ContractsDep, audience: AudienceDep, client: ClientQ = None,
    developer: DeveloperQ = None, since: SinceQ = None, until: UntilQ = None,
    group_by: GroupQ = GroupBy.DEVELOPER, fmt: FormatQ = None,
) -> Any:
    return _report(ClockKind.BUG_FIX, "bug-fix", request, session, contracts, client=audience.narrow(client),
                   developer=developer, since=since, until=until, group_by=group_by, fmt=fmt)
