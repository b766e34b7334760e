"""One work item with its activities and clocks: the audit trail behind any number."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts
from app.core.tables import ActivityRow, WorkItemRow
from app.reports.clocks import item_clock_views, storable
from app.reports.schemas import ClockOut, UTCTime, clock_out
from app.store.moves import arrivals, current_keys

EXCERPT_CHARS = 280
# owner/repo/123, owner/repo/issues/123 or owner/repo/pull/123: forms that need no %23 in a URL.
_GITHUB_PATH_KEY = re.compile(r"^([\w.-]+/[\w.-]+)/(?:issues/|pull/)?(\d+)$")


class Source(StrEnum):
    GITHUB = "github"
    JIRA = "jira"


class ActorOut(BaseModel):
    identity: str | None = Field(description="GitHub login or Jira account id, as the source wrote it.",
                                 examples=["alice-acme"])
    name: str | None = Field(examples=["Alice Meyer"])
    person: str | None = Field(description="Who that is for this client: roster id or `<source>:<identity>`.",
                               examples=["alice"])
    role: str | None = Field(description="client, developer, bot or ignore, by the contract; null when the item "
                                         "belongs to no client.", examples=["client"])


class ActivityOut(BaseModel):
    id: str = Field(description="The activity's id at the source; clocks cite it as evidence.",
                    examples=["comment:1001"])
    kind: str = Field(examples=["comment"])
    at: UTCTime
    actor: ActorOut
    url: str | None = Field(examples=["https://github.com/acme/shop/issues/1#issuecomment-1001"])
    excerpt: str | None = Field(description=f"The first {EXCERPT_CHARS} characters of a message.",
                                examples=["Thanks, I can see it. I'm looking into it now."])
    data: dict[str, Any] = Field(description="Details of the change: labels, statuses, assignees, close reason.",
                                 examples=[{"label": "production"}])
    deleted: bool = Field(description="Deleted at the source; kept as evidence. A deleted answer still answered; "
                                      "a question its author deleted in time withdraws its clock (see README, "
                                      "How the clocks count).", examples=[False])
    internal: bool = Field(default=False, description="An internal note or a comment restricted to a role or "
                                                      "group: neither a client message nor an answer.",
                           examples=[False])


class MovedFrom(BaseModel):
    key: str = Field(description="A key the item had before it moved to another project or repository.",
                     examples=["OPS-12"])
    container: str = Field(description="The project or repository it left.", examples=["OPS"])
    moved_at: UTCTime = Field(description="When it moved.")


class WorkItemDetail(BaseModel):
    source: str = Field(examples=["github"])
    key: str = Field(examples=["acme/shop#1"])
    kind: str = Field(examples=["issue"])
    url: str | None = Field(examples=["https://github.com/acme/shop/issues/1"])
    title: str | None = Field(examples=["Checkout button does nothing on Safari"])
    client: str | None = Field(description="The client whose contract lists the repository or project.",
                               examples=["acme"])
    container: str = Field(description="Repository or Jira project.", examples=["acme/shop"])
    status: str | None = Field(examples=["open"])
    labels: list[str] = Field(examples=[["production"]])
    assignees: list[str] = Field(examples=[["olena-dev"]])
    author: ActorOut
    created_at: UTCTime | None
    updated_at: UTCTime | None
    resolved_at: UTCTime | None
    merged_at: UTCTime | None
    deleted: bool = Field(examples=[False])
    moved_from: list[MovedFrom] = Field(
        default_factory=list,
        description="The keys it had before it moved to another Jira project or GitHub repository, oldest first. "
                    "A request for any of them answers with this item under its key now; its activities and "
                    "clocks are all filed here.")
    activities: list[ActivityOut] = Field(description="Everything that happened to it, oldest first.")
    clocks: list[ClockOut] = Field(description="The clocks computed from those activities.")


def _actor(contracts: Contracts, client: Client | None, source: str, identity: str | None, name: str | None,
           email: str | None = None, is_bot: bool = False) -> ActorOut:
    if client is None:
        return ActorOut(identity=identity, name=name, person=None, role=None)
    who = contracts.resolve(client, source, identity, email=email, is_bot=is_bot)
    return ActorOut(identity=identity, name=name, person=who.person, role=who.role.value)


def _activity(contracts: Contracts, client: Client | None, a: ActivityRow) -> ActivityOut:
    body = (a.body or "").strip()
    return ActivityOut(
        id=a.external_id, kind=a.kind, at=a.at,
        actor=_actor(contracts, client, a.source, a.actor_id, a.actor_name, a.actor_email, a.actor_is_bot),
        url=a.url, excerpt=body[:EXCERPT_CHARS] or None, data=dict(a.data or {}), deleted=a.deleted,
        internal=bool((a.data or {}).get("internal")),
    )


def client_view(detail: WorkItemDetail, client: str, contracts: Contracts) -> WorkItemDetail:
    """Show an item as its client may see it: no internal notes, only that client's clocks, no holders' shares,
    and nothing of the time it spent in another client's project or repository before it moved here."""
    owners = [(m.moved_at, _owner(contracts, detail.source, m.container)) for m in detail.moved_from]

    def ours(at: datetime) -> bool:
        # An activity before a move happened in the container the item left at that move.
        before = next((owner for moved_at, owner in owners if at < moved_at), detail.client)
        return before == client

    return detail.model_copy(update={
        "activities": [a for a in detail.activities if not a.internal and ours(a.at)],
        "clocks": [c.model_copy(update={"holders": []}) for c in detail.clocks if c.client == client],
        "moved_from": [m for m, (_, owner) in zip(detail.moved_from, owners, strict=True) if owner == client],
    })


def _owner(contracts: Contracts, source: str, container: str) -> str | None:
    found = contracts.client_for(source, container)
    return found.name if found else None


def normalize_key(source: Source, key: str) -> str:
    """Accept owner/repo/123 for owner/repo#123, so a GitHub key can be written without %23."""
    match = _GITHUB_PATH_KEY.match(key) if source is Source.GITHUB and "#" not in key else None
    return f"{match[1]}#{match[2]}" if match else key


def work_item_detail(session: Session, contracts: Contracts, source: Source, key: str,
                     now: datetime) -> WorkItemDetail | None:
    """Return a stored work item with its activities and clocks at `now`, or None when none was received.

    A key the item had before a move answers with the item under its key now (``moved_from`` names the old keys).
    """
    item = None
    if storable(key):
        key = current_keys(session, [(source.value, key)]).get((source.value, key), key)
        item = session.scalar(select(WorkItemRow).where(WorkItemRow.source == source.value, WorkItemRow.key == key))
    if item is None:
        return None
    moves = arrivals(session, [(item.source, item.key)]).get((item.source, item.key), ())
    client = contracts.client_for(item.source, item.container)
    acts = session.scalars(
        select(ActivityRow).where(ActivityRow.source == item.source, ActivityRow.item_key == item.key)
        .order_by(ActivityRow.at, ActivityRow.external_id)
    )
    return WorkItemDetail(
        source=item.source, key=item.key, kind=item.kind, url=item.url, title=item.title,
        client=client.name if client else None, container=item.container, status=item.status,
        labels=[str(x) for x in item.labels or ()], assignees=[str(x) for x in item.assignees or ()],
        author=_actor(contracts, client, item.source, item.author_id, item.author_name, is_bot=item.author_is_bot),
        created_at=item.created_at, updated_at=item.updated_at, resolved_at=item.resolved_at,
        merged_at=item.merged_at, deleted=item.deleted,
        moved_from=[MovedFrom(key=m.old_key, container=m.old_container, moved_at=m.at) for m in moves],
        activities=[_activity(contracts, client, a) for a in acts],
        clocks=[clock_out(v, contracts) for v in item_clock_views(session, item.source, item.key, contracts, now)],
    )
