"""The one place that turns stored rows into metric inputs, and stored clocks back into Clock values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts
from app.core.db import pairs_in
from app.core.tables import ActivityRow, ClockRow, ItemLink, WorkItemRow
from connectors.records import MESSAGE_KINDS, parse_time
from metrics.model import (
    Clock,
    ClockKind,
    Evidence,
    EvidenceRole,
    FixLink,
    ItemEvent,
    ItemHistory,
    Role,
)

_CHUNK = 400
REVIEW_KINDS = frozenset({"review"})


def _chunks(keys: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def load_histories(
    session: Session, contracts: Contracts, keys: Iterable[tuple[str, str]]
) -> tuple[list[ItemHistory], set[tuple[str, str]]]:
    """Build the history of each work item; also return the keys that have no client (no clocks)."""
    keys = sorted(set(keys))
    histories: list[ItemHistory] = []
    without_client: set[tuple[str, str]] = set()
    for chunk in _chunks(keys):
        items = {
            (r.source, r.key): r
            for r in session.scalars(select(WorkItemRow).where(pairs_in(WorkItemRow.source, WorkItemRow.key, chunk)))
        }
        acts: dict[tuple[str, str], list[ActivityRow]] = defaultdict(list)
        for a in session.scalars(select(ActivityRow).where(pairs_in(ActivityRow.source, ActivityRow.item_key, chunk))):
            acts[(a.source, a.item_key)].append(a)
        fixes = _fix_links(session, chunk)
        for key in chunk:
            history = _history(contracts, key, items.get(key), acts.get(key, []), fixes.get(key, []))
            if history is None:
                without_client.add(key)
            else:
                histories.append(history)
    return histories, without_client


def _fix_links(session: Session, chunk: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[WorkItemRow]]:
    rows = session.execute(
        select(ItemLink.source, ItemLink.item_key, WorkItemRow)
        .join(WorkItemRow, (WorkItemRow.source == ItemLink.source) & (WorkItemRow.key == ItemLink.pr_key))
        .where(pairs_in(ItemLink.source, ItemLink.item_key, chunk), WorkItemRow.merged_at.is_not(None))
    ).all()
    out: dict[tuple[str, str], list[WorkItemRow]] = defaultdict(list)
    for source, item_key, pr in rows:
        out[(source, item_key)].append(pr)
    return out


def _history(
    contracts: Contracts,
    key: tuple[str, str],
    item: WorkItemRow | None,
    acts: list[ActivityRow],
    prs: list[WorkItemRow],
) -> ItemHistory | None:
    source, item_key = key
    if item is None or item.deleted:
        return None
    client = contracts.client_for(source, item.container)
    if client is None:
        return None
    created = item.created_at or min((a.at for a in acts), default=None)
    if created is None:
        return None
    author = contracts.resolve(client, source, item.author_id, is_bot=item.author_is_bot)
    # A deleted message stays in the history (the clocks decide what its deletion changes); a deleted
    # activity of any other kind (a status change cannot be deleted at the source) is left out.
    events = sorted((_event(contracts, client, source, a) for a in acts if not a.deleted or a.kind in MESSAGE_KINDS),
                    key=lambda e: (e.at, e.id))
    fixed_by = tuple(
        FixLink(
            pr_key=pr.key,
            merged_at=pr.merged_at,
            author=contracts.resolve(client, source, pr.author_id, is_bot=pr.author_is_bot).person,
            activity_id=f"merged:{pr.key}",
            url=pr.url,
        )
        for pr in sorted(prs, key=lambda p: (p.merged_at, p.key))
        if pr.merged_at is not None
    )
    return ItemHistory(
        source=source,
        key=item_key,
        client=client.name,
        kind=item.kind,
        url=item.url,
        title=item.title,
        created_at=created,
        author=author.person,
        author_role=author.role,
        assignees=tuple(_person(contracts, client, source, a) for a in item.assignees or ()),
        developers=_developers(contracts, client, source, item, acts),
        labels=tuple(item.labels or ()),
        issue_type=item.issue_type,
        priority=item.priority,
        status=item.status,
        resolution=item.resolution,
        events=tuple(events),
        fixed_by=fixed_by,
    )


def _developers(
    contracts: Contracts, client: Client, source: str, item: WorkItemRow, acts: list[ActivityRow]
) -> frozenset[str]:
    """Return the person ids, among everyone assigned to the item at any time, who are developers at its client."""
    identities = set(item.assignees or ())
    identities.update(str(a.data["assignee"]) for a in acts if a.data and a.data.get("assignee"))
    out = set()
    for identity in identities:
        who = contracts.resolve(client, source, identity)
        if who.role is Role.DEVELOPER:
            out.add(who.person or f"{source}:{identity}")
    return frozenset(out)


def _person(contracts: Contracts, client: Client, source: str, identity: str) -> str:
    resolved = contracts.resolve(client, source, identity)
    return resolved.person or f"{source}:{identity}"


def _event(contracts: Contracts, client: Client, source: str, a: ActivityRow) -> ItemEvent:
    who = contracts.resolve(client, source, a.actor_id, email=a.actor_email, is_bot=a.actor_is_bot)
    data = dict(a.data or {})
    if data.get("assignee"):
        data["assignee"] = _person(contracts, client, source, data["assignee"])
    # A message has words: a review or approval without text is neither a question nor an answer.
    has_body = bool((a.body or "").strip()) if a.kind in REVIEW_KINDS else True
    deleted_at = deleted_by = None
    if a.deleted:  # Jira keeps the deletion's moment as the comment's last change
        deleted_at = parse_time(data["deleted_at"]) if data.get("deleted_at") else (
            a.updated_at if source == "jira" else None)
        if data.get("deleted_by"):
            deleted_by = _person(contracts, client, source, str(data["deleted_by"]))
    return ItemEvent(
        id=a.external_id, at=a.at, kind=a.kind, actor=who.person, role=who.role, data=data, url=a.url,
        has_body=has_body, public=not data.get("internal"), deleted=a.deleted, deleted_at=deleted_at,
        deleted_by=deleted_by,
    )


def clock_to_row(clock: Clock) -> dict[str, Any]:
    return {
        "id": clock.clock_id,
        "kind": clock.kind.value,
        "source": clock.source,
        "item_key": clock.item_key,
        "client": clock.client,
        "seq": clock.seq,
        "developer": clock.developer,
        "started_at": clock.started_at,
        "stopped_at": clock.stopped_at,
        "elapsed_seconds": clock.elapsed_seconds,
        "target_seconds": clock.target_seconds,
        "running_since": clock.running_since,
        "deadline": clock.deadline,
        "at_risk_at": clock.at_risk_at,
        "evidence": [_evidence_row(e) for e in clock.evidence],
        "cancelled": clock.cancelled,
        "detail": _detail(clock),
    }


def _evidence_row(e: Evidence) -> dict[str, Any]:
    row = {"role": e.role.value, "activity_id": e.activity_id, "at": e.at.isoformat(), "url": e.url}
    if e.note:
        row["note"] = e.note
    return row


def _detail(clock: Clock) -> dict[str, Any] | None:
    """What a clock says beyond its times (stored as JSON): notes in plain words, and each holder's share."""
    detail: dict[str, Any] = {}
    if clock.notes:
        detail["notes"] = list(clock.notes)
    if clock.holders:
        detail["holders"] = [[person, seconds] for person, seconds in clock.holders]
    return detail or None


def row_to_clock(row: ClockRow) -> Clock:
    return Clock(
        kind=ClockKind(row.kind),
        source=row.source,
        item_key=row.item_key,
        client=row.client,
        seq=row.seq,
        developer=row.developer,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        elapsed_seconds=row.elapsed_seconds,
        target_seconds=row.target_seconds,
        running_since=row.running_since,
        deadline=row.deadline,
        at_risk_at=row.at_risk_at,
        evidence=tuple(
            Evidence(EvidenceRole(e["role"]), e["activity_id"], parse_time(e["at"]), e.get("url"), e.get("note"))
            for e in row.evidence or ()
        ),
        cancelled=bool(row.cancelled),
        holders=tuple((str(p), int(s)) for p, s in (row.detail or {}).get("holders", ())),
        notes=tuple((row.detail or {}).get("notes", ())),
    )

