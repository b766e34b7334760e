"""What the sync and the worker remember: cursors, ETags, runs, job leases and GitHub redeliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.tables.base import Base, utcnow


class SyncCursor(Base):
    """How far one sync stream of one repository/project has been read; only moves forward."""

    __tablename__ = "sync_cursors"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(250), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HttpETag(Base):
    """The last ETag seen for a listing URL, so a re-sync asks "anything new?" for free (304)."""

    __tablename__ = "http_etags"

    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    etag: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncRun(Base):
    """One run of the scheduled sync (or a reconcile), with its figures and errors."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_started", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # github | jira | all
    mode: Mapped[str] = mapped_column(String(16))  # incremental | full | reconcile
    requested_by: Mapped[str] = mapped_column(String(32))  # schedule | api | cli
    status: Mapped[str] = mapped_column(String(16))  # queued | running | succeeded | partial | failed
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    items: Mapped[int] = mapped_column(Integer, default=0)
    activities: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    rate_limit_remaining: Mapped[int | None] = mapped_column(Integer)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    quarantined: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # records it could not read


class WorkerJob(Base):
    """When a worker job is next due, shared by all workers: each due time is taken by one of them."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    taken_by: Mapped[str | None] = mapped_column(String(200))  # host and process id of the worker


class GitHubRedelivery(Base):
    """A failed GitHub webhook delivery the worker asked GitHub to redeliver: one row per event, so once at most.

    ``guid`` is the event's delivery id (``X-GitHub-Delivery``), the same on every attempt and redelivery of it;
    the unique constraint on it lets only one worker claim the asking, however many run.
    """

    __tablename__ = "github_redeliveries"
    __table_args__ = (UniqueConstraint("guid", name="uq_github_redeliveries_guid"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guid: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[int] = mapped_column(BigInteger)  # the failed attempt GitHub was asked to send again
    hook: Mapped[str] = mapped_column(String(250))  # "acme/shop", "organisation acme" or "GitHub App"
    event: Mapped[str | None] = mapped_column(String(64))
    failed_status: Mapped[int | None] = mapped_column(Integer)  # what our endpoint answered (0: no answer)
    delivered_at: Mapped[datetime]
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(200))  # host and process id of the worker
    outcome: Mapped[str] = mapped_column(String(16))  # asking, requested, refused
    error: Mapped[str | None] = mapped_column(Text)
