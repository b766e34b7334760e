"""The notification outbox: a message is queued once by its key and sent by whichever worker claims it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.core.db import transaction
from app.core.outbox import claim_due, retry_at
from app.core.tables import Notification
from app.notify.channels import DeliveryError, Senders
from app.store.upserts import dialect_insert

log = logging.getLogger("pulse.notify")

CHANNELS = ("email", "slack")
# About a day and a half of retries with the backoff capped at an hour: past it the message is marked failed.
MAX_ATTEMPTS = 40


def enqueue(session: Session, *, channel: str, destination: str, subject: str, text: str, html: str | None = None,
            key: str, headers: dict[str, str] | None = None, now: datetime | None = None) -> bool:
    """Queue one message to send; return False when a message with this key is already queued (or sent).

    Safe with concurrent writers: the key is unique and a second insert of it does nothing. Flushes in the
    caller's transaction, so the message is queued exactly when the caller's work is committed.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    if not destination.strip():
        raise ValueError("a message needs a destination: an e-mail address or a Slack webhook URL")
    if not key.strip():
        raise ValueError("a message needs a key that names it, so it is never queued twice")
    at = now or datetime.now(UTC)
    values: dict[str, Any] = {
        "key": key, "channel": channel, "destination": destination.strip(), "subject": subject, "text": text,
        "html": html, "headers": dict(headers or {}), "status": "pending", "attempts": 0, "created_at": at,
        "next_attempt_at": at,
    }
    stmt = dialect_insert(session, Notification.__table__).values(**values).on_conflict_do_nothing(
        index_elements=["key"])
    return len(session.execute(stmt.returning(Notification.__table__.c.id)).all()) == 1


def deliver_due(factory: sessionmaker[Session], now: datetime, senders: Senders) -> tuple[int, int]:
    """Send every message that is due; return (sent, failed). A failure is retried later with backoff."""
    sent = failed = 0
    columns = ("key", "channel", "destination", "subject", "text", "html", "headers")
    for message in claim_due(factory, Notification.__table__, now, columns):
        error = _send(senders, message)
        with transaction(factory) as session:
            row = session.get(Notification, message.id)
            if row is None or row.status != "pending":
                continue
            row.attempts += 1
            if error is None:
                row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, now
                sent += 1
                continue
            failed += 1
            row.last_error = str(error)
            if error.permanent or row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = retry_at(row.attempts, now)
            log.warning("%s message %s (%s) not sent (attempt %s%s): %s", row.channel, row.id, row.key,
                        row.attempts, ", given up" if row.status == "failed" else "", error)
    return sent, failed


def _send(senders: Senders, message: Any) -> DeliveryError | None:
    try:
        if message.channel == "email":
            senders.mail.send(build_email(message, senders.mail_from))
        else:
            senders.post_slack(message.destination, message.text, idempotency_key=f"pulse-notification-{message.id}")
    except DeliveryError as exc:
        return exc
    return None


def build_email(message: Any, sender: str) -> EmailMessage:
    """Build a plain-text e-mail, with an HTML alternative when the message has one."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = Address(addr_spec=message.destination)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = make_msgid(idstring=f"pulse-{message.id}")
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email
