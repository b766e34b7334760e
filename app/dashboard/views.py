"""View models shared by the pages: a promise's figures as shown, its status against the contract, clocks as rows.

Figures come from the scorecard functions as the API serves them; this module only decides how they look.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.contracts import AlignmentSpec, Contracts
from app.reports.clocks import ClockView, person_name
from app.reports.links import anchor, client_href, developer_href, item_href
from metrics.model import Clock, ClockKind, ClockState
from metrics.wording import human_duration


class Status(StrEnum):
    """How a promise holds over a span, judged with the client's own thresholds (the contract's `alignment:`)."""

    HOLDING = "holding"
    SLIPPING = "slipping"
    BROKEN = "broken"
    NO_DATA = "no-data"


# Every colour on the page comes with an icon and a word, so nothing is told by colour alone.
STATUS_TEXT = {
    Status.HOLDING: ("✓", "Holding"),
    Status.SLIPPING: ("!", "Slipping"),
    Status.BROKEN: ("✗", "Broken"),
    Status.NO_DATA: ("–", "No clocks"),
}
STATE_TEXT = {
    ClockState.AT_RISK: ("!", "At risk"),
    ClockState.BREACHED: ("✗", "Overdue"),
    ClockState.RUNNING: ("◷", "Running"),
    ClockState.PAUSED: ("Ⅱ", "Paused"),
    ClockState.MET: ("✓", "Met"),
    ClockState.CANCELLED: ("∅", "Cancelled"),
}
KIND_WORDS = {ClockKind.RESPONSE: "Answer", ClockKind.BUG_FIX: "Bug fix"}
PROMISE_NAMES = {"responsiveness": "Answers to client messages", "bug_fix": "Production bugs fixed"}
_SEVERITY = [Status.BROKEN, Status.SLIPPING, Status.HOLDING, Status.NO_DATA]


def promise_status(attainment: float | None, spec: AlignmentSpec) -> Status:
    """Judge an attainment: holding at or above the contract's good share, broken below its poor share."""
    if attainment is None:
        return Status.NO_DATA
    if attainment >= spec.good_attainment:
        return Status.HOLDING
    if attainment >= spec.poor_attainment:
        return Status.SLIPPING
    return Status.BROKEN


def worst(statuses: list[Status]) -> Status:
    """Return the most serious status of several (no data only when nothing else is known)."""
    return min(statuses, key=_SEVERITY.index, default=Status.NO_DATA)


def percent(share: float | None) -> str:
    """Say a share as a whole percent, as the alignment's explanations do; 100 % only when nothing was late."""
    if share is None:
        return "–"
    if 0.995 <= share < 1:
        return "99 %"
    return f"{share * 100:.0f} %"


@dataclass(frozen=True)
class PromiseCell:
    """One promise over one span: the scorecard's figures, in words, with a status."""

    clocks: int
    met: int
    breached: int
    running: int
    at_risk: int
    attainment: float | None
    median: str
    p90: str
    target: str | None
    status: Status
    cancelled: int = 0

    @property
    def attainment_text(self) -> str:
        return percent(self.attainment)

    @property
    def icon(self) -> str:
        return STATUS_TEXT[self.status][0]

    @property
    def label(self) -> str:
        return STATUS_TEXT[self.status][1]

    @property
    def counts_text(self) -> str:
        """Say what the attainment rests on, e.g. '37 met, 4 late, 2 open'."""
        if not self.clocks:
            return f"no clocks, {self.cancelled} cancelled" if self.cancelled else "no clocks"
        parts = [f"{self.met} met", f"{self.breached} late"]
        if self.running:
            parts.append(f"{self.running} open")
        if self.cancelled:
            parts.append(f"{self.cancelled} cancelled (not counted)")
        return ", ".join(parts)


def promise_cell(fig: Mapping[str, Any], spec: AlignmentSpec) -> PromiseCell:
    """Show one promise's figures (a GroupFigures.as_dict(), as the API serves it)."""
    return PromiseCell(
        clocks=fig["clocks"], met=fig["met"], breached=fig["breached"], running=fig["running"],
        at_risk=fig["at_risk"], attainment=fig["attainment"], median=fig["median"] or "–", p90=fig["p90"] or "–",
        target=fig["target"], status=promise_status(fig["attainment"], spec), cancelled=fig.get("cancelled", 0),
    )


def thresholds(contracts: Contracts, client: str | None) -> AlignmentSpec:
    """Return the client's thresholds, or the defaults when figures span several clients."""
    chosen = contracts.clients.get(client) if client is not None else None
    return chosen.spec.alignment if chosen is not None else AlignmentSpec()


@dataclass(frozen=True)
class ClockLine:
    """A clock as a row on the page: its work item, who it is credited to, its state and the time left or over."""

    clock_id: str
    anchor: str
    kind: ClockKind
    client: str
    developer: str | None
    developer_name: str
    source: str
    key: str
    title: str
    item_href: str
    external_url: str | None
    state: ClockState
    started_at: datetime
    stopped_at: datetime | None
    due: datetime | None
    elapsed: str
    target: str
    left_seconds: int

    @property
    def kind_words(self) -> str:
        return KIND_WORDS[self.kind]

    @property
    def developer_href(self) -> str | None:
        return developer_href(self.developer) if self.developer else None

    @property
    def client_href(self) -> str:
        return client_href(self.client)

    @property
    def icon(self) -> str:
        return STATE_TEXT[self.state][0]

    @property
    def state_label(self) -> str:
        if self.stopped_at is None or self.state in (ClockState.MET, ClockState.CANCELLED):
            return STATE_TEXT[self.state][1]
        return "Late"

    @property
    def over_words(self) -> str:
        """Say how far past its target a clock went (or is)."""
        return human_duration(max(0, -self.left_seconds)) or "0 s"

    @property
    def left_words(self) -> str:
        """Say the time left, or how far past the target it is."""
        span = human_duration(abs(self.left_seconds)) or "0 s"
        if self.state is ClockState.CANCELLED:
            return "not counted"
        if self.stopped_at is not None:
            return f"{span} to spare" if self.left_seconds >= 0 else f"{span} over target"
        if self.left_seconds < 0 or self.state is ClockState.BREACHED:
            return f"overdue by {span}"
        return f"{span} left" + (" (paused)" if self.state is ClockState.PAUSED else "")


def clock_line(view: ClockView, contracts: Contracts) -> ClockLine:
    """Show a clock as a row: the same state and live elapsed time the API gives."""
    c = view.clock
    return ClockLine(
        clock_id=c.clock_id, anchor=anchor(c.clock_id), kind=c.kind, client=c.client, developer=c.developer,
        developer_name=person_name(c.developer, contracts), source=c.source, key=c.item_key,
        title=view.title or c.item_key, item_href=item_href(c.source, c.item_key), external_url=view.url,
        state=view.state, started_at=c.started_at, stopped_at=c.stopped_at, due=None if c.stopped else c.deadline,
        elapsed=human_duration(view.elapsed_seconds) or "0 s", target=human_duration(c.target_seconds) or "0 s",
        left_seconds=c.target_seconds - view.elapsed_seconds,
    )


_URGENCY = {ClockState.AT_RISK: 0, ClockState.BREACHED: 1, ClockState.RUNNING: 2, ClockState.PAUSED: 3}


def urgency(clock: Clock, now: datetime) -> tuple[Any, ...]:
    """Order running clocks for action: at risk, overdue, running, paused."""
    # At risk and running: the soonest deadline first. Overdue: the freshest breach first, since an answer
    # now still helps that client most. Stored deadlines rank them without counting working hours.
    state = clock.state_at(now)
    rank = _URGENCY.get(state, 4)
    tie = (clock.source, clock.item_key, clock.kind, clock.seq)  # the clock's id, without building the string
    if state in (ClockState.AT_RISK, ClockState.RUNNING) and clock.deadline is not None:
        return rank, clock.deadline.timestamp(), *tie
    moment = clock.deadline if state is ClockState.BREACHED and clock.deadline is not None else clock.started_at
    return rank, -moment.timestamp(), *tie


def most_urgent(views: Sequence[ClockView], contracts: Contracts, now: datetime,
                limit: int) -> tuple[list[ClockLine], int]:
    """Return rows for the `limit` most urgent clocks, and how many were left out."""
    ordered = sorted(views, key=lambda v: urgency(v.clock, now))
    return [clock_line(v, contracts) for v in ordered[:limit]], max(0, len(ordered) - limit)
