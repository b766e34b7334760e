"""The worker's one-on-one jobs: the weekly report on the contract's day and the disagreement warning, each
queued once per (client, week, recipient) and delivered by the outbox, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app.contracts import parse_contracts
from app.core.tables import Notification
from app.notify import Senders, SmtpMail
from app.sync.one_on_ones import queue_disagreement_warnings, queue_weekly_reports, recipients, report_due
from app.sync.runner import Connectors
from app.sync.worker import Worker
from tests.conftest import make_settings
from tests.mailserver import smtp_server
from tests.reports.weekly import conftest as weekly
from tests.reports.weekly.conftest import CONTRACTS_YAML, MONDAY, NOW, PUBLIC, answer, rate

# The weekly report's contracts, settings and history, on both databases (app and client: tests/conftest.py).
app_settings, contracts, history = weekly.app_settings, weekly.contracts, weekly.history

SLACK = "https://hooks.slack.test/services/T1"


def _queued(factory) -> dict[str, Notification]:
    with factory() as session:
        return {row.key: row for row in session.scalars(select(Notification))}


def _contracts(report: str):
    return parse_contracts(CONTRACTS_YAML.split("    report:")[0] + report)


def test_each_recipient_once_by_e_mail_and_the_channel_on_slack(contracts):
    found = recipients(contracts.clients["acme"], contracts)
    assert [(r.channel, r.destination, r.label) for r in found] == [
        ("email", "am@team.test", "am@team.test"), ("email", "olena@team.test", "olena@team.test"),
        ("slack", SLACK, "slack")]
    twice = _contracts("    report: {enabled: true, to: [olena, OLENA@team.test]}\n")
    assert [r.destination for r in recipients(twice.clients["acme"], twice)] == ["olena@team.test"]


@pytest.mark.parametrize(("moment", "week"), [
    (datetime(2024, 3, 12, 6, 59, tzinfo=UTC), None),  # Tuesday 08:59 in Kyiv: before the working day
    (datetime(2024, 3, 12, 7, 0, tzinfo=UTC), "2024-W10"),  # Tuesday 09:00 in Kyiv
    (datetime(2024, 3, 12, 21, 59, tzinfo=UTC), "2024-W10"),  # Tuesday 23:59 in Kyiv
    (datetime(2024, 3, 12, 22, 0, tzinfo=UTC), None),  # already Wednesday in Kyiv
    (datetime(2024, 3, 11, 9, 0, tzinfo=UTC), None),  # Monday
])
def test_the_report_is_due_on_the_contracts_day_from_the_start_of_its_working_day(contracts, moment, week):
    due = report_due(contracts.clients["acme"], moment)
    assert (due.name if due else None) == week


def test_a_report_day_off_work_is_due_from_midnight():
    saturday = _contracts("    report: {enabled: true, to: [am@team.test], day: saturday}\n").clients["acme"]
    due = report_due(saturday, datetime(2024, 3, 8, 22, 30, tzinfo=UTC))  # Saturday 00:30 in Kyiv
    assert due is not None and due.name == "2024-W09"  # the week in progress is not a full one yet


def test_the_weekly_report_is_queued_once_per_recipient_and_week(history, factory, contracts):
    with factory() as session, session.begin():
        assert queue_weekly_reports(session, contracts, NOW, PUBLIC) == 3
    queued = _queued(factory)
    assert set(queued) == {"weekly:acme:2024-W10:am@team.test", "weekly:acme:2024-W10:olena@team.test",
                           "weekly:acme:2024-W10:slack"}
    mail, slack = queued["weekly:acme:2024-W10:am@team.test"], queued["weekly:acme:2024-W10:slack"]
    assert mail.channel == "email" and mail.subject == "Weekly one-on-one: acme, 2024-W10"
    assert mail.text.startswith("# Weekly one-on-one: acme, 2024-W10") and mail.html.startswith("<!DOCTYPE html>")
    assert slack.channel == "slack" and slack.destination == SLACK and slack.html is None
    assert "The production bug acme/shop#5" in slack.text
    with factory() as session, session.begin():  # the next check, or another worker: nothing new
        assert queue_weekly_reports(session, contracts, NOW + timedelta(minutes=15), PUBLIC) == 0
        assert queue_weekly_reports(session, contracts, NOW + timedelta(days=1), PUBLIC) == 0  # not the day
    assert len(_queued(factory)) == 3


def test_a_client_with_the_report_off_gets_nothing(history, factory):
    off = _contracts("    report: {to: [am@team.test]}\n")
    with factory() as session, session.begin():
        assert queue_weekly_reports(session, off, NOW, PUBLIC) == 0
        assert queue_disagreement_warnings(session, off, NOW, PUBLIC) == 0
    assert _queued(factory) == {}


def test_no_warning_when_ratings_and_figures_do_not_disagree(history, factory, contracts):
    with factory() as session, session.begin():
        assert queue_disagreement_warnings(session, contracts, NOW, PUBLIC) == 0


def _disagreeing_week(client, factory, contracts) -> None:
    """Five answers on time in 2024-W10 (100 %), and the client rating responsiveness 2/5 for it."""
    for n in range(5):
        answer(client, 10 + n, MONDAY + timedelta(hours=n), timedelta(minutes=10))
    rate(factory, contracts, period="2024-W10", responsiveness=2, comment="Answers feel slow.")


def test_a_disagreement_is_warned_once_per_period_with_both_figures(client, factory, contracts):
    _disagreeing_week(client, factory, contracts)
    with factory() as session, session.begin():
        assert queue_disagreement_warnings(session, contracts, NOW, PUBLIC) == 3
    queued = _queued(factory)
    assert set(queued) == {"disagree:acme:2024-W10:am@team.test", "disagree:acme:2024-W10:olena@team.test",
                           "disagree:acme:2024-W10:slack"}
    warning = queued["disagree:acme:2024-W10:am@team.test"]
    assert warning.subject == "acme: the client's ratings and the delivery figures disagree for 2024-W10"
    assert "delivery 100 % answers on time (5 counted); acme's rating 2/5 (1 rating)" in warning.text
    assert "https://pulse.example.com/clients/acme" in warning.text and "<a href=" in warning.html
    with factory() as session, session.begin():  # any day after, any worker: once for the period
        assert queue_disagreement_warnings(session, contracts, NOW + timedelta(days=3), PUBLIC) == 0
    with factory() as session, session.begin():  # the next week has its own period (and no disagreement yet)
        assert queue_disagreement_warnings(session, contracts, NOW + timedelta(days=7), PUBLIC) == 0
    assert len(_queued(factory)) == 3


def test_the_worker_queues_and_the_outbox_delivers_each_message_once(client, factory, contracts):
    _disagreeing_week(client, factory, contracts)
    posted: list[dict] = []

    def slack(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200, text="ok")

    settings = make_settings(public_url=PUBLIC)
    with smtp_server() as (inbox, port), httpx.Client(transport=httpx.MockTransport(slack)) as http:
        senders = Senders(SmtpMail("127.0.0.1", port, timeout=5), "Pulse <pulse@team.test>", http)
        worker = Worker(settings, factory, contracts, Connectors(settings, factory), http=http, senders=senders)
        assert "one-on-one-reports" in [job.name for job in worker.scheduler(clock=lambda: NOW).jobs]
        assert worker.queue_one_on_ones(NOW) == 6  # the report and the warning, to two people and the channel
        assert worker.send_notifications(NOW) == (6, 0)
        assert worker.queue_one_on_ones(NOW + timedelta(minutes=15)) == 0
        assert worker.send_notifications(NOW + timedelta(minutes=15)) == (0, 0)
    subjects = sorted((m["To"], " ".join(str(m["Subject"]).split())) for m in inbox.messages)
    assert subjects == [
        ("am@team.test", "Weekly one-on-one: acme, 2024-W10"),
        ("am@team.test", "acme: the client's ratings and the delivery figures disagree for 2024-W10"),
        ("olena@team.test", "Weekly one-on-one: acme, 2024-W10"),
        ("olena@team.test", "acme: the client's ratings and the delivery figures disagree for 2024-W10"),
    ]
    report = next(m for m in inbox.messages if m["Subject"].startswith("Weekly"))
    assert report.get_body(("html",)).get_content().startswith("<!DOCTYPE html>")
    assert len(posted) == 2 and posted[0]["text"].startswith("*")


FEBRUARY = datetime(2024, 2, 5, 8, 0, tzinfo=UTC)  # Monday 10:00 in Kyiv; at NOW the last full month is 2024-02


def _answers_on_time(client, first: int, start: datetime) -> None:
    """Five answers on time, one a working day from `start`: 100 % of answers on time."""
    for n in range(5):
        answer(client, first + n, start + timedelta(days=n), timedelta(minutes=10))


def test_a_monthly_disagreement_is_warned_once_after_the_month_with_both_figures(client, factory, contracts):
    _answers_on_time(client, 20, FEBRUARY)
    rate(factory, contracts, period="2024-02", responsiveness=2, comment="Answers feel slow.")
    with factory() as session, session.begin():
        assert queue_disagreement_warnings(session, contracts, NOW, PUBLIC) == 3
    queued = _queued(factory)
    assert set(queued) == {"disagree:acme:2024-02:am@team.test", "disagree:acme:2024-02:olena@team.test",
                           "disagree:acme:2024-02:slack"}
    warning = queued["disagree:acme:2024-02:am@team.test"]
    assert warning.subject == "acme: the client's ratings and the delivery figures disagree for 2024-02"
    assert "For 2024-02, acme's own ratings and the delivery figures disagree" in warning.text
    assert "delivery 100 % answers on time (5 counted); acme's rating 2/5 (1 rating)" in warning.text
    assert "https://pulse.example.com/clients/acme" in warning.text and "<a href=" in warning.html
    for later in (NOW + timedelta(minutes=15), NOW + timedelta(days=10), datetime(2024, 4, 2, 9, tzinfo=UTC)):
        with factory() as session, session.begin():  # the next passes, in March and after: once for the month
            assert queue_disagreement_warnings(session, contracts, later, PUBLIC) == 0
    assert len(_queued(factory)) == 3


def test_no_monthly_warning_when_the_months_rating_and_figures_agree(client, factory, contracts):
    _answers_on_time(client, 20, FEBRUARY)
    rate(factory, contracts, period="2024-02", responsiveness=5)
    with factory() as session, session.begin():
        assert queue_disagreement_warnings(session, contracts, NOW, PUBLIC) == 0
    assert _queued(factory) == {}


def test_each_rating_is_judged_in_the_period_it_names(client, factory, contracts):
    """A week's rating is no month's, and a month's rating is no week's: it waits for its month to end."""
    _answers_on_time(client, 20, FEBRUARY)
    rate(factory, contracts, period="2024-W06", responsiveness=2)  # 5-11 Feb: its week is long past at NOW
    _answers_on_time(client, 30, MONDAY)  # 2024-W10, in March
    rate(factory, contracts, period="2024-03", responsiveness=2)
    with factory() as session, session.begin():
        assert queue_disagreement_warnings(session, contracts, NOW, PUBLIC) == 0  # neither 2024-W10 nor 2024-02
    after_march = datetime(2024, 4, 2, 9, tzinfo=UTC)
    with factory() as session, session.begin():
        assert queue_disagreement_warnings(session, contracts, after_march, PUBLIC) == 3
    assert {key.rsplit(":", 1)[0] for key in _queued(factory)} == {"disagree:acme:2024-03"}
