"""Plain language, grouped: the share of messages that pass, the words that did not, and the messages behind them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.api.deps import ContractsDep, ReadDep, SessionDep
from app.api.errors import problem_responses
from app.api.params import Time, check_order
from app.contracts import Contracts
from app.reports.clocks import person_name, week_calendar
from app.reports.language_figures import (
    TERM_MESSAGES,
    ListedMessage,
    ScoreFilter,
    Shown,
    listed_messages,
    summaries,
    term_messages,
)
from metrics.calendar import Calendar
from metrics.wording import week_name

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


class GroupBy(StrEnum):
    DEVELOPER = "developer"
    CLIENT = "client"
    WEEK = "week"


class FlaggedOut(BaseModel):
    term: str
    count: int
    suggestion: str | None = Field(description="A plain alternative, from the shipped lexicon or the contract.")


class TopTermOut(FlaggedOut):
    activity_ids: list[str] = Field(description=f"Up to {TERM_MESSAGES} messages that use the term, newest first.")


class MessageOut(BaseModel):
    source: str
    activity_id: str = Field(description="The message's id at its source (comment:123, review:45, opened:...).")
    item_key: str
    title: str | None
    url: str | None = Field(description="Where to read the message.")
    client: str
    developer: str
    at: datetime
    language: str | None
    supported: bool = Field(description="False: not scored (another language, or nothing left but code).")
    passes: bool | None
    words: int
    jargon_share: float | None
    unexplained_acronyms: int
    avg_words_per_sentence: float | None
    readability_grade: float | None
    flagged: list[FlaggedOut]
    reasons: list[str] = Field(description="Each limit the message misses, in plain words, or why it was skipped.")


class GroupOut(BaseModel):
    key: str = Field(description="Person id, client name or ISO week.")
    name: str
    messages: int
    scored_messages: int
    skipped_messages: int = Field(description="Messages not scored: another language, or only code.")
    words: int
    passed_messages: int
    pass_share: float | None = Field(description="Passed / scored; null when too few words were scored.")
    mean_jargon_share: float | None
    enough_data: bool
    note: str | None = Field(description="Why there is no share when there is too little to judge.")
    top_flagged: list[TopTermOut]
    shown_messages: list[MessageOut] = Field(description="The messages behind the figures, newest first.")
    messages_left_out: int = Field(description="Messages of the group not listed (see `show` and `limit`).")


class PlainLanguageReport(BaseModel):
    metric: str = "plain-language"
    group_by: GroupBy
    week_time_zone: str | None = Field(
        description="Grouped by week: the IANA time zone the weeks run Monday to Sunday in, the client's contract "
        "calendar when `client` is given, else UTC. Null for other groupings.", examples=["Asia/Tokyo"])
    since: datetime | None
    until: datetime | None
    min_words: int
    groups: list[GroupOut]


def _message(s: ListedMessage) -> MessageOut:
    row = s.row
    return MessageOut(
        source=row.source, activity_id=row.external_id, item_key=row.item_key, title=s.title, url=s.url,
        client=row.client, developer=row.developer, at=row.at, language=row.language, supported=row.supported,
        passes=row.passes, words=row.words, jargon_share=row.jargon_share,
        unexplained_acronyms=row.unexplained_acronyms, avg_words_per_sentence=row.avg_words_per_sentence,
        readability_grade=row.readability_grade, flagged=[FlaggedOut(**f) for f in row.flagged or ()],
        reasons=list(row.reasons or ()),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def group_figures(
    session: Session, flt: ScoreFilter, group_by: GroupBy, contracts: Contracts, *, min_words: int, show: Shown,
    limit: int, weeks: Calendar,
) -> list[GroupOut]:
    """Summarize scores per group (weeks in the calendar's zone), each with the messages and flagged words behind it."""
    by = (group_by.value,)
    zone = weeks.timezone
    figures = summaries(session, flt, by, min_words=min_words, zone=zone)
    listed = listed_messages(session, flt, by, show=show, limit=limit, zone=zone,
                             groups={key: f.messages for key, f in figures.items()})
    uses = term_messages(session, flt, by, {key: [t.term for t in f.top_flagged] for key, f in figures.items()},
                         zone=zone, uses={(key, t.term): t.count for key, f in figures.items() for t in f.top_flagged})
    out = []
    for key, summary in figures.items():
        (value,) = key
        name = week_name(value) if group_by is GroupBy.WEEK else str(value)
        group = listed.get(key, [])
        out.append(GroupOut(
            key=name, name=person_name(name, contracts) if group_by is GroupBy.DEVELOPER else name,
            messages=summary.messages, scored_messages=summary.scored_messages,
            skipped_messages=summary.skipped_messages, words=summary.words, passed_messages=summary.passed_messages,
            pass_share=_rounded(summary.pass_share), mean_jargon_share=_rounded(summary.mean_jargon_share),
            enough_data=summary.enough_data, note=summary.note,
            top_flagged=[TopTermOut(term=t.term, count=t.count, suggestion=t.suggestion,
                                    activity_ids=uses.get((key, t.term), [])) for t in summary.top_flagged],
            shown_messages=[_message(s) for s in group],
            messages_left_out=summary.messages - len(group),
        ))
    return sorted(out, key=lambda g: g.key)


@router.get("/plain-language", summary="Plain language of developer messages, grouped",
            response_model=PlainLanguageReport, responses=problem_responses(401, 422))
def read_plain_language(
    session: SessionDep, contracts: ContractsDep, _: ReadDep,
    client: Annotated[str | None, Query(description="Only this client.")] = None,
    developer: Annotated[str | None, Query(description="Only this developer's messages (person id).")] = None,
    since: Annotated[Time | None, Query(description="Messages written at or after this time (ISO 8601 with an "
                                                    "offset).")] = None,
    until: Annotated[Time | None, Query(description="Messages written before this time (ISO 8601 with an "
                                                    "offset).")] = None,
    group_by: Annotated[GroupBy, Query(description="How to group the figures.")] = GroupBy.DEVELOPER,
    min_words: Annotated[int, Query(ge=1, le=1_000_000,
                                    description="Scored words a group needs before a share is given.")] = 150,
    show: Annotated[Shown, Query(description="Which messages to list per group.")] = Shown.ALL,
    limit: Annotated[int, Query(ge=0, le=1000, description="At most this many messages listed per group, "
                                                   "newest first.")] = 10,
) -> PlainLanguageReport:
    """Score figures per developer, client or ISO week; messages are scored by `pulse score` (and the worker)."""
    check_order(since, until)
    flt = ScoreFilter(client=client, developer=developer, since=since, until=until)
    weeks = week_calendar(contracts, client)
    groups = group_figures(session, flt, group_by, contracts, min_words=min_words, show=show, limit=limit,
                           weeks=weeks)
    zone = weeks.timezone if group_by is GroupBy.WEEK else None
    return PlainLanguageReport(group_by=group_by, week_time_zone=zone, since=since, until=until, min_words=min_words,
                               groups=groups)
