"""The evidence page: one work item, its clocks and the activities that started, paused and stopped them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.dashboard.views import KIND_WORDS, STATE_TEXT, anchor, developer_href
from app.reports.clocks import person_name
from app.reports.schemas import ClockOut
from app.reports.work_items import ActivityOut, Source, WorkItemDetail, client_view, normalize_key, work_item_detail
from metrics.model import ClockKind, ClockState

ROLE_WORDS = {"start": "started", "pause": "paused", "resume": "resumed", "stop": "stopped"}


@dataclass(frozen=True)
class EvidenceStep:
    """One moment of a clock: what it did, when, and where the activity is on this page and at the source."""

    role: str
    at: datetime
    activity_id: str
    on_page: str | None  # the activity's anchor, when it belongs to this item (a fixing PR's merge does not)
    url: str | None
    note: str | None = None  # e.g. "answer later deleted"


@dataclass(frozen=True)
class EvidenceClock:
    """A clock of the item, with where each of its moments is shown on the page and at the source."""

    clock: ClockOut
    number: int  # 1, 2... in the order the page lists them
    anchor: str
    steps: list[EvidenceStep]

    @property
    def kind_words(self) -> str:
        return KIND_WORDS[ClockKind(self.clock.kind)]

    @property
    def state(self) -> ClockState:
        return ClockState(self.clock.state)

    @property
    def icon(self) -> str:
        return STATE_TEXT[self.state][0]

    @property
    def state_label(self) -> str:
        late = self.state is ClockState.BREACHED and self.clock.stopped_at is not None
        return "Late" if late else STATE_TEXT[self.state][1]

    @property
    def developer_href(self) -> str | None:
        return developer_href(self.clock.developer) if self.clock.developer else None


@dataclass(frozen=True)
class EvidenceActivity:
    activity: ActivityOut
    anchor: str
    who: str  # the roster name when the actor is listed, else the login or account as the source wrote it
    cited: list[str]  # e.g. ["started answer clock #1", "stopped answer clock #1"]


@dataclass(frozen=True)
class EvidencePage:
    item: WorkItemDetail
    clocks: list[EvidenceClock]
    activities: list[EvidenceActivity]


def activity_anchor(activity_id: str) -> str:
    return "activity-" + anchor(activity_id).removeprefix("clock-")


def evidence_page(session: Session, contracts: Contracts, source: str, key: str, *,
                  client: str | None = None) -> EvidencePage | None:
    """Build a work item's evidence page from the same record the API answers, or None when the item is unknown.

    With `client` (a client token's own), another client's item is None as if unknown, and the item is shown as
    its client may see it (no internal notes, only its clocks).
    """
    try:
        kind = Source(source)
    except ValueError:
        return None
    item = work_item_detail(session, contracts, kind, normalize_key(kind, key), datetime.now(UTC))
    if item is not None and client is not None:
        item = client_view(item, client, contracts) if item.client == client else None
    if item is None:
        return None
    cited: dict[str, list[str]] = {}
    for number, clock in enumerate(item.clocks, start=1):
        for ev in clock.evidence:
            cited.setdefault(ev.activity_id, []).append(f"{ROLE_WORDS.get(ev.role, ev.role)} "
                                                        f"{KIND_WORDS[ClockKind(clock.kind)].lower()} clock #{number}")
    present = {a.id for a in item.activities}
    clocks = [
        EvidenceClock(c, number, anchor(c.id), [
            EvidenceStep(e.role.capitalize(), e.at, e.activity_id,
                         activity_anchor(e.activity_id) if e.activity_id in present else None, e.url, e.note)
            for e in c.evidence
        ])
        for number, c in enumerate(item.clocks, start=1)
    ]
    return EvidencePage(
        item=item, clocks=clocks,
        activities=[EvidenceActivity(a, activity_anchor(a.id), _who(a, contracts), cited.get(a.id, []))
                    for a in item.activities],
    )


def _who(activity: ActivityOut, contracts: Contracts) -> str:
    actor = activity.actor
    if actor.person and actor.person in contracts.people:
        return person_name(actor.person, contracts)
    return actor.name or actor.identity or "someone unknown"
