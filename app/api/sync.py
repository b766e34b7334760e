"""Ask for a sync now and see past runs with their figures and errors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.api.deps import AdminDep, ReadDep, SessionDep
from app.api.errors import Problem
from app.core.tables import QuarantinedRecord, SyncRun
from app.store.quarantine import for_runs

router = APIRouter(prefix="/v1/sync", tags=["sync"])


class SyncRequest(BaseModel):
    source: Literal["github", "jira", "all"] = Field(default="all", description="Which source to read.")
    mode: Literal["incremental", "full", "reconcile"] = Field(
        default="incremental",
        description="incremental: what changed since the last run; full: everything again; "
        "reconcile: find issues deleted upstream.",
    )


class QuarantinedOut(BaseModel):
    """A record the run listed but could not read: kept raw with the reason (`pulse quarantine --show <number>`)."""

    number: int = Field(description="Its number in the quarantine.")
    source: str
    scope: str = Field(description="The repository or Jira project it was listed in.")
    kind: str = Field(description="What it is: issue, comment, review, review_comment, issue_event or history.")
    ref: str = Field(description="Its id at the source (or a digest of its body when it has none).")
    reason: str = Field(description="Why it could not be read.")
    times_seen: int
    last_seen_at: datetime


class SyncRunOut(BaseModel):
    id: int
    source: str
    mode: str
    requested_by: str
    status: str = Field(description="queued, running, succeeded, partial, failed, stopped or interrupted.")
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    items: int
    activities: int
    requests: int
    rate_limit_remaining: int | None
    quarantined: int = Field(description="How many records the run could not read; kept raw with the reason, "
                             "while everything else was stored.")
    quarantined_records: list[QuarantinedOut] = Field(
        description="Up to 20 of those records still waiting (a later replay or run may have read the rest)."
    )
    errors: list[str]


class SyncRunList(BaseModel):
    runs: list[SyncRunOut]


def _quarantined_out(row: QuarantinedRecord) -> QuarantinedOut:
    return QuarantinedOut(number=row.id, source=row.source, scope=row.scope, kind=row.kind, ref=row.ref,
                          reason=row.reason, times_seen=row.times_seen, last_seen_at=row.last_seen_at)


def _out(row: SyncRun, quarantined: list[QuarantinedRecord] | None = None) -> SyncRunOut:
    return SyncRunOut(
        id=row.id, source=row.source, mode=row.mode, requested_by=row.requested_by, status=row.status,
        queued_at=row.queued_at, started_at=row.started_at, finished_at=row.finished_at, items=row.items,
        activities=row.activities, requests=row.requests, rate_limit_remaining=row.rate_limit_remaining,
        quarantined=row.quarantined or 0, quarantined_records=[_quarantined_out(q) for q in quarantined or ()],
        errors=[str(e) for e in row.errors or ()],
    )


@router.post(
    "",
    summary="Ask the worker to run a sync now",
    status_code=202,
    response_model=SyncRunOut,
    responses={401: {"model": Problem}, 403: {"model": Problem}},
)
def create_sync(body: SyncRequest, session: SessionDep, _: AdminDep) -> SyncRunOut:
    """Queue a sync run; the worker (`pulse worker`) starts it within a few seconds."""
    existing = session.scalars(
        select(SyncRun).where(SyncRun.status == "queued", SyncRun.source == body.source, SyncRun.mode == body.mode)
    ).first()
    if existing is not None:
        return _out(existing)
    row = SyncRun(source=body.source, mode=body.mode, requested_by="api", status="queued")
    session.add(row)
    session.commit()
    return _out(row)


@router.get("/runs", summary="List sync runs, newest first", response_model=SyncRunList,
            responses={401: {"model": Problem}})
def read_sync_runs(
    session: SessionDep, _: ReadDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many runs to return.")] = 50,
) -> SyncRunList:
    rows = session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).all()
    kept = for_runs(session, [r.id for r in rows if r.quarantined])
    return SyncRunList(runs=[_out(r, kept.get(r.id)) for r in rows])
