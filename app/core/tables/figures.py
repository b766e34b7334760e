"""What the figures are read from: clocks, alerts about them, and plain-language scores of messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.tables.base import Base, utcnow


def _partial(name: str, where: str, *columns: str) -> Index:
    """An index over the clocks a condition selects, on SQLite and PostgreSQL alike."""
    return Index(name, *columns, "stopped_at", sqlite_where=text(where), postgresql_where=text(where))


# The stopped clocks that count in figures (not cancelled), as each database writes the condition the
# figure queries use (SQLite keeps booleans as 0/1), so both use the partial indexes below.
COUNTED_STOPPED = {"sqlite": "stopped_at IS NOT NULL AND cancelled = 0",
                   "postgresql": "stopped_at IS NOT NULL AND NOT cancelled"}


CANCELLED = {"sqlite": "cancelled = 1", "postgresql": "cancelled"}


def _where(name: str, where: dict[str, str], *columns: str) -> Index:
    """An index over the clocks a condition selects, the condition written as each database needs it."""
    return Index(name, *columns, "stopped_at", "cancelled", sqlite_where=text(where["sqlite"]),
                 postgresql_where=text(where["postgresql"]))


class ClockRow(Base):
    """A stored clock: recomputed whenever its work item's activities change."""

    __tablename__ = "clocks"
    __table_args__ = (
        Index("ix_clocks_kind_started", "kind", "started_at"),
        Index("ix_clocks_item", "source", "item_key"),
        # Durations ride along so a developer's figures over a window come from the index alone.
        Index("ix_clocks_developer", "developer", "kind", "started_at", "stopped_at", "elapsed_seconds",
              "target_seconds", "cancelled"),
        Index("ix_clocks_client", "client", "kind", "started_at"),
        # Figures read these instead of the table: the few open clocks with what decides their state at
        # `now`, and the durations of the stopped ones by start and, per developer, in order of duration.
        # stopped_at is listed so that SQLite, too, answers from the index alone.
        _partial("ix_clocks_open", "stopped_at IS NULL", "kind", "started_at", "developer", "client",
                 "elapsed_seconds", "target_seconds", "running_since", "deadline", "at_risk_at"),
        _where("ix_clocks_stopped", COUNTED_STOPPED, "kind", "started_at", "developer", "client",
               "elapsed_seconds", "target_seconds"),
        _where("ix_clocks_durations", COUNTED_STOPPED, "kind", "developer", "elapsed_seconds", "started_at",
               "target_seconds"),
        _where("ix_clocks_client_durations", COUNTED_STOPPED, "kind", "client", "elapsed_seconds", "started_at",
               "target_seconds"),
        # The few cancelled clocks, counted apart.
        _where("ix_clocks_cancelled", CANCELLED, "kind", "started_at", "developer", "client", "target_seconds"),
    )

    id: Mapped[str] = mapped_column(String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    item_key: Mapped[str] = mapped_column(String(300))
    client: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)
    developer: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    elapsed_seconds: Mapped[int] = mapped_column(BigInteger)
    target_seconds: Mapped[int] = mapped_column(BigInteger)
    running_since: Mapped[datetime | None]
    deadline: Mapped[datetime | None]
    at_risk_at: Mapped[datetime | None]
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)  # notes, holders: see histories


class Alert(Base):
    """One warning about one clock at one stage, to one destination: sent exactly once, retried until it is."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("clock_id", "stage", "destination", name="uq_alert"),
        Index("ix_alerts_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    clock_id: Mapped[str] = mapped_column(String(400))
    stage: Mapped[str] = mapped_column(String(16))  # at_risk | breached | digest
    client: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(16))  # slack | webhook
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


# The columns language_figures.totals sums, carried by the score indexes so the sums need no table read.
_SUMMED = ("supported", "passes", "words", "jargon_share")


class MessageScore(Base):
    """The plain-language score of one developer message (an activity), kept so queries stay fast."""

    __tablename__ = "message_scores"
    __table_args__ = (
        Index("ix_message_scores_author", "client", "developer", "at"),
        # A window's messages newest first (at, source, external_id: the listing's whole order, so a walk stops
        # at the last message listed), for everyone, a developer or a client; the columns the sums read come
        # after, so a year's counts are read from the index alone (migration 0015).
        Index("ix_message_scores_at", "at", "source", "external_id", *_SUMMED, "client", "developer"),
        Index("ix_message_scores_developer", "developer", "at", "source", "external_id", *_SUMMED),
        Index("ix_message_scores_client", "client", "at", "source", "external_id", *_SUMMED, "developer"),
        Index("ix_message_scores_item", "source", "item_key"),  # a deleted work item's scores
    )

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(300))
    client: Mapped[str] = mapped_column(String(200))
    developer: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(16))
    supported: Mapped[bool] = mapped_column(Boolean, default=False)
    words: Mapped[int] = mapped_column(Integer, default=0)
    jargon_share: Mapped[float | None]
    unexplained_acronyms: Mapped[int] = mapped_column(Integer, default=0)
    avg_words_per_sentence: Mapped[float | None]
    readability_grade: Mapped[float | None]
    passes: Mapped[bool | None] = mapped_column(Boolean)
    flagged: Mapped[list[Any]] = mapped_column(default=list)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    scorer_version: Mapped[str] = mapped_column(String(32))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlaggedTermRow(Base):
    """One jargon term flagged in one scored message: the score's ``flagged`` list as rows, for sums in SQL.

    Written with its score (app.reports.plain_language) and deleted with it (the foreign key cascades), so a
    year of terms is summed from a narrow indexed table instead of parsing every score's JSON. Who wrote the
    message and when are copied from the score: the filters and groups read them without a join.
    """

    __tablename__ = "flagged_terms"
    __table_args__ = (
        ForeignKeyConstraint(["source", "external_id"], ["message_scores.source", "message_scores.external_id"],
                             ondelete="CASCADE", name="fk_flagged_terms_score"),
        Index("ix_flagged_terms_author", "client", "developer", "at"),
        # The sums of a window's terms by week or for the company, from the index alone (migration 0015).
        Index("ix_flagged_terms_at", "at", "client", "developer", "term", "count", "suggestion"),
        # A term's newest uses, in the company, for a developer or for a client (language_figures.term_messages),
        # in the whole order a walk needs; a developer's or client's sums by term from the index alone.
        Index("ix_flagged_terms_term", "term", "at", "source", "external_id"),
        Index("ix_flagged_terms_developer_term", "developer", "term", "at", "source", "external_id", "count",
              "suggestion"),
        Index("ix_flagged_terms_client_term", "client", "term", "at", "source", "external_id", "count",
              "suggestion"),
    )

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    suggestion: Mapped[str | None] = mapped_column(String(500))
    client: Mapped[str] = mapped_column(String(200))
    developer: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
