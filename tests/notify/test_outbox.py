"""The notification outbox: a key is queued once even by racing writers; e-mail and Slack are delivered and
retried, a refused address is given up; SMTP goes to a real local server, with and without STARTTLS."""

from __future__ import annotations

import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx
import trustme
from sqlalchemy import select

from app.core.db import make_sessionmaker, transaction
from app.core.tables import Notification
from app.notify import DeliveryError, FolderMail, NoMail, Senders, SmtpMail, deliver_due, enqueue, mail_sender
from app.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.mailserver import smtp_server

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SLACK = "https://hooks.slack.test/services/T1/B1/abc"


def _mail(factory, key="k1", to="alice@acme.test", html="<p>Hello <b>Alice</b></p>"):
    with transaction(factory) as s:
        return enqueue(s, channel="email", destination=to, subject="How did we do?", text="Hello Alice",
                       html=html, key=key, headers={"List-Unsubscribe": "<https://pulse.test/u/x>"}, now=NOW)


def _rows(factory) -> list[Notification]:
    with factory() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_a_key_is_queued_once(factory):
    assert _mail(factory) is True
    assert _mail(factory) is False
    assert _mail(factory, key="k2") is True
    assert [r.key for r in _rows(factory)] == ["k1", "k2"]


def test_unknown_channel_and_empty_destination_are_refused(factory):
    with transaction(factory) as s, pytest.raises(ValueError, match="not one of email, slack"):
        enqueue(s, channel="fax", destination="x", subject="s", text="t", key="k")
    with transaction(factory) as s, pytest.raises(ValueError, match="needs a destination"):
        enqueue(s, channel="email", destination=" ", subject="s", text="t", key="k")


def test_racing_writers_queue_one_message(engine):
    factory = make_sessionmaker(engine)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def write() -> None:
        with transaction(factory) as s:
            barrier.wait()
            results.append(enqueue(s, channel="slack", destination=SLACK, subject="s", text="t", key="same"))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False, False, False, True]
    assert len(_rows(factory)) == 1


def test_email_reaches_a_real_smtp_server_as_text_and_html(factory):
    with smtp_server() as (inbox, port), httpx.Client() as http:
        _mail(factory)
        senders = Senders(SmtpMail("127.0.0.1", port, timeout=5), "Pulse <pulse@company.test>", http)
        assert deliver_due(factory, NOW, senders) == (1, 0)
        assert deliver_due(factory, NOW + timedelta(hours=1), senders) == (0, 0)  # sent once
    [message] = inbox.messages
    assert inbox.recipients == [["alice@acme.test"]]
    assert message["Subject"] == "How did we do?" and message["From"] == "Pulse <pulse@company.test>"
    assert message["List-Unsubscribe"] == "<https://pulse.test/u/x>"
    assert message.get_body(("plain",)).get_content().strip() == "Hello Alice"
    assert "<b>Alice</b>" in message.get_body(("html",)).get_content()
    [row] = _rows(factory)
    assert row.status == "sent" and row.sent_at == NOW and row.attempts == 1


def test_email_goes_over_starttls_with_a_login_when_the_server_offers_it(factory):
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    with smtp_server(tls=server_tls, require_tls=True, login=("pulse", "s3cret")) as (inbox, port), \
            httpx.Client() as http:
        _mail(factory)
        sender = SmtpMail("127.0.0.1", port, "pulse", "s3cret", require_starttls=True, timeout=5, tls=client_tls)
        assert deliver_due(factory, NOW, Senders(sender, "pulse@company.test", http)) == (1, 0)
    assert len(inbox.messages) == 1 and inbox.tls_used == [True]


def test_required_starttls_refuses_a_server_without_it_and_retries_later(factory):
    with smtp_server() as (inbox, port), httpx.Client() as http:
        _mail(factory)
        sender = SmtpMail("127.0.0.1", port, require_starttls=True, timeout=5)
        assert deliver_due(factory, NOW, Senders(sender, "pulse@company.test", http)) == (0, 1)
    assert inbox.messages == []
    [row] = _rows(factory)
    assert row.status == "pending" and "does not offer STARTTLS" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(seconds=30)


def test_a_refused_address_is_given_up_and_a_lost_server_retried_with_backoff(factory):
    with smtp_server() as (inbox, port), httpx.Client() as http:
        inbox.refuse.add("gone@acme.test")
        _mail(factory, key="gone", to="gone@acme.test")
        senders = Senders(SmtpMail("127.0.0.1", port, timeout=5), "pulse@company.test", http)
        assert deliver_due(factory, NOW, senders) == (0, 1)
    [row] = _rows(factory)
    assert row.status == "failed" and "refused the address gone@acme.test" in row.last_error
    with httpx.Client() as http:
        _mail(factory, key="later")
        senders = Senders(SmtpMail("127.0.0.1", port, timeout=2), "pulse@company.test", http)  # server stopped
        assert deliver_due(factory, NOW, senders) == (0, 1)
        assert deliver_due(factory, NOW + timedelta(seconds=29), senders) == (0, 0)  # not due yet
        assert deliver_due(factory, NOW + timedelta(seconds=30), senders) == (0, 1)
    later = _rows(factory)[1]
    assert later.status == "pending" and later.attempts == 2 and "could not reach the mail server" in later.last_error
    assert later.next_attempt_at == NOW + timedelta(seconds=30) + timedelta(seconds=60)


@respx.mock(assert_all_called=True)
def test_slack_gets_the_text_and_a_failure_is_retried(factory, respx_mock):
    route = respx_mock.post(SLACK).mock(side_effect=[httpx.Response(500), httpx.Response(200, text="ok")])
    with transaction(factory) as s:
        enqueue(s, channel="slack", destination=SLACK, subject="ignored", text="Alice, how did we do?", key="s1",
                now=NOW)
    with httpx.Client() as http:
        senders = Senders(NoMail(), "pulse@company.test", http)
        assert deliver_due(factory, NOW, senders) == (0, 1)
        assert deliver_due(factory, NOW + timedelta(minutes=1), senders) == (1, 0)
    assert [c.request.content for c in route.calls] == [b'{"text":"Alice, how did we do?"}'] * 2
    assert route.calls[0].request.headers["Idempotency-Key"] == "pulse-notification-1"


@respx.mock(assert_all_called=True)
def test_a_removed_slack_webhook_is_given_up(factory, respx_mock):
    respx_mock.post(SLACK).mock(return_value=httpx.Response(404, text="no_service"))
    with transaction(factory) as s:
        enqueue(s, channel="slack", destination=SLACK, subject="", text="hi", key="s1", now=NOW)
    with httpx.Client() as http:
        assert deliver_due(factory, NOW, Senders(NoMail(), "p@c.test", http)) == (0, 1)
    assert _rows(factory)[0].status == "failed"


def test_without_a_mail_server_an_email_waits_and_says_what_to_set(factory):
    _mail(factory)
    with httpx.Client() as http:
        assert deliver_due(factory, NOW, Senders(NoMail(), "p@c.test", http)) == (0, 1)
    [row] = _rows(factory)
    assert row.status == "pending" and "set PULSE_SMTP_URL" in row.last_error


def test_a_mail_folder_gets_an_eml_file_a_mail_program_opens(factory, tmp_path: Path):
    _mail(factory)
    with httpx.Client() as http:
        assert deliver_due(factory, NOW, Senders(FolderMail(tmp_path / "mail"), "p@c.test", http)) == (1, 0)
    [path] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: How did we do?" in path.read_bytes() and b"text/html" in path.read_bytes()


def test_mail_settings_choose_the_sender_and_never_show_the_password(tmp_path: Path):
    sender = mail_sender(make_settings(smtp_url="smtps://pulse%40co:p%2Fss@mail.co.test"))
    assert isinstance(sender, SmtpMail)
    assert (sender.host, sender.port, sender.user, sender.password, sender.implicit_tls) == (
        "mail.co.test", 465, "pulse@co", "p/ss", True)
    assert "p/ss" not in repr(sender)
    settings = make_settings(smtp_host="mail.co.test", smtp_user="u", smtp_password="pw", smtp_require_starttls=True)
    sender = mail_sender(settings)
    assert isinstance(sender, SmtpMail) and sender.port == 587 and sender.require_starttls and sender.password == "pw"
    assert "pw" not in repr(settings)
    assert isinstance(mail_sender(make_settings(mail_dir=tmp_path)), FolderMail)
    assert isinstance(mail_sender(make_settings()), NoMail)
    with pytest.raises(SettingsError, match="PULSE_SMTP_URL must start with smtp:// or smtps://"):
        load_settings(_env_file=None, smtp_url="mail.co.test")
    with pytest.raises(DeliveryError, match="no mail server is set"):
        NoMail().send(None)  # type: ignore[arg-type]
