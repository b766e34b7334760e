"""The one place that turns stored rows into metric inputs, and stored clocks back into Clock values."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts
from app.core.db import pairs_in
from app.core.tables import ActivityRow, ClockRow, ItemLink, WorkItemRow
from app.store.moves import Arrival, arrivals
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
    """Build the history of each work item; also return the keys that have no client (no clocks).

    An item moved from another client's project or repository is left out: ``load_handovers`` builds it.
    """
    keys = sorted(set(keys))
    histories: list[ItemHistory] = []
    without_client: set[tuple[str, str]] = set()
    for chunk in _chunks(keys):
        came = arrivals(session, chunk)
        items, acts, fixes = _rows(session, chunk, came)
        for key in chunk:
            item = items.get(key)
            if item is not None and _owners(contracts, key[0], item, came.get(key, ())) is not None:
                continue
            history = _history(contracts, key, item, acts.get(key, []), fixes.get(key, []))
            if history is None:
                without_client.add(key)
            else:
                histories.append(history)
    return histories, without_client


def _rows(
    session: Session, chunk: Sequence[tuple[str, str]], came: dict[tuple[str, str], tuple[Arrival, ...]]
) -> tuple[dict[tuple[str, str], WorkItemRow], dict[tuple[str, str], list[ActivityRow]],
           dict[tuple[str, str], list[WorkItemRow]]]:
    """Read the work items of a chunk of keys, their activities and the merged PRs that fix them."""
    items = {
        (r.source, r.key): r
        for r in session.scalars(select(WorkItemRow).where(pairs_in(WorkItemRow.source, WorkItemRow.key, chunk)))
    }
    acts: dict[tuple[str, str], list[ActivityRow]] = defaultdict(list)
    # Plain rows of the columns a history reads, not ORM objects: most of a recompute is reading activities.
    query = select(*_EVENT_COLUMNS).where(pairs_in(ActivityRow.source, ActivityRow.item_key, chunk))
    for a in session.execute(query):
        acts[(a.source, a.item_key)].append(a)  # a Row with the ActivityRow attributes a history reads
    return items, acts, _fix_links(session, chunk, came)


_EVENT_COLUMNS = tuple(
    getattr(ActivityRow, name)
    for name in ("source", "item_key", "external_id", "kind", "at", "actor_id", "actor_email", "actor_is_bot",
                 "body", "url", "data", "updated_at", "deleted")
)


def _fix_links(
    session: Session, chunk: Sequence[tuple[str, str]], came: dict[tuple[str, str], tuple[Arrival, ...]]
) -> dict[tuple[str, str], list[WorkItemRow]]:
    """Return the merged PRs that fix each item, under its key or a key it had before a move."""
    named = {(source, a.old_key): (source, key) for (source, key), chain in came.items() for a in chain}
    rows = session.execute(
        select(ItemLink.source, ItemLink.item_key, WorkItemRow)
        .join(WorkItemRow, (WorkItemRow.source == ItemLink.source) & (WorkItemRow.key == ItemLink.pr_key))
        .where(pairs_in(ItemLink.source, ItemLink.item_key, [*chunk, *named]), WorkItemRow.merged_at.is_not(None))
    ).all()
    out: dict[tuple[str, str], list[WorkItemRow]] = defaultdict(list)
    for source, item_key, pr in rows:
        key = named.get((source, item_key), (source, item_key))
        if pr not in out[key]:
            out[key].append(pr)
    return out


@dataclass(frozen=True, slots=True)
class Owner:
    """A client that had a work item from a moment on (None: from its start), with the item as its contract sees it.

    ``client`` and ``history`` are None while the item was in a project or repository of no client's.
    """

    since: datetime | None
    client: Client | None
    history: ItemHistory | None


def load_handovers(session: Session, contracts: Contracts, keys: Iterable[tuple[str, str]]) -> list[list[Owner]]:
    """Return, for each of these items that moved between clients, the clients that had it in turn."""
    keys = sorted(set(keys))
    came: dict[tuple[str, str], tuple[Arrival, ...]] = {}
    for chunk in _chunks(keys):
        came |= arrivals(session, chunk)
    out: list[list[Owner]] = []
    for chunk in _chunks(sorted(came)):
        items, acts, fixes = _rows(session, chunk, came)
        for key in chunk:
            item = items.get(key)
            spans = _owners(contracts, key[0], item, came[key]) if item is not None else None
            if spans is None:
                continue
            out.append([
                Owner(since, client, _history(contracts, key, item, acts.get(key, []), fixes.get(key, []), client)
                      if client is not None else None)
                for since, client in spans
            ])
    return out


def _owners(
    contracts: Contracts, source: str, item: WorkItemRow, chain: Sequence[Arrival]
) -> list[tuple[datetime | None, Client | None]] | None:
    """Return the clients that had an item and since when, or None when one client had it all along."""
    if not chain:
        return None
    containers: list[tuple[datetime | None, str]] = [(None, chain[0].old_container)]
    containers += [(a.at, nxt) for a, nxt in zip(chain, [*(b.old_container for b in chain[1:]), item.container],
                                                  strict=True)]
    spans: list[tuple[datetime | None, Client | None]] = []
    for since, container in containers:
        client = contracts.client_for(source, container)
        if not spans or _name(spans[-1][1]) != _name(client):
            spans.append((since, client))
    return spans if len(spans) > 1 else None


def _name(client: Client | None) -> str | None:
    return client.name if client is not None else None


def handed_over_clocks(
    owners: Sequence[Owner], clocks_for: Callable[[ItemHistory, Client], list[Clock]]
) -> list[Clock]:
    """Return the clocks of an item that moved to another client's project or repository, each with its own client.

    The move hands the item over from its moment on: a clock that started before it stays with the client the item
    left, judged by that client's terms even where it stops after the move; a clock that starts at or after it
    belongs to the client it went to. Each client's clocks come from the whole history as that client's contract
    sees it (``clocks_for``), each kept by its start, then numbered again per kind in order of start.
    """
    kept: list[Clock] = []
    for owner, until in zip(owners, [*(o.since for o in owners[1:]), None], strict=True):
        if owner.client is None or owner.history is None:
            continue
        kept += [
            c for c in clocks_for(owner.history, owner.client)
            if (owner.since is None or c.started_at >= owner.since) and (until is None or c.started_at < until)
        ]
    seq: Counter[ClockKind] = Counter()
    out = []
    for clock in sorted(kept, key=lambda c: (c.kind.value, c.started_at, c.client, c.seq)):
        out.append(replace(clock, seq=seq[clock.kind]))
        seq[clock.kind] += 1
    return out


def _history(
    contracts: Contracts,
    key: tuple[str, str],
    item: WorkItemRow | None,
    acts: list[ActivityRow],
    prs: list[WorkItemRow],
    client: Client | None = None,
) -> ItemHistory | None:
    """Build one item's history as its client's contract sees it (``client``: another's, for a handover)."""
    source, item_key = key
    if item is None or item.deleted:
        return None
    client = client or contracts.client_for(source, item.container)
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

