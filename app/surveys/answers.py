"""A contact's answers: each saved on its own, the last one counting, and turned into the client's feedback."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.core.locks import lock_named
from app.core.tables import Feedback, SurveyOptOut, SurveyRequest
from app.reports.feedback import MAX_COMMENT, PROMISES_PAGE, SURVEY_ORIGINS
from app.store.upserts import dialect_insert
from app.surveys.links import LinkRefused, Links


@dataclass(frozen=True)
class Question:
    name: str
    text: str
    low: str
    high: str


QUESTIONS = (
    Question("responsiveness", "How quickly did we answer your messages?", "very slowly", "very quickly"),
    Question("fix_speed", "How quickly did we fix production problems?", "very slowly", "very quickly"),
    Question("clarity", "How clear were our explanations?", "hard to follow", "very clear"),
)
RECOMMEND = "How likely are you to recommend us to a colleague?"
SCORES = tuple(q.name for q in QUESTIONS)


class SurveyUnavailable(Exception):
    """A link that opens no survey: ``problem`` is tampered, expired or unknown, and says which page to show."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class AnswerInvalid(ValueError):
    """An answer that cannot be saved; the message says what to send instead."""


def open_request(session: Session, links: Links | None, token: str, now: datetime, *,
                 for_update: bool = False) -> SurveyRequest:
    """Return the survey request a link opens; raise SurveyUnavailable for a changed, old or unknown link."""
    if links is None:
        raise SurveyUnavailable("unknown")
    try:
        request_id = links.read_survey(token)
    except LinkRefused as exc:
        raise SurveyUnavailable(exc.problem) from None
    stmt = select(SurveyRequest).where(SurveyRequest.id == request_id)
    request = session.scalar(stmt.with_for_update() if for_update else stmt)
    if request is None:
        raise SurveyUnavailable("unknown")
    if request.expires_at <= now:
        raise SurveyUnavailable("expired")
    return request


def read_answer(request: SurveyRequest, fields: Mapping[str, str]) -> dict[str, int | str | None]:
    """Check the answers a form sent (any one question, or the comment); raise AnswerInvalid when wrong."""
    answer: dict[str, int | str | None] = {}
    for name in SCORES:
        if name in fields:
            answer[name] = _whole(fields[name], 1, 5, name)
    if "recommend" in fields:
        if not request.asks_recommend:
            raise AnswerInvalid("This survey does not ask how likely you are to recommend us.")
        answer["recommend"] = _whole(fields["recommend"], 0, 10, "recommend")
    if "comment" in fields:
        comment = fields["comment"].strip()
        if len(comment) > MAX_COMMENT:
            raise AnswerInvalid(f"The comment is {len(comment)} characters long; please keep it to {MAX_COMMENT}.")
        answer["comment"] = comment or None
    if not answer:
        raise AnswerInvalid("Nothing was answered: choose a number for one of the questions, or write a comment.")
    return answer


def _whole(value: str, low: int, high: int, name: str) -> int:
    text = value.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise AnswerInvalid(f"Choose a whole number from {low} to {high} for this question.")
    return int(text)


def record_answer(session: Session, contracts: Contracts, request: SurveyRequest,
                  answer: Mapping[str, int | str | None], now: datetime) -> bool:
    """Save answers on the request (the last answer to a question counts) and refresh the client's feedback.

    Return False when the period's feedback was typed in by hand (CSV or API): that rating stays, and the
    answers are kept on the request.
    """
    for name, value in answer.items():
        setattr(request, name, value)
    request.answered_at = now
    session.flush()
    return rate_period(session, contracts, request.client, request.developer, request.period_start,
                       request.period_end, now)


def _mean(values: list[int]) -> int | None:
    return int(sum(values) / len(values) + 0.5) if values else None  # half up: 3.5 is 4


def rate_period(session: Session, contracts: Contracts, client: str, developer: str, start: datetime, end: datetime,
                now: datetime) -> bool:
    """Write the feedback for one client, developer and period from every contact's latest survey answers."""
    lock_named(session, f"feedback:{client}:{developer}:{start.isoformat()}:{end.isoformat()}")
    key = {"client": client, "developer": developer, "period_start": start, "period_end": end}
    existing = session.scalar(select(Feedback).where(*(getattr(Feedback, k) == v for k, v in key.items())))
    if existing is not None and existing.origin not in SURVEY_ORIGINS:
        return False
    answered = session.scalars(select(SurveyRequest).where(
        *(getattr(SurveyRequest, k) == v for k, v in key.items()), SurveyRequest.answered_at.is_not(None),
    ).order_by(SurveyRequest.answered_at, SurveyRequest.id)).all()
    scores = {name: _mean([v for r in answered if (v := getattr(r, name)) is not None])
              for name in (*SCORES, "recommend")}
    notes = [f"{_person(contracts, r)}: {r.comment}" for r in answered if r.comment]
    comment = "\n".join(notes)[:MAX_COMMENT] or None
    origin = PROMISES_PAGE if answered and all(r.reason == PROMISES_PAGE for r in answered) else "survey"
    values = {**key, **scores, "comment": comment, "origin": origin, "created_at": now, "updated_at": now}
    stmt = dialect_insert(session, Feedback.__table__).values(**values)
    replaced = {k: stmt.excluded[k] for k in (*SCORES, "recommend", "comment", "origin", "updated_at")}
    # A rating typed in at this very moment wins: the update only touches a row the surveys wrote.
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=replaced,
                                               where=Feedback.__table__.c.origin.in_(SURVEY_ORIGINS)))
    return True


def _person(contracts: Contracts, request: SurveyRequest) -> str:
    """Name who answered: the contact, or the promises page for its answers."""
    if request.reason == PROMISES_PAGE:
        return "From the promises page"
    spec = contracts.people.get(request.person)
    return spec.name if spec else request.person


def opt_out(session: Session, client: str, person: str, now: datetime) -> None:
    """Record that a contact wants no more surveys from this client's team (again and again: one row)."""
    stmt = dialect_insert(session, SurveyOptOut.__table__).values(client=client, person=person, at=now)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["client", "person"]))


def is_opted_out(session: Session, client: str, person: str) -> bool:
    return session.get(SurveyOptOut, (client, person)) is not None
