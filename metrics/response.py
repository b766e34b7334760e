"""Response clocks: every client message is answered by a developer within the response target.

The work item is the thread. The rules, as a delivery manager reads them:

- **A message is public and has words.** An internal note or a comment restricted to a role or group is
  neither a question nor an answer; a review or approval without text is neither, on either side. The
  opening description is always a message by the item's author.
- **A client message starts a clock** when none is running; the client's follow-ups before an answer do not
  restart it; the next developer message stops it (met or breached by its working time). Bots and ignored
  authors neither start nor stop a clock. Edits never reach here as separate events, so an edit is never an
  answer.
- **Closing the thread ends its pending reply.** When the item is closed, resolved or merged (by anyone, the
  client included), a running clock stops there and is judged by its elapsed time: within target → met, past
  it → breached. Closing never erases a breach. A client message after the close starts a new clock; a last
  word the client sends with the close (the same person, within a minute before it) asks for no answer.
- **Deleting does not rewrite history.** A developer answer deleted later still answered the clock
  ("answer later deleted"). A client question deleted after its clock breached, or by someone other than its
  author, leaves the clock as it was ("question later deleted"). A question its author deleted before it was
  answered and before its target passed withdraws it: the clock ends **cancelled** at the deletion; an
  unanswered follow-up sent before the deletion then starts its own clock.
- **Credit** goes to the developer who answered; a clock closed without an answer, or still open, to the
  closer if a developer, else the item's first assignee who is a developer; never to a bot, a client person
  or an ignored author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from metrics.calendar import working_seconds_between
from metrics.model import Clock, ClockKind, ClockPolicy, Evidence, ItemEvent, ItemHistory, Role
from metrics.timer import MESSAGE_KINDS, OPENED, ClockTimer, closes_thread, credited_assignee

ANSWER_DELETED = "answer later deleted"
QUESTION_DELETED = "question later deleted"
QUESTION_WITHDRAWN = "question deleted by its author before it was answered"
THREAD_CLOSED = "the thread was closed before an answer"
_WITH_THE_CLOSE = 60  # seconds: a message its author sends this close before closing the thread goes with the close


@dataclass(frozen=True, slots=True)
class _Withdrawal:
    """A client question deleted by its own author, at the moment it was deleted."""

    message: ItemEvent
    at: datetime


def response_clocks(item: ItemHistory, policy: ClockPolicy) -> list[Clock]:
    """Return one response clock per unanswered run of client messages, in time order."""
    replay = _Replay(item, policy)
    for step in _timeline(item):
        if isinstance(step, _Withdrawal):
            replay.withdraw(step.message, step.at)
        elif step.kind in MESSAGE_KINDS:
            replay.message(step)
        elif closes_thread(step):
            replay.close(step)
    return replay.finish()


class _Replay:
    def __init__(self, item: ItemHistory, policy: ClockPolicy) -> None:
        self.item, self.policy = item, policy
        self.calendar = policy.calendar_for(ClockKind.RESPONSE)
        self.clocks: list[Clock] = []
        self.timer: ClockTimer | None = None
        self.starter: ItemEvent | None = None  # the question the running clock started from
        self.pending: list[ItemEvent] = []  # the client's unanswered messages of the running clock
        self.notes: list[str] = []

    def message(self, event: ItemEvent) -> None:
        if event.role is Role.CLIENT:
            if self.timer is None:
                self._start(event)
            self.pending.append(event)
            if event.deleted:
                self._note(QUESTION_DELETED)
        elif event.role is Role.DEVELOPER and self.timer is not None:
            note = ANSWER_DELETED if event.deleted else None
            self.timer.stop(event.at, event.id, event.url)
            if note:
                self.timer.evidence[-1] = _noted(self.timer.evidence[-1], note)
                self._note(note)
            self._finish(event.actor)

    def close(self, event: ItemEvent) -> None:
        if self.timer is None:
            return
        starter = self.starter
        if (starter is not None and len(self.pending) == 1 and starter.actor == event.actor
                and (event.at - starter.at).total_seconds() <= _WITH_THE_CLOSE):
            self.timer, self.starter, self.pending, self.notes = None, None, [], []
            return  # "closing with comment": a last word sent with the close asks for no answer
        self.timer.stop(event.at, event.id, event.url)
        self.timer.evidence[-1] = _noted(self.timer.evidence[-1], THREAD_CLOSED)
        self._note(THREAD_CLOSED)
        closer = event.actor if event.role is Role.DEVELOPER else None
        self._finish(closer or credited_assignee(self.item))

    def withdraw(self, question: ItemEvent, at: datetime) -> None:
        if question not in self.pending:
            return  # answered (or the thread closed) before it was deleted: the clock stands, noted
        self.pending.remove(question)
        if self.timer is None or self.starter is not question:
            return  # a follow-up: the clock runs on from the first question
        elapsed = self.timer.elapsed_seconds
        if self.timer.running_since is not None:
            elapsed += working_seconds_between(self.timer.running_since, at, self.calendar)
        if elapsed > self.policy.response_target_seconds:
            self._note(QUESTION_DELETED)  # the breach stands: the clock waits on for an answer
            if not self.pending:
                self.timer.stop(at, question.id, question.url)
                self.timer.evidence[-1] = _noted(self.timer.evidence[-1], QUESTION_DELETED)
                self._finish(credited_assignee(self.item))
            return
        self.timer.stop(at, question.id, question.url)
        self.timer.evidence[-1] = _noted(self.timer.evidence[-1], QUESTION_WITHDRAWN)
        self.notes = [QUESTION_WITHDRAWN]
        rest = list(self.pending)
        self._finish(None, cancelled=True)
        if rest:  # an unanswered follow-up is a question of its own, from the moment it was sent
            self._start(rest[0])
            self.pending = rest

    def finish(self) -> list[Clock]:
        if self.timer is not None:
            self._finish(credited_assignee(self.item))
        return self.clocks

    def _start(self, event: ItemEvent) -> None:
        self.timer = ClockTimer.start(ClockKind.RESPONSE, len(self.clocks), self.calendar, event.at, event.id,
                                      event.url)
        self.starter, self.pending, self.notes = event, [], []

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _finish(self, developer: str | None, *, cancelled: bool = False) -> None:
        assert self.timer is not None
        clock = self.timer.build(self.item, target=self.policy.response_target_seconds, at_risk=self.policy.at_risk,
                                 developer=developer, cancelled=cancelled, notes=tuple(self.notes))
        self.clocks.append(clock)
        self.timer, self.starter, self.pending, self.notes = None, None, [], []


def _withdrawable(event: ItemEvent) -> bool:
    """A client question can be withdrawn only by its own author, at a known moment."""
    return (event.deleted and event.deleted_at is not None and event.deleted_by is not None
            and event.deleted_by == event.actor)


def _noted(evidence: Evidence, note: str) -> Evidence:
    return Evidence(evidence.role, evidence.activity_id, evidence.at, evidence.url, note)


def _counts(event: ItemEvent) -> bool:
    """A message counts when it is public and has words (the opening description always does)."""
    return event.public and (event.has_body or event.kind == OPENED)


def _timeline(item: ItemHistory) -> list[ItemEvent | _Withdrawal]:
    messages = [e for e in item.events if e.kind in MESSAGE_KINDS and _counts(e)]
    if not any(e.kind == OPENED for e in item.events):
        # The opening description is a message by the author even when no OPENED activity was stored;
        # the id matches the one the connectors give it.
        messages.append(ItemEvent(id=f"opened:{item.key}", at=item.created_at, kind=OPENED, actor=item.author,
                                  role=item.author_role, url=item.url))
    closes = [e for e in item.events if closes_thread(e)]
    withdrawals = [_Withdrawal(e, e.deleted_at) for e in messages
                   if e.role is Role.CLIENT and e.deleted_at is not None and _withdrawable(e)]
    # The opening description comes before every reply, even one stored with the same timestamp; a reply in
    # the same second as a close came before it; a deletion comes after everything else of its second.
    steps: list[tuple[object, int, ItemEvent | _Withdrawal]] = []
    steps += [(e.at, 0 if e.kind == OPENED else 1, e) for e in messages]
    steps += [(e.at, 2, e) for e in closes]
    steps += [(w.at, 3, w) for w in withdrawals]
    return [step for _, _, step in sorted(steps, key=lambda s: (s[0], s[1]))]
