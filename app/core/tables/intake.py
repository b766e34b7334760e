"""The webhook path's tables: deliveries as received, the work queue, and records set aside."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.tables.base import Base, utcnow


class RawDelivery(Base):
    """A webhook delivery exactly as received, kept so everything can be re-normalized."""

    __tablename__ = "raw_deliveries"
    __table_args__ = (UniqueConstraint("source", "delivery_id", name="uq_raw_delivery"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # processed | ignored | failed (how its payload normalized)
    error: Mapped[str | None] = mapped_column(Text)


class IntakeQueue(Base):
    """Webhook deliveries acknowledged (their raw row committed) whose records and clocks are not stored yet.

    A row is added with the raw delivery and deleted in the transaction that stores its records: a small row
    of its own, so finishing a delivery never rewrites its 15 KB body.
    """

    __tablename__ = "intake_queue"

    raw_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("raw_deliveries.id", ondelete="CASCADE"),
        primary_key=True, autoincrement=False,
    )
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuarantinedRecord(Base):
    """A record a sync listed but could not read, kept raw with the reason; `pulse replay` reads it again.

    One row per record (source, scope, kind, ref): meeting it again updates its body, reason and ``last_run_id``.
    ``resolved_at`` is set once a replay read it into records; a sync that meets it unreadable again clears it.
    """

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("source", "scope", "kind", "ref", name="uq_quarantine_record"),
        Index("ix_quarantine_run", "last_run_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(250))  # the repository or project it was listed in
    kind: Mapped[str] = mapped_column(String(32))  # issue, comment, review, review_comment, issue_event, history
    ref: Mapped[str] = mapped_column(String(250))  # its id, or a digest of its body
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    last_run_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    resolved_at: Mapped[datetime | None]
