"""Where messages go: e-mail by SMTP (or into a folder), Slack by its incoming-webhook URL; one error type."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from app.settings import Settings

log = logging.getLogger("pulse.notify")


class DeliveryError(Exception):
    """A message could not be delivered; ``permanent`` means trying again cannot help (a refused address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMail:
    """Send by SMTP: smtps is TLS from the start; smtp switches to TLS when the server offers STARTTLS."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    require_starttls: bool = False
    timeout: float = 30.0
    tls: ssl.SSLContext | None = None  # None: the system's trusted certificates

    def __repr__(self) -> str:  # the password never reaches a log line or a traceback
        return f"SmtpMail(host={self.host!r}, port={self.port}, user={self.user!r})"

    def send(self, message: EmailMessage) -> None:
        context = self.tls or ssl.create_default_context()
        try:
            if self.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if not self.implicit_tls:
                    if smtp.has_extn("starttls"):
                        smtp.starttls(context=context)
                        smtp.ehlo()
                    elif self.require_starttls:
                        raise DeliveryError(f"the mail server {self.host} does not offer STARTTLS, and "
                                            "PULSE_SMTP_REQUIRE_STARTTLS is on; nothing was sent")
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(exc.recipients)
            raise DeliveryError(f"the mail server refused the address {refused}", permanent=True) from None
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError(f"the mail server {self.host} refused the user name or password; check "
                                "PULSE_SMTP_URL or PULSE_SMTP_USER and PULSE_SMTP_PASSWORD") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"the mail server answered {exc.smtp_code}", permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"could not reach the mail server {self.host}:{self.port}: "
                                f"{type(exc).__name__}") from None


@dataclass(frozen=True)
class FolderMail:
    """Write each e-mail into a folder as an .eml file (a mail program opens it): for the demo and trials."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ident = re.sub(r"[^A-Za-z0-9.-]+", "-", str(message["Message-ID"] or "message")).strip("-")
        path = self.folder / f"{ident}.eml"
        try:
            path.write_bytes(bytes(message))
        except OSError as exc:
            raise DeliveryError(f"could not write the e-mail into {self.folder}: {exc.strerror}") from None
        log.info("e-mail to %s written to %s", message["To"], path)


class NoMail:
    """No way to send e-mail is set: each e-mail waits, and says what to set."""

    def send(self, message: EmailMessage) -> None:
        raise DeliveryError("no mail server is set: set PULSE_SMTP_URL (or PULSE_SMTP_HOST), or PULSE_MAIL_DIR "
                            "to write e-mails into a folder")


def mail_sender(settings: Settings) -> MailSender:
    """Choose how e-mail leaves from the settings: SMTP URL, SMTP host, a folder, or none."""
    timeout = settings.http_timeout_seconds
    if settings.smtp_url is not None:
        url = urlsplit(settings.smtp_url.get_secret_value())
        implicit = url.scheme == "smtps"
        if not url.hostname:
            raise ValueError("PULSE_SMTP_URL has no host; write it like smtp://user:password@mail.example.com:587")
        return SmtpMail(url.hostname, url.port or (465 if implicit else 587),
                        unquote(url.username) if url.username else None,
                        unquote(url.password) if url.password else None, implicit, settings.smtp_require_starttls,
                        timeout)
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpMail(settings.smtp_host, settings.smtp_port, settings.smtp_user, password,
                        settings.smtp_port == 465, settings.smtp_require_starttls, timeout)
    if settings.mail_dir is not None:
        return FolderMail(settings.mail_dir)
    return NoMail()


@dataclass
class Senders:
    """Everything the outbox sends with: a mail sender, the From address and an HTTP client for Slack."""

    mail: MailSender
    mail_from: str
    http: httpx.Client

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.Client) -> Senders:
        return cls(mail_sender(settings), settings.mail_from, http)

    def post_slack(self, webhook: str, text: str, *, idempotency_key: str) -> None:
        try:
            response = self.http.post(webhook, json={"text": text}, headers={"Idempotency-Key": idempotency_key})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"could not reach Slack: {type(exc).__name__}") from None
        if response.status_code >= 300:
            # Slack answers 4xx for a removed or wrong webhook: no retry brings it back.
            permanent = response.status_code in (400, 403, 404, 410)
            raise DeliveryError(f"Slack answered {response.status_code}", permanent=permanent)
