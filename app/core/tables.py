"""Database tables (SQLAlchemy 2). API schemas live in app/api; metric inputs in metrics/model.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; read them back aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; every time must be timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


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


class WorkItemRow(Base):
    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_work_item"),
        Index("ix_work_items_container", "source", "container"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(300))
    container: Mapped[str] = mapped_column(String(250))
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    author_id: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(300))
    author_is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    labels: Mapped[list[Any]] = mapped_column(default=list)
    assignees: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str | None] = mapped_column(String(200))
    status_category: Mapped[str | None] = mapped_column(String(32))
    issue_type: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
    merged_at: Mapped[datetime | None]
    fixes: Mapped[list[Any]] = mapped_column(default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)


class ActivityRow(Base):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_activity"),
        Index("ix_activities_item", "source", "item_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(300))
    item_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(200))
    actor_name: Mapped[str | None] = mapped_column(String(300))
    actor_email: Mapped[str | None] = mapped_column(String(300))
    actor_is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class ItemLink(Base):
    """A pull request that closes a work item (closing keywords in its body, or a closing reference)."""

    __tablename__ = "item_links"
    __table_args__ = (Index("ix_item_links_item", "source", "item_key"),)

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    pr_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(300), primary_key=True)


class ContractTerms(Base):
    """One version of a client's terms as the clocks apply them, and the moment it took effect.

    A row is added when a loaded contracts file changes a client's terms (app.store.terms); a clock is judged by
    the version in force when it started, so an edit, a reload or a replay never re-judges older clocks.
    """

    __tablename__ = "contract_terms"
    __table_args__ = (Index("ix_contract_terms_client", "client", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))  # of the terms, to see a change at a glance
    terms: Mapped[dict[str, Any]] = mapped_column()  # the client's section of the file, as loaded
    effective_from: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemMoveRow(Base):
    """An old key of a work item and the key it moved to (another Jira project or GitHub repository), and when.

    Its activities are filed under the key it has now; the old key is answered with the item it became.
    """

    __tablename__ = "item_moves"
    __table_args__ = (Index("ix_item_moves_new_key", "source", "new_key"),)

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    old_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    new_key: Mapped[str] = mapped_column(String(300))
    old_container: Mapped[str] = mapped_column(String(250))  # the project or repository it left
    moved_at: Mapped[datetime]


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


class ApiToken(Base):
    """A bearer token created with `pulse token create`; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(250))  # read | admin | client:<name>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


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
    origin: Mapped[str] = mapped_column(String(16), default="api", server_default="api")  # csv | api | survey
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageScore(Base):
    """The plain-language score of one developer message (an activity), kept so queries stay fast."""

    __tablename__ = "message_scores"
    __table_args__ = (
        Index("ix_message_scores_author", "client", "developer", "at"),
        Index("ix_message_scores_at", "at"),  # a window over every client's messages
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
