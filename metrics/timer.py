"""The clock being replayed (``ClockTimer``) and the activity kinds the clock rules read.

Both rule modules (``metrics.response``, ``metrics.bug_fix``) build on this; ``metrics.clocks`` puts them together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from metrics.calendar import Calendar, deadline, next_working_moment, working_seconds_between
from metrics.model import Clock, ClockKind, Evidence, EvidenceRole, ItemEvent, ItemHistory

# Activity kinds (connectors.records.ActivityKind values), mirrored so metrics imports nothing of connectors.
OPENED = "opened"
COMMENT = "comment"
REVIEW = "review"
REVIEW_COMMENT = "review_comment"
STATUS = "status"
LABELED = "labeled"
UNLABELED = "unlabeled"
ASSIGNED = "assigned"
UNASSIGNED = "unassigned"
CLOSED = "closed"
REOPENED = "reopened"
MERGED = "merged"
TYPE_CHANGED = "type_changed"
PRIORITY_CHANGED = "priority_changed"
RESOLUTION = "resolution"
MESSAGE_KINDS = frozenset({OPENED, COMMENT, REVIEW, REVIEW_COMMENT})
DONE_CATEGORY = "done"


def closes_thread(event: ItemEvent) -> bool:
    """Tell whether an activity closes, resolves or merges its item."""
    if event.kind in (CLOSED, MERGED):
        return True
    if event.kind == RESOLUTION:
        return event.data.get("to") is not None
    return event.kind == STATUS and event.data.get("category") == DONE_CATEGORY


def is_developer(item: ItemHistory, person: str | None) -> bool:
    """Tell whether a person may be credited with a clock of this item: a developer at its client."""
    return person is not None and (item.developers is None or person in item.developers)


def credited_assignee(item: ItemHistory, assignees: tuple[str, ...] | list[str] | None = None) -> str | None:
    """Return the first assignee (by default the item's current ones) who is a developer, else None."""
    return next((p for p in (item.assignees if assignees is None else assignees) if is_developer(item, p)), None)


@dataclass(slots=True)
class ClockTimer:
    """One clock being replayed: accrues working time between start/resume and pause/stop."""

    kind: ClockKind
    seq: int
    calendar: Calendar
    started_at: datetime
    running_since: datetime | None = None
    stopped_at: datetime | None = None
    elapsed_seconds: int = 0
    evidence: list[Evidence] = field(default_factory=list)

    @classmethod
    def start(
        cls, kind: ClockKind, seq: int, calendar: Calendar, at: datetime, activity_id: str, url: str | None
    ) -> ClockTimer:
        """Start a running clock at an activity."""
        timer = cls(kind=kind, seq=seq, calendar=calendar, started_at=at, running_since=at)
        timer.evidence.append(Evidence(EvidenceRole.START, activity_id, at, url))
        return timer

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def pause(self, at: datetime, activity_id: str, url: str | None) -> None:
        """Stop accruing time without ending the clock."""
        self._accrue(at)
        self.evidence.append(Evidence(EvidenceRole.PAUSE, activity_id, at, url))

    def resume(self, at: datetime, activity_id: str, url: str | None) -> None:
        """Accrue time again from `at` (after a pause, or after a stop when the item is reopened)."""
        self.running_since, self.stopped_at = at, None
        self.evidence.append(Evidence(EvidenceRole.RESUME, activity_id, at, url))

    def stop(self, at: datetime, activity_id: str, url: str | None) -> None:
        """End the clock at `at`, keeping the time accrued so far."""
        self._accrue(at)
        self.stopped_at = at
        self.evidence.append(Evidence(EvidenceRole.STOP, activity_id, at, url))

    def _accrue(self, at: datetime) -> None:
        if self.running_since is not None:
            self.elapsed_seconds += working_seconds_between(self.running_since, at, self.calendar)
            self.running_since = None

    def build(
        self,
        item: ItemHistory,
        *,
        target: int,
        at_risk: float,
        developer: str | None,
        cancelled: bool = False,
        holders: tuple[tuple[str, int], ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Clock:
        """Freeze the timer into a Clock, with its deadlines if it is still running."""
        due = risk = None
        if self.running_since is not None and not cancelled:
            # Breached means past the target: the last moment still within it is the start of the
            # next working second after the earliest moment the target is reached.
            reached = deadline(self.running_since, max(0, target - self.elapsed_seconds), self.calendar)
            due = next_working_moment(reached, self.calendar)
            risk_seconds = math.ceil(at_risk * target) - self.elapsed_seconds
            risk = deadline(self.running_since, max(0, risk_seconds), self.calendar)
        return Clock(
            kind=self.kind,
            source=item.source,
            item_key=item.key,
            client=item.client,
            seq=self.seq,
            developer=developer,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            elapsed_seconds=self.elapsed_seconds,
            target_seconds=target,
            running_since=self.running_since,
            deadline=due,
            at_risk_at=risk,
            evidence=tuple(self.evidence),
            cancelled=cancelled,
            holders=holders,
            notes=notes,
        )
