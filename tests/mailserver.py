"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping every message it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    """What the server received: parsed messages with their envelope recipients, and the logins tried."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    tls_used: list[bool] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        self.tls_used.append(session.ssl is not None)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(*, tls: ssl.SSLContext | None = None, require_tls: bool = False,
                login: tuple[str, str] | None = None) -> Iterator[tuple[Inbox, int]]:
    """Serve SMTP on a free port (STARTTLS offered when ``tls`` is given); yield the inbox and the port."""
    inbox = Inbox()

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and login is not None and (
            data.login.decode(), data.password.decode()) == login
        return AuthResult(success=ok)

    extra: dict[str, Any] = {}
    if login is not None:
        extra = {"authenticator": authenticate, "auth_require_tls": tls is not None, "auth_required": True}
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=require_tls,
                            **extra)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
