"""Production-bug clocks: a production bug is fixed within the bug-fix target.

An item is a production bug while one of its labels is a bug label, or its issue type and priority are
both listed (all compared case-insensitively). Only the current state of an item is stored, so the
state at creation is rebuilt by undoing its changes newest first, then the history is replayed:

- the clock starts when the item is created as a bug, or at the change that makes it one;
- it pauses while the status is a pause status ("waiting for client") and resumes when it leaves;
- it stops at resolution: a Jira resolution set or a status in the done category; a GitHub close with
  any reason ("completed", "not_planned", "duplicate", none); the item's own merge; the merge of a pull
  request that fixes it (while the clock is open; a fix merged at another time changes nothing).
  A close as not planned ends the clock like any other resolution: the time until then counts, met
  or breached, so closing a bug cannot hide how long it waited;
- a reopen (REOPENED, the resolution cleared, the status leaving the done category) resumes the same
  clock, elapsed time carried on;
- if the item stops being a bug, its clock ends there (if still open) and a later return to being a bug
  starts a new clock with the next seq. A resolved item that only becomes a bug starts no clock until
  it is reopened.

A stopped clock is credited to the first assignee at the stop, else the author of the fixing pull
request, else nobody; an open clock to the item's first assignee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from metrics.model import Clock, ClockKind, ClockPolicy, FixLink, ItemEvent, ItemHistory, Role
from metrics.timer import (
    ASSIGNED,
    CLOSED,
    LABELED,
    MERGED,
    OPENED,
    PRIORITY_CHANGED,
    REOPENED,
    RESOLUTION,
    STATUS,
    TYPE_CHANGED,
    UNASSIGNED,
    UNLABELED,
    ClockTimer,
)

_DONE = "done"
_FIX_MERGED = "fix_merged"  # the merge of a pull request that fixes the item (not a stored activity kind)


@dataclass(slots=True)
class _ItemState:
    """What the bug clock needs to know about an item at one moment of its history."""

    labels: set[str]  # lower case
    issue_type: str | None
    priority: str | None
    status: str | None
    assignees: list[str]
    category: str | None = None  # status category, known once a status change was seen
    resolved: bool = False  # items are created open


def bug_fix_clocks(item: ItemHistory, policy: ClockPolicy) -> list[Clock]:
    """Return the production-bug clocks of one work item (usually none or one)."""
    replay = _Replay(item, policy)
    state = _state_at_creation(item)
    opened = next((e for e in item.events if e.kind == OPENED), None)
    replay.reconcile(state, item.created_at, opened.id if opened else f"opened:{item.key}", item.url)
    for event in _timeline(item):
        if event.kind == _FIX_MERGED and not replay.open:
            continue  # a fix merged while no clock runs resolves nothing (the item may still be open)
        _apply(state, event)
        replay.reconcile(state, event.at, event.id, event.url)
    return replay.finish()


def _state_at_creation(item: ItemHistory) -> _ItemState:
    state = _ItemState(
        labels={label.lower() for label in item.labels},
        issue_type=item.issue_type,
        priority=item.priority,
        status=item.status,
        assignees=list(item.assignees),
    )
    for event in reversed(item.events):
        data = event.data
        if event.kind == LABELED and data.get("label"):
            state.labels.discard(str(data["label"]).lower())
        elif event.kind == UNLABELED and data.get("label"):
            state.labels.add(str(data["label"]).lower())
        elif event.kind == TYPE_CHANGED:
            state.issue_type = data.get("from")
        elif event.kind == PRIORITY_CHANGED:
            state.priority = data.get("from")
        elif event.kind == STATUS:
            state.status = data.get("from")
        elif event.kind == ASSIGNED and data.get("assignee") in state.assignees:
            state.assignees.remove(data["assignee"])
        elif event.kind == UNASSIGNED and data.get("assignee") and data["assignee"] not in state.assignees:
            state.assignees.append(data["assignee"])
    return state


def _timeline(item: ItemHistory) -> list[ItemEvent]:
    """Return the item's events with the merges of its fixing pull requests woven in, in time order."""
    fixes = [
        ItemEvent(
            id=fix.activity_id,
            at=fix.merged_at,
            kind=_FIX_MERGED,
            actor=fix.author,
            role=Role.DEVELOPER,
            url=fix.url,
        )
        for fix in item.fixed_by
    ]
    # A stable sort on time alone keeps the stored (at, id) order and puts a fix after same-second events.
    return sorted((*item.events, *fixes), key=lambda e: e.at)


def _apply(state: _ItemState, event: ItemEvent) -> None:
    """Move the state forward over one event."""
    data, kind = event.data, event.kind
    if kind == LABELED and data.get("label"):
        state.labels.add(str(data["label"]).lower())
    elif kind == UNLABELED and data.get("label"):
        state.labels.discard(str(data["label"]).lower())
    elif kind == TYPE_CHANGED:
        state.issue_type = data.get("to")
    elif kind == PRIORITY_CHANGED:
        state.priority = data.get("to")
    elif kind == ASSIGNED and data.get("assignee") and data["assignee"] not in state.assignees:
        state.assignees.append(data["assignee"])
    elif kind == UNASSIGNED and data.get("assignee") in state.assignees:
        state.assignees.remove(data["assignee"])
    elif kind == STATUS:
        was_done = state.category == _DONE
        state.status, state.category = data.get("to"), data.get("category")
        if state.category == _DONE:
            state.resolved = True
        elif was_done:
            state.resolved = False
    elif kind == RESOLUTION:
        if data.get("to") is not None:
            state.resolved = True
        elif data.get("from") is not None:
            state.resolved = False
    elif kind in (CLOSED, MERGED, _FIX_MERGED):
        state.resolved = True
    elif kind == REOPENED:
        state.resolved = False


@dataclass(slots=True)
class _Replay:
    """Keeps the item's bug clock in step with its replayed state."""

    item: ItemHistory
    policy: ClockPolicy
    timer: ClockTimer | None = None
    credit: str | None = None  # who the current timer is credited to if it stays stopped
    clocks: list[Clock] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.timer is not None and not self.timer.stopped

    def reconcile(self, state: _ItemState, at: datetime, activity_id: str, url: str | None) -> None:
        """Start, pause, resume or stop the clock so that it matches the state after an event."""
        timer = self.timer
        if not self._is_bug(state):
            if timer is not None:
                if not timer.stopped:
                    timer.stop(at, activity_id, url)
                    self.credit = self._credit(state, at)
                self._close()
            return
        paused = _listed(state.status, self.policy.pause_statuses)
        if timer is None:
            if not state.resolved:
                calendar = self.policy.calendar_for(ClockKind.BUG_FIX)
                self.timer = ClockTimer.start(ClockKind.BUG_FIX, len(self.clocks), calendar, at, activity_id, url)
                if paused:
                    self.timer.pause(at, activity_id, url)
        elif state.resolved:
            if not timer.stopped:
                timer.stop(at, activity_id, url)
                self.credit = self._credit(state, at)
        elif timer.stopped:
            timer.resume(at, activity_id, url)
            if paused:
                timer.pause(at, activity_id, url)
        elif timer.running and paused:
            timer.pause(at, activity_id, url)
        elif not timer.running and not paused:
            timer.resume(at, activity_id, url)

    def finish(self) -> list[Clock]:
        """Close the clock still attached to the item and return all clocks."""
        if self.timer is not None:
            if not self.timer.stopped:
                self.credit = self.item.assignees[0] if self.item.assignees else None
            self._close()
        return self.clocks

    def _close(self) -> None:
        assert self.timer is not None
        self.clocks.append(
            self.timer.build(
                self.item,
                target=self.policy.bug_fix_target_seconds,
                at_risk=self.policy.at_risk,
                developer=self.credit,
            )
        )
        self.timer, self.credit = None, None

    def _is_bug(self, state: _ItemState) -> bool:
        if state.labels & {label.lower() for label in self.policy.bug_labels}:
            return True
        return _listed(state.issue_type, self.policy.jira_issue_types) and _listed(
            state.priority, self.policy.jira_priorities
        )

    def _credit(self, state: _ItemState, at: datetime) -> str | None:
        if state.assignees:
            return state.assignees[0]
        fix = _latest_fix(self.item.fixed_by, at)
        return fix.author if fix is not None else None


def _listed(value: str | None, names: frozenset[str]) -> bool:
    return value is not None and value.lower() in {name.lower() for name in names}


def _latest_fix(fixes: tuple[FixLink, ...], at: datetime) -> FixLink | None:
    merged = [fix for fix in fixes if fix.merged_at <= at]
    return max(merged, key=lambda fix: fix.merged_at) if merged else None
