"""The worker asks each client contact once per fixed bug, week or month, reminds at most once, honours an
unsubscribe, and refuses to run surveys without a secret; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app.core.db import transaction
from app.core.tables import Notification, SurveyRequest
from app.main import create_app
from app.settings import SettingsError
from app.surveys import Links, ask_due, links_from, opt_out, remind_due
from app.sync.runner import Connectors
from app.sync.worker import Worker
from tests.conftest import make_settings, post_github
from tests.payloads import issue, issue_event
from tests.surveys.builders import survey_contracts, survey_settings

WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # in ISO week 2026-W10; the week before is 2026-W09
pytestmark = pytest.mark.postgres


def _links() -> Links:
    links = links_from(survey_settings(), survey_contracts())
    assert links is not None
    return links


def _requests(factory) -> list[SurveyRequest]:
    with factory() as s:
        return list(s.scalars(select(SurveyRequest).order_by(SurveyRequest.id)))


def _messages(factory) -> list[Notification]:
    with factory() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_a_weekly_survey_asks_each_contact_once_about_last_week(factory):
    contracts = survey_contracts("{every: week, slack_webhook: 'https://hooks.slack.test/acme'}")
    for _ in range(3):  # every check of the worker (or a restart) asks nothing twice
        with transaction(factory) as s:
            ask_due(s, contracts, _links(), WEDNESDAY)
    requests = _requests(factory)
    assert [(r.person, r.reason, r.developer) for r in requests] == [("alice", "week", ""), ("bob", "week", "")]
    assert {r.period_start for r in requests} == {datetime(2026, 2, 23, tzinfo=UTC)}
    assert {r.period_end for r in requests} == {datetime(2026, 3, 2, tzinfo=UTC)}
    assert all(r.asks_recommend and r.expires_at == WEDNESDAY + timedelta(days=14) for r in requests)
    messages = _messages(factory)
    assert [(m.channel, m.destination) for m in messages] == [
        ("email", "alice@acme.test"), ("slack", "https://hooks.slack.test/acme"), ("slack", "https://hooks.slack.test/acme")]
    mail = messages[0]
    assert mail.subject == "How did we do on week 2026-W09? (acme)"
    assert "Hello Alice," in mail.text and "http://pulse.test/survey/" in mail.text
    assert "sets them beside our own figures" in mail.text and "http://pulse.test/survey/unsubscribe/" in mail.text
    assert mail.headers["List-Unsubscribe"].startswith("<http://pulse.test/survey/unsubscribe/")
    assert "Bob Stone:" in messages[2].text
    token = mail.text.split("http://pulse.test/survey/", 1)[1].split()[0]
    assert _links().read_survey(token) == requests[0].id


def test_the_recommend_question_is_asked_once_a_quarter(factory):
    contracts = survey_contracts("{every: week}")
    with transaction(factory) as s:
        ask_due(s, contracts, _links(), WEDNESDAY)
        ask_due(s, contracts, _links(), WEDNESDAY + timedelta(days=7))
        ask_due(s, contracts, _links(), datetime(2026, 4, 8, 10, 0, tzinfo=UTC))  # a new quarter
    assert [(r.period_start.date().isoformat(), r.asks_recommend) for r in _requests(factory)] == [
        ("2026-02-23", True), ("2026-03-02", False), ("2026-03-30", True)]


def test_a_monthly_survey_asks_about_last_month(factory):
    with transaction(factory) as s:
        ask_due(s, survey_contracts("{every: month, people: [alice]}"), _links(), WEDNESDAY)
    [request] = _requests(factory)
    assert (request.reason, request.period_start, request.period_end) == (
        "month", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert _messages(factory)[0].subject == "How did we do on February 2026? (acme)"


def _bug(client, number: int, reason: str, fixed_at: datetime) -> None:
    opened = issue(number, "alice-acme", fixed_at - timedelta(hours=2), title="Checkout is down",
                   labels=("production",), assignees=("olena-dev",))
    assert post_github(client, "issues", issue_event("opened", opened, "alice-acme")).status_code == 202
    closed = issue(number, "alice-acme", fixed_at - timedelta(hours=2), title="Checkout is down",
                   labels=("production",), assignees=("olena-dev",), state="closed", closed=fixed_at,
                   state_reason=reason)
    assert post_github(client, "issues", issue_event("closed", closed, "olena-dev")).status_code == 202


def test_a_fixed_production_bug_asks_about_its_fix_and_its_developer_but_a_cancelled_one_does_not(client, factory):
    _bug(client, 7, "completed", WEDNESDAY - timedelta(hours=1))
    _bug(client, 8, "not_planned", WEDNESDAY - timedelta(hours=1))
    _bug(client, 9, "completed", WEDNESDAY - timedelta(days=5))  # fixed before the look-back: not asked
    with transaction(factory) as s:
        assert ask_due(s, survey_contracts("{after_bug_fix: true, people: [alice]}"), _links(), WEDNESDAY) == 1
    [request] = _requests(factory)
    assert (request.reason, request.developer, request.item_key) == ("after_bug_fix", "olena", "acme/shop#7")
    assert request.period_start == datetime(2026, 3, 2, tzinfo=UTC)  # the week the fix landed in
    [mail] = _messages(factory)
    assert "the fix of production problem acme/shop#7 “Checkout is down” by Olena Koval" in mail.text


def test_a_reminder_goes_once_and_never_after_an_answer_or_an_unsubscribe(factory):
    contracts = survey_contracts("{every: week, remind_after: 3 days}")
    links = _links()
    with transaction(factory) as s:
        ask_due(s, contracts, links, WEDNESDAY)
    with transaction(factory) as s:
        assert remind_due(s, contracts, links, WEDNESDAY + timedelta(days=2, hours=23)) == 0
        assert remind_due(s, contracts, links, WEDNESDAY + timedelta(days=3)) == 1  # alice (bob has no e-mail)
        assert remind_due(s, contracts, links, WEDNESDAY + timedelta(days=4)) == 0
    reminders = [m for m in _messages(factory) if ":reminder:" in m.key]
    assert [m.subject for m in reminders] == ["Reminder: how did we do? (acme)"]
    with transaction(factory) as s:  # the next week: alice answers, then unsubscribes
        ask_due(s, contracts, links, WEDNESDAY + timedelta(days=7))
        fresh = s.scalars(select(SurveyRequest).where(SurveyRequest.reminded_at.is_(None),
                                                      SurveyRequest.person == "alice")).one()
        fresh.answered_at = WEDNESDAY + timedelta(days=7, hours=1)
    with transaction(factory) as s:
        assert remind_due(s, contracts, links, WEDNESDAY + timedelta(days=11)) == 0
        opt_out(s, "acme", "alice", WEDNESDAY + timedelta(days=11))
        opt_out(s, "acme", "alice", WEDNESDAY + timedelta(days=11))  # twice is still once
    with transaction(factory) as s:
        assert ask_due(s, contracts, links, WEDNESDAY + timedelta(days=14)) == 0
    slack = survey_contracts("{every: week, slack_webhook: 'https://hooks.slack.test/acme'}")
    with transaction(factory) as s:
        assert ask_due(s, slack, links, WEDNESDAY + timedelta(days=14)) == 1  # bob, by Slack; alice stays out
    assert [r.person for r in _requests(factory)] == ["alice", "alice", "bob"]


def test_no_survey_outside_the_clients_working_hours(factory):
    office = survey_contracts("{every: week}", hours="Mon-Fri 09:00-18:00")
    with transaction(factory) as s:
        assert ask_due(s, office, _links(), WEDNESDAY.replace(hour=3)) == 0
        assert ask_due(s, office, _links(), WEDNESDAY.replace(hour=9)) == 1


def test_the_worker_and_the_app_refuse_to_start_surveys_without_a_secret(factory):
    settings = make_settings()
    with httpx.Client() as http, pytest.raises(SettingsError, match="PULSE_SURVEY_SECRET is not set"):
        Worker(settings, factory, survey_contracts(), Connectors(settings, factory), http)
    with pytest.raises(SettingsError, match="PULSE_SURVEY_SECRET is not set"):
        create_app(settings, contracts=survey_contracts())
