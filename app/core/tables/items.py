"""Work items (issues, pull requests), their activities, links, moves and the contract terms they were read under."""

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
