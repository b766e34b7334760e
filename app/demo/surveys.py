"""The demo's surveys: an answered one in the history, and a fresh one whose e-mail is queued (app.demo.mail)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.surveys import Links, contacts, record_answer
from app.surveys.asking import Ask, create_request, last_period

DEMO_CLIENT = "acme"
# Alice answered the monthly survey four months ago and last month: her 0-10 score rose from 6 to 8.
_ANSWERS = (
    (4, {"responsiveness": 3, "fix_speed": 4, "clarity": 2, "recommend": 6,
         "comment": "Fixes are quick, but we often do not understand what changed."}),
    (0, {"responsiveness": 4, "fix_speed": 4, "clarity": 3, "recommend": 8,
         "comment": "Answers are quicker now; the explanations still need work."}),
)


def _month_before(now: datetime, months: int) -> datetime:
    at = now
    for _ in range(months):
        at = at.replace(day=1) - timedelta(days=1)
    return at


def load_demo_surveys(factory: sessionmaker[Session], contracts: Contracts, links: Links, now: datetime) -> bool:
    """Ask acme's contacts about last month (again and again: the same requests) and answer Alice's.

    Return whether acme asks anyone; the new survey's e-mails wait in the outbox.
    """
    client = contracts.clients.get(DEMO_CLIENT)
    if client is None or not client.spec.survey.enabled:
        return False
    people = contacts(contracts, client)
    if not people:
        return False
    alice, others = people[0], people[1:]
    with transaction(factory) as session:
        for months_back, answer in _ANSWERS:
            asked_at = _month_before(now, months_back) if months_back else now
            ask: Ask = last_period("month", asked_at)
            request = create_request(session, contracts, client, alice, ask, links, asked_at,
                                     queue=months_back == 0)
            if request is not None:
                record_answer(session, contracts, request, answer, asked_at)
        for person in others:
            create_request(session, contracts, client, person, last_period("month", now), links, now, queue=True)
    return True
