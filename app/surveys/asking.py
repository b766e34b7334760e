"""The worker's side of surveys: ask each client contact once per bug fix, week or month; remind once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts, PersonSpec
from app.core.locks import lock_named
from app.core.tables import ClockRow, SurveyOptOut, SurveyRequest
from app.reports.feedback import describe_period, parse_period
from app.store.upserts import dialect_insert
from app.surveys.links import Links
from app.surveys.messages import queue_messages
from metrics.calendar import is_working_moment
from metrics.model import ClockKind
from metrics.wording import week_name

# A bug fixed longer ago than this when surveys are switched on (or the worker was down) is not asked about.
BUG_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class Ask:
    """What one survey is about: a whole period, or a production bug fixed in it (and by whom)."""

    reason: str  # after_bug_fix | week | month
    subject: str  # the period's name, or the bug's clock id: with the person, it makes the request once-only
    period_start: datetime
    period_end: datetime
    developer: str = ""
    item_key: str | None = None
    clock_id: str | None = None


def contacts(contracts: Contracts, client: Client) -> list[PersonSpec]:
    """Return the client's people a survey reaches: survey.people, else those who name the client in clients:.

    A contact without an e-mail address is asked only when the survey also goes to a shared Slack channel.
    """
    spec = client.spec.survey
    return [p for p in contracts.survey_contacts(client.name) if spec.slack_webhook or (spec.email and p.emails)]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def last_period(every: str, now: datetime) -> Ask:
    """Return the whole week (Monday to Sunday, UTC) or month before the one ``now`` is in."""
    today = now.astimezone(UTC).date()
    if every == "week":
        monday = today - timedelta(days=today.weekday() + 7)
        name = week_name(monday)
    else:
        last_month_end = today.replace(day=1) - timedelta(days=1)
        name = f"{last_month_end.year}-{last_month_end.month:02d}"
    days = parse_period(name)
    assert days is not None
    return Ask(every, name, _day_start(days[0]), _day_start(days[1] + timedelta(days=1)))


def fixed_bugs(session: Session, contracts: Contracts, client: str, now: datetime) -> list[Ask]:
    """Return one ask per production bug whose clock stopped as met or missed lately (never a cancelled one)."""
    rows = session.scalars(select(ClockRow).where(
        ClockRow.client == client, ClockRow.kind == ClockKind.BUG_FIX.value, ClockRow.stopped_at.is_not(None),
        ClockRow.cancelled.is_(False), ClockRow.stopped_at > now - BUG_LOOKBACK, ClockRow.stopped_at <= now,
    ).order_by(ClockRow.stopped_at, ClockRow.id)).all()
    asks = []
    for row in rows:
        assert row.stopped_at is not None
        day = row.stopped_at.astimezone(UTC).date()
        monday = day - timedelta(days=day.weekday())
        developer = row.developer if row.developer and contracts.is_developer(row.developer) else ""
        asks.append(Ask("after_bug_fix", row.id, _day_start(monday), _day_start(monday + timedelta(days=7)),
                        developer, row.item_key, row.id))
    return asks


def opted_out(session: Session, client: str) -> set[str]:
    return set(session.scalars(select(SurveyOptOut.person).where(SurveyOptOut.client == client)))


def ask_due(session: Session, contracts: Contracts, links: Links, now: datetime) -> int:
    """Create and queue every survey now due, in the client's working hours; return how many were created.

    Each (client, person, reason, period or bug) is asked once, however many workers run this at once: the
    request's key is unique and its message is queued in the same transaction.
    """
    created = 0
    for client in contracts.clients.values():
        spec = client.spec.survey
        if not spec.enabled or not is_working_moment(now, client.calendar):
            continue
        asks = [last_period(spec.every, now)] if spec.every else []
        if spec.after_bug_fix:
            asks += fixed_bugs(session, contracts, client.name, now)
        if not asks:
            continue
        skip = opted_out(session, client.name)
        for person in contacts(contracts, client):
            if person.id in skip:
                continue
            for ask in asks:
                created += _create(session, contracts, client, person, ask, links, now)
    return created


def _create(session: Session, contracts: Contracts, client: Client, person: PersonSpec, ask: Ask, links: Links,
            now: datetime) -> int:
    return create_request(session, contracts, client, person, ask, links, now) is not None


def create_request(session: Session, contracts: Contracts, client: Client, person: PersonSpec, ask: Ask,
                   links: Links, now: datetime, *, queue: bool = True) -> SurveyRequest | None:
    """Create the request for one contact and ask, and queue its message; None when it was asked before."""
    expires = now + timedelta(seconds=client.spec.survey.link_lifetime)
    inserted = insert_request(session, client.name, person.id, ask, now, expires_at=expires, sent_at=now)
    if inserted is None:
        return None
    request = session.get(SurveyRequest, inserted)
    assert request is not None
    if queue:
        queue_messages(session, contracts, client, person, request, links, now, reminder=False,
                       period_name=describe_period(ask.period_start, ask.period_end))
    return request


def request_key(client: str, person: str, ask: Ask) -> str:
    return f"{client}|{person}|{ask.reason}|{ask.subject}"


def insert_request(session: Session, client: str, person: str, ask: Ask, now: datetime, *, expires_at: datetime,
                   sent_at: datetime | None) -> int | None:
    """Insert the request of one (client, person, reason, subject) and return its id; None when it exists."""
    lock_named(session, f"survey-contact:{client}:{person}")  # one decision at a time on the 0-10 question
    table = SurveyRequest.__table__
    values = {
        "key": request_key(client, person, ask), "client": client, "person": person,
        "reason": ask.reason, "period_start": ask.period_start, "period_end": ask.period_end,
        "developer": ask.developer, "item_key": ask.item_key, "clock_id": ask.clock_id,
        "asks_recommend": not _asked_recommend_this_quarter(session, client, person, now),
        "created_at": now, "sent_at": sent_at, "expires_at": expires_at,
    }
    return session.execute(dialect_insert(session, table).values(**values)
                           .on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)).scalar()


def quarter_start(now: datetime) -> datetime:
    day = now.astimezone(UTC).date()
    return _day_start(date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))


def _asked_recommend_this_quarter(session: Session, client: str, person: str, now: datetime) -> bool:
    return session.scalar(select(SurveyRequest.id).where(
        SurveyRequest.client == client, SurveyRequest.person == person, SurveyRequest.asks_recommend.is_(True),
        SurveyRequest.created_at >= quarter_start(now)).limit(1)) is not None


def remind_due(session: Session, contracts: Contracts, links: Links, now: datetime) -> int:
    """Remind, once, each contact who has not answered a survey after the contract's remind_after."""
    reminded = 0
    for client in contracts.clients.values():
        spec = client.spec.survey
        if not spec.enabled or spec.remind_after is None or not is_working_moment(now, client.calendar):
            continue
        skip = opted_out(session, client.name)
        # The update takes each request once: a second worker finds reminded_at already set and skips it.
        taken = session.scalars(update(SurveyRequest).where(
            SurveyRequest.client == client.name, SurveyRequest.reminded_at.is_(None),
            SurveyRequest.answered_at.is_(None), SurveyRequest.sent_at <= now - timedelta(seconds=spec.remind_after),
            SurveyRequest.expires_at > now,
        ).values(reminded_at=now).returning(SurveyRequest.id)).all()
        people = {p.id: p for p in contacts(contracts, client)}
        for request_id in sorted(taken):
            request = session.get(SurveyRequest, request_id)
            assert request is not None
            person = people.get(request.person)
            if person is None or person.id in skip:
                continue
            queue_messages(session, contracts, client, person, request, links, now, reminder=True,
                           period_name=describe_period(request.period_start, request.period_end))
            reminded += 1
    return reminded
