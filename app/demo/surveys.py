"""The demo's surveys: an answered one in the history, and a fresh one whose e-mail is captured in a folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import Notification, SurveyRequest
from app.notify import Senders, deliver_due
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


@dataclass(frozen=True)
class DemoMail:
    folder: Path
    files: list[Path]
    link: str | None  # the unanswered survey's link, to open in a browser


def _month_before(now: datetime, months: int) -> datetime:
    at = now
    for _ in range(months):
        at = at.replace(day=1) - timedelta(days=1)
    return at


def load_demo_surveys(factory: sessionmaker[Session], contracts: Contracts, links: Links, senders: Senders,
                      now: datetime) -> DemoMail | None:
    """Ask acme's contacts about last month (again and again: the same requests), answer Alice's, send the mail."""
    client = contracts.clients.get(DEMO_CLIENT)
    if client is None or not client.spec.survey.enabled:
        return None
    people = contacts(contracts, client)
    if not people:
        return None
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
    deliver_due(factory, now, senders)
    folder = getattr(senders.mail, "folder", None)
    if folder is None:
        return None
    with factory() as session:
        open_one = session.scalar(select(SurveyRequest.id).where(
            SurveyRequest.client == DEMO_CLIENT, SurveyRequest.answered_at.is_(None),
            SurveyRequest.expires_at > now).order_by(SurveyRequest.id.desc()).limit(1))
        sent = session.scalar(select(Notification.id).where(Notification.status == "sent").limit(1))
    files = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return DemoMail(Path(folder), files if sent else [], links.survey_url(open_one) if open_one else None)
