"""Response clocks: every client message is answered by a developer within the response target.

The work item is the thread. A client message starts a clock when none is running; the client's
follow-ups before an answer do not restart it; the next developer message stops it. Bots and ignored
authors neither start nor stop a clock, and an empty review (no body, no state) is not an answer.
Edits never reach here as separate events, so an edit is never an answer.
"""

from __future__ import annotations

from metrics.model import Clock, ClockKind, ClockPolicy, ItemEvent, ItemHistory, Role
from metrics.timer import MESSAGE_KINDS, OPENED, ClockTimer


def response_clocks(item: ItemHistory, policy: ClockPolicy) -> list[Clock]:
    """Return one response clock per unanswered run of client messages, in time order."""
    clocks: list[Clock] = []
    timer: ClockTimer | None = None
    for event in _messages(item):
        if event.role is Role.CLIENT and timer is None:
            timer = ClockTimer.start(
                ClockKind.RESPONSE, len(clocks), policy.calendar_for(ClockKind.RESPONSE), event.at, event.id, event.url
            )
        elif event.role is Role.DEVELOPER and event.has_body and timer is not None:
            timer.stop(event.at, event.id, event.url)
            clocks.append(_build(timer, item, policy, event.actor))
            timer = None
    if timer is not None:
        clocks.append(_build(timer, item, policy, item.assignees[0] if item.assignees else None))
    return clocks


def _messages(item: ItemHistory) -> list[ItemEvent]:
    messages = [e for e in item.events if e.kind in MESSAGE_KINDS]
    if not any(e.kind == OPENED for e in messages):
        # The opening description is a message by the author even when no OPENED activity was stored;
        # the id matches the one the connectors give it.
        opened = ItemEvent(
            id=f"opened:{item.key}",
            at=item.created_at,
            kind=OPENED,
            actor=item.author,
            role=item.author_role,
            url=item.url,
        )
        messages.append(opened)
    # The opening description comes before every reply, even one stored with the same timestamp.
    return sorted(messages, key=lambda e: (e.at, e.kind != OPENED))


def _build(timer: ClockTimer, item: ItemHistory, policy: ClockPolicy, developer: str | None) -> Clock:
    return timer.build(item, target=policy.response_target_seconds, at_risk=policy.at_risk, developer=developer)
