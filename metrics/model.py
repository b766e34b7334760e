"""Inputs and outputs of the metrics engine: plain frozen dataclasses, no ORM rows, no I/O.

The app turns stored rows into ``ItemHistory`` values in one place; ``metrics.clocks`` turns an item's
history into ``Clock`` values; ``metrics.stats`` summarizes clocks with ``now`` passed in.
Every datetime is timezone-aware UTC; only ``metrics.calendar`` converts to local working time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from metrics.calendar import Calendar


class Role(StrEnum):
    CLIENT = "client"
    DEVELOPER = "developer"
    BOT = "bot"
    IGNORE = "ignore"  # an unknown author the contract says to ignore


class ClockKind(StrEnum):
    RESPONSE = "response"
    BUG_FIX = "bug_fix"


class ClockState(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"  # ended without a verdict: not met, not breached, not in attainment


class EvidenceRole(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class ItemEvent:
    """One activity of a work item, with its actor already resolved to a person and a role."""

    id: str  # the activity's external id (kept as evidence)
    at: datetime
    kind: str  # connectors.records.ActivityKind value
    actor: str | None  # person id (roster slug) or "<source>:<identity>" for unknown people
    role: Role
    data: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    has_body: bool = True  # a message has words: a review or approval without text is neither question nor answer
    public: bool = True  # False for an internal note or a comment restricted to a role or group
    deleted: bool = False  # deleted at the source: it stays in the history as evidence
    deleted_at: datetime | None = None  # when it was deleted, when known
    deleted_by: str | None = None  # person id of who deleted it, when the source says


@dataclass(frozen=True, slots=True)
class FixLink:
    """A merged pull request that closes the work item."""

    pr_key: str
    merged_at: datetime
    author: str | None  # person id
    activity_id: str  # the merge activity, as evidence
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """Everything the clocks need to know about one work item."""

    source: str
    key: str
    client: str
    kind: str  # connectors.records.ItemKind value
    url: str | None
    title: str | None
    created_at: datetime
    author: str | None  # person id
    author_role: Role
    assignees: tuple[str, ...]  # person ids, as of now
    labels: tuple[str, ...]  # as of now
    issue_type: str | None  # as of now
    priority: str | None  # as of now
    status: str | None  # as of now
    resolution: str | None  # as of now
    events: tuple[ItemEvent, ...]  # sorted by (at, id); deleted activities kept, with deleted_at set
    fixed_by: tuple[FixLink, ...] = ()
    deleted: bool = False
    developers: frozenset[str] | None = None  # person ids who are developers at this client; None: anyone named


@dataclass(frozen=True, slots=True)
class Evidence:
    role: EvidenceRole
    activity_id: str
    at: datetime
    url: str | None = None
    note: str | None = None  # e.g. "answer later deleted", "closed as not planned"


@dataclass(frozen=True, slots=True)
class Clock:
    """One promise on one work item: a start, optional pauses, a stop, a target.

    ``elapsed_seconds`` is the working time accrued up to ``stopped_at`` (stopped clocks) or up to the
    last pause/resume (``running_since`` marks when the current running segment began, None while
    paused). ``deadline`` and ``at_risk_at`` are the UTC moments the clock breaches / becomes at risk if
    it keeps running (None while paused or once stopped), so queries decide the state without calendar
    math.
    """

    kind: ClockKind
    source: str
    item_key: str
    client: str
    seq: int  # 0, 1, 2... per (item, kind): stable id part
    developer: str | None  # credited person id; None = unassigned
    started_at: datetime
    stopped_at: datetime | None
    elapsed_seconds: int
    target_seconds: int
    running_since: datetime | None
    deadline: datetime | None
    at_risk_at: datetime | None
    evidence: tuple[Evidence, ...]
    cancelled: bool = False  # ended without a verdict (no longer a production bug, closed without a fix, ...)
    holders: tuple[tuple[str, int], ...] = ()  # bug clocks: (developer, working seconds held while running)
    notes: tuple[str, ...] = ()  # what a manager should know about this clock, in plain words

    @property
    def clock_id(self) -> str:
        return f"{self.source}:{self.item_key}:{self.kind.value}:{self.seq}"

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def paused(self) -> bool:
        return self.stopped_at is None and self.running_since is None

    def state_at(self, now: datetime) -> ClockState:
        """Return the clock's state at ``now`` (a clock at exactly its target is met)."""
        if self.cancelled:
            return ClockState.CANCELLED
        if self.stopped_at is not None:
            return ClockState.MET if self.elapsed_seconds <= self.target_seconds else ClockState.BREACHED
        if self.elapsed_seconds > self.target_seconds:
            return ClockState.BREACHED
        if self.running_since is None:
            return ClockState.PAUSED
        if self.deadline is not None and now > self.deadline:
            return ClockState.BREACHED
        if self.at_risk_at is not None and now >= self.at_risk_at:
            return ClockState.AT_RISK
        return ClockState.RUNNING


@dataclass(frozen=True, slots=True)
class ClockPolicy:
    """A client's promises, as the clocks apply them (parsed from the contracts file by the app)."""

    response_target_seconds: int
    bug_fix_target_seconds: int
    at_risk: float  # share of a target after which a running clock is at risk
    response_calendar: Any  # metrics.calendar.Calendar
    bug_fix_calendar: Any  # metrics.calendar.Calendar
    bug_labels: frozenset[str] = frozenset()  # compared case-insensitively
    jira_issue_types: frozenset[str] = frozenset()
    jira_priorities: frozenset[str] = frozenset()
    pause_statuses: frozenset[str] = frozenset()  # compared case-insensitively
    # Jira resolutions that close a bug without a fix: its clock ends cancelled (compared case-insensitively)
    no_fix_resolutions: frozenset[str] = frozenset(
        {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined"}
    )
    reopen_new_cycle: bool = False  # a reopened bug starts a new clock instead of resuming the old one
    since: datetime | None = None  # the contract's start: clocks that start before it are not counted

    def calendar_for(self, kind: ClockKind) -> Calendar:
        """Return the calendar whose working time a clock of this kind counts."""
        return self.bug_fix_calendar if kind is ClockKind.BUG_FIX else self.response_calendar
