"""The demo's mail: the surveys' e-mails and acme's weekly report, sent through the outbox into a folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Contracts
from app.core.db import transaction
from app.core.tables import Notification, SurveyRequest
from app.demo.surveys import DEMO_CLIENT, load_demo_surveys
from app.notify import FolderMail, Senders, deliver_due
from app.reports.weekly import resolve_week
from app.surveys import Links
from app.sync.one_on_ones import queue_weekly_report


@dataclass(frozen=True)
class DemoMail:
    folder: Path
    files: list[Path]
    link: str | None  # the unanswered survey's link, to open in a browser


def queue_demo_reports(factory: sessionmaker[Session], contracts: Contracts, now: datetime, public_url: str) -> int:
    """Queue last week's report of each client with a report: key now, whatever its day (the worker sends the rest)."""
    with transaction(factory) as session:
        return sum(queue_weekly_report(session, contracts, client, resolve_week(None, client.calendar, now), now,
                                       public_url)
                   for client in contracts.clients.values() if client.spec.report.enabled)


def send_demo_mail(factory: sessionmaker[Session], contracts: Contracts, links: Links, senders: Senders,
                   now: datetime) -> DemoMail | None:
    """Queue the demo's surveys and weekly report, deliver the outbox once; say where the e-mails went."""
    asking = load_demo_surveys(factory, contracts, links, now)
    queue_demo_reports(factory, contracts, now, links.public_url)
    deliver_due(factory, now, senders)
    if not isinstance(senders.mail, FolderMail):
        return None
    with factory() as session:
        open_one = session.scalar(select(SurveyRequest.id).where(
            SurveyRequest.client == DEMO_CLIENT, SurveyRequest.person != "", SurveyRequest.answered_at.is_(None),
            SurveyRequest.expires_at > now).order_by(SurveyRequest.id.desc()).limit(1)) if asking else None
        sent = session.scalar(select(Notification.id).where(Notification.status == "sent").limit(1))
    folder = senders.mail.folder
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    return DemoMail(folder, files if sent else [], links.survey_url(open_one) if open_one else None)
