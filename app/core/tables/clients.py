"""The client's side: feedback (ratings), the outbox of mails and Slack messages, survey requests and opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.tables.base import Base, utcnow


class Feedback(Base):
    """A client's own rating of a period, per promise (1-5); developer "" means the whole team."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("client", "developer", "period_start", "period_end", name="uq_feedback"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client: Mapped[str] = mapped_column(String(200))
    developer: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    responsiveness: Mapped[int | None] = mapped_column(Integer)
    fix_speed: Mapped[int | None] = mapped_column(Integer)
    clarity: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    recommend: Mapped[int | None] = mapped_column(Integer)  # 0-10: would they recommend us to a colleague
    # csv | api | survey | promises_page (the rating link on a client's own promises page)
    origin: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """A message to send (e-mail or Slack), queued once by its key and retried until it is delivered."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("key", name="uq_notification_key"),
                      Index("ix_notifications_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(16))  # email | slack
    destination: Mapped[str] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SurveyRequest(Base):
    """One client contact asked to rate one period (after a fixed bug, or every week or month), and the answer."""

    __tablename__ = "survey_requests"
    __table_args__ = (UniqueConstraint("key", name="uq_survey_request_key"),
                      Index("ix_survey_requests_rating", "client", "developer", "period_start", "period_end"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(600))  # client, person, reason and period (or bug clock): asked once
    client: Mapped[str] = mapped_column(String(200))
    person: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(16))  # after_bug_fix | week | month
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    developer: Mapped[str] = mapped_column(String(200), default="")  # "" asks about the whole team
    item_key: Mapped[str | None] = mapped_column(String(300))
    clock_id: Mapped[str | None] = mapped_column(String(400))
    asks_recommend: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    responsiveness: Mapped[int | None] = mapped_column(Integer)
    fix_speed: Mapped[int | None] = mapped_column(Integer)
    clarity: Mapped[int | None] = mapped_column(Integer)
    recommend: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class SurveyOptOut(Base):
    """A client contact who asked for no more surveys from this client's team."""

    __tablename__ = "survey_opt_outs"

    client: Mapped[str] = mapped_column(String(200), primary_key=True)
    person: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
