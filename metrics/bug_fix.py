"""Production-bug clocks: a production bug is fixed within the bug-fix target.

An item is a production bug while one of its labels is a bug label, or its issue type and priority are
both listed (all compared case-insensitively). Only the current state of an item is stored, so the
state at creation is rebuilt by undoing its changes newest first, then the history is replayed. The rules,
as a delivery manager reads them:

- **Start.** The clock starts when the item is created as a bug, or at the change that makes it one. A
  resolved item that only becomes a bug starts no clock until it is reopened.
- **Pause.** It pauses while the status is a pause status ("waiting for client") and resumes when it leaves.
- **Fixed.** It stops at resolution: a Jira resolution set or a status in the done category; a GitHub close
  as completed (or with no reason); the item's own merge; the merge of a pull request that fixes it (while
  the clock is open; a fix merged at another time changes nothing). Met or breached by its working time.
- **One cycle per bug, however its labels flicker.** If the item stops being a production bug while the clock
  runs (its label removed, its type or priority changed), the clock pauses there; if it becomes one again,
  the same clock resumes. Time while it was not a production bug does not count: nobody was asked to fix a
  production bug then.
- **Not a production bug after all.** If it is still not a production bug at the end, or when it is closed,
  the clock ends **cancelled** at the moment it stopped being one: not met, not breached, not in attainment,
  but listed.
- **Closed without a fix.** A GitHub close as not planned or duplicate, or a Jira resolution the contract
  lists as no fix (by default Won't Do, Won't Fix, Duplicate, Cannot Reproduce, Declined) ends the clock
  **cancelled** at the close.
- **Reopen.** A reopen (REOPENED, the resolution cleared, the status leaving the done category) resumes the
  same clock, elapsed time carried on; with the contract's ``reopen: new_cycle`` it starts a new clock.
- **Credit** goes to the developer who held the bug longest (as its assignee) while its clock ran, and the
  clock lists every holder with their working time; if no developer held it, the developer assigned when it
  stopped, else the author of the fixing pull request if a developer. An open clock goes to the developer who
  holds it now. Never a bot, a client person or an ignored author.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from metrics.calendar import working_seconds_between
from metrics.model import Clock, ClockKind, ClockPolicy, Evidence, EvidenceRole, FixLink, ItemEvent, ItemHistory, Role
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
    credited_assignee,
    is_developer,
)

_DONE = "done"
_FIX_MERGED = "fix_merged"  # the merge of a pull request that fixes the item (not a stored activity kind)
_GITHUB_NO_FIX = frozenset({"not_planned", "duplicate"})  # GitHub state_reason values that mean "not fixed"
NOT_A_BUG = "no longer a production bug"


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
    no_fix: str | None = None  # why the item was closed without a fix ("closed as not planned"), while it is


def bug_fix_clocks(item: ItemHistory, policy: ClockPolicy) -> list[Clock]:
    """Return the production-bug clocks of one work item (usually none or one)."""
    replay = _Replay(item, policy)
    state = _state_at_creation(item)
    opened = next((e for e in item.events if e.kind == OPENED), None)
    replay.reconcile(state, item.created_at, opened.id if opened else f"opened:{item.key}", item.url)
    for event in _timeline(item):
        if event.kind == _FIX_MERGED and not replay.open:
            continue  # a fix merged while no clock runs resolves nothing (the item may still be open)
        replay.hold(state, event.at)
        _apply(state, event, policy.no_fix_resolutions)
        replay.reconcile(state, event.at, event.id, event.url)
    return replay.finish(state)


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


def _apply(state: _ItemState, event: ItemEvent, no_fix: frozenset[str] = frozenset()) -> None:
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
            state.resolved, state.no_fix = False, None
    elif kind == RESOLUTION:
        if data.get("to") is not None:
            state.resolved = True
            state.no_fix = f"resolved as {data['to']}" if _listed(str(data["to"]), no_fix) else None
        elif data.get("from") is not None:
            state.resolved, state.no_fix = False, None
    elif kind == CLOSED:
        state.resolved = True
        reason = data.get("reason")
        state.no_fix = f"closed as {str(reason).replace('_', ' ')}" if reason in _GITHUB_NO_FIX else None
    elif kind in (MERGED, _FIX_MERGED):
        state.resolved, state.no_fix = True, None
    elif kind == REOPENED:
        state.resolved, state.no_fix = False, None


@dataclass(slots=True)
class _Replay:
    """Keeps the item's bug clock in step with its replayed state."""

    item: ItemHistory
    policy: ClockPolicy
    timer: ClockTimer | None = None
    unqualified_at: datetime | None = None  # when the item stopped being a bug, while the clock waits
    held: dict[str, int] = field(default_factory=dict)  # developer -> working seconds held while running
    held_until: datetime | None = None  # the running time up to here is credited in `held`
    clocks: list[Clock] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.timer is not None and not self.timer.stopped

    def hold(self, state: _ItemState, at: datetime) -> None:
        """Credit the running time up to `at` to the developers assigned during it."""
        timer = self.timer
        if timer is None or timer.running_since is None:
            return
        since = max(timer.running_since, self.held_until) if self.held_until else timer.running_since
        seconds = working_seconds_between(since, at, timer.calendar) if at > since else 0
        for person in dict.fromkeys(state.assignees):
            if is_developer(self.item, person):
                self.held[person] = self.held.get(person, 0) + seconds
        self.held_until = at

    def reconcile(self, state: _ItemState, at: datetime, activity_id: str, url: str | None) -> None:
        """Start, pause, resume or stop the clock so that it matches the state after an event."""
        timer, bug = self.timer, self._is_bug(state)
        paused = _listed(state.status, self.policy.pause_statuses)
        if timer is None:
            if bug and not state.resolved:
                self._start(at, activity_id, url, paused)
            return
        if not bug:
            if not timer.stopped and self.unqualified_at is None:
                self.unqualified_at = at
                if timer.running:
                    timer.pause(at, activity_id, url)
                    timer.evidence[-1] = _noted(timer.evidence[-1], NOT_A_BUG)
                else:
                    timer.evidence.append(Evidence(EvidenceRole.PAUSE, activity_id, at, url, NOT_A_BUG))
            if state.resolved and self.unqualified_at is not None:
                self._close(state)  # closed while not a production bug: that settles it, cancelled
            return
        if self.unqualified_at is not None:  # a production bug again: the same clock goes on
            self.unqualified_at = None
            if state.resolved:
                return
            if not paused:
                timer.resume(at, activity_id, url)
            return
        if state.resolved:
            if not timer.stopped:
                timer.stop(at, activity_id, url)
        elif timer.stopped:
            if self.policy.reopen_new_cycle:
                self._close(state)
                self._start(at, activity_id, url, paused)
                return
            timer.resume(at, activity_id, url)
            if paused:
                timer.pause(at, activity_id, url)
        elif timer.running and paused:
            timer.pause(at, activity_id, url)
        elif not timer.running and not paused:
            timer.resume(at, activity_id, url)

    def finish(self, state: _ItemState) -> list[Clock]:
        """Close the clock still attached to the item and return all clocks."""
        if self.timer is not None:
            self._close(state)
        return self.clocks

    def _start(self, at: datetime, activity_id: str, url: str | None, paused: bool) -> None:
        calendar = self.policy.calendar_for(ClockKind.BUG_FIX)
        self.timer = ClockTimer.start(ClockKind.BUG_FIX, len(self.clocks), calendar, at, activity_id, url)
        if paused:
            self.timer.pause(at, activity_id, url)

    def _close(self, state: _ItemState) -> None:
        timer = self.timer
        assert timer is not None
        notes: list[str] = []
        cancelled = False
        if self.unqualified_at is not None and not timer.stopped:
            cancelled = True
            timer.stopped_at, timer.running_since = self.unqualified_at, None
            last = timer.evidence[-1]  # the pause where it stopped being a bug is where it ends
            timer.evidence[-1] = Evidence(EvidenceRole.STOP, last.activity_id, last.at, last.url, NOT_A_BUG)
            notes.append(NOT_A_BUG)
        elif timer.stopped and state.no_fix:
            cancelled = True
            timer.evidence[-1] = _noted(timer.evidence[-1], state.no_fix)
            notes.append(state.no_fix)
        holders = tuple(sorted(self.held.items(), key=lambda h: (-h[1], h[0])))
        developer = self._credit(state, holders, timer)
        self.clocks.append(
            timer.build(self.item, target=self.policy.bug_fix_target_seconds, at_risk=self.policy.at_risk,
                        developer=developer, cancelled=cancelled, holders=holders, notes=tuple(notes))
        )
        self.timer, self.unqualified_at, self.held, self.held_until = None, None, {}, None

    def _credit(self, state: _ItemState, holders: tuple[tuple[str, int], ...], timer: ClockTimer) -> str | None:
        if not timer.stopped:  # still open: whoever holds it now answers for it
            return credited_assignee(self.item, state.assignees) or (holders[0][0] if holders else None)
        if holders:
            return holders[0][0]  # longest held; a tie goes to the name first in order, so it is stable
        at = timer.stopped_at
        assert at is not None
        assigned = credited_assignee(self.item, state.assignees)
        if assigned is not None:
            return assigned
        fix = _latest_fix(self.item.fixed_by, at)
        return fix.author if fix is not None and is_developer(self.item, fix.author) else None

    def _is_bug(self, state: _ItemState) -> bool:
        if state.labels & {label.lower() for label in self.policy.bug_labels}:
            return True
        return _listed(state.issue_type, self.policy.jira_issue_types) and _listed(
            state.priority, self.policy.jira_priorities
        )


def _noted(evidence: Evidence, note: str) -> Evidence:
    return Evidence(evidence.role, evidence.activity_id, evidence.at, evidence.url, note)


def _listed(value: str | None, names: frozenset[str]) -> bool:
    return value is not None and value.lower() in {name.lower() for name in names}


def _latest_fix(fixes: tuple[FixLink, ...], at: datetime) -> FixLink | None:
    merged = [fix for fix in fixes if fix.merged_at <= at]
    return max(merged, key=lambda fix: fix.merged_at) if merged else None
