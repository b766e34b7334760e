"""The survey the client's own promises page offers: one request per client and survey period, with no person.

Whoever signs in with the client's token sees the same link; its answers count like a contact's, in the feedback of
the client's whole team for that period, with the origin ``promises_page`` (app.surveys.answers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client
from app.core.tables import SurveyRequest
from app.reports.feedback import PROMISES_PAGE
from app.surveys.asking import Ask, insert_request, last_period, request_key

PAGE_PERSON = ""  # the page's requests name no contact: nobody to greet, remind or unsubscribe


def page_ask(client: Client, now: datetime) -> Ask | None:
    """Return what the page asks about now: the period the client's survey asks about, or None when surveys are off.

    A client asked after bug fixes only rates the last whole week.
    """
    spec = client.spec.survey
    if not spec.enabled:
        return None
    period = last_period(spec.every or "week", now)
    return Ask(PROMISES_PAGE, period.subject, period.period_start, period.period_end)


def _asked_until(ask: Ask) -> datetime:
    """When the page moves on to the next period: the end of the week or month after the one asked about."""
    if ask.period_end - ask.period_start == timedelta(days=7):
        return ask.period_end + timedelta(days=7)
    following = (ask.period_end.astimezone(UTC) + timedelta(days=32)).replace(day=1)
    return datetime.combine(following.date(), datetime.min.time(), UTC)


def page_request(session: Session, client: Client, now: datetime) -> SurveyRequest | None:
    """Return the page's survey request for the client's current survey period, made on first sight.

    Its link works while the page asks about that period; every look at the page returns the same request.
    """
    ask = page_ask(client, now)
    if ask is None:
        return None
    insert_request(session, client.name, PAGE_PERSON, ask, now, expires_at=_asked_until(ask), sent_at=None)
    return session.scalars(select(SurveyRequest).where(
        SurveyRequest.key == request_key(client.name, PAGE_PERSON, ask))).one()
