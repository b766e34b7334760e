"""The survey the promises page offers: one per client and period, about the period its survey asks about, working
while the page asks about it, never reminded (it names no contact); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.db import transaction
from app.core.tables import Notification, SurveyRequest
from app.surveys import links_from, remind_due
from app.surveys.page import page_request
from tests.surveys.builders import survey_contracts, survey_settings

WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # in 2026-W10, March
pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(("survey", "period", "until"), [
    ("{every: month}", (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
     datetime(2026, 4, 1, tzinfo=UTC)),
    ("{every: week}", (datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
     datetime(2026, 3, 9, tzinfo=UTC)),
    ("{after_bug_fix: true}", (datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
     datetime(2026, 3, 9, tzinfo=UTC)),
])
def test_one_request_per_period_working_while_the_page_asks_about_it(factory, survey, period, until):
    client = survey_contracts(survey).clients["acme"]
    with transaction(factory) as s:
        first = page_request(s, client, WEDNESDAY)
        assert first is not None
        again = page_request(s, client, WEDNESDAY + timedelta(days=3))
        assert again is not None and again.id == first.id
    assert (first.period_start, first.period_end) == period and first.expires_at == until
    assert (first.person, first.reason, first.sent_at) == ("", "promises_page", None)


def test_the_pages_request_is_never_reminded_and_queues_nothing(factory):
    contracts = survey_contracts("{every: week, remind_after: 1 day}")
    with transaction(factory) as s:
        page_request(s, contracts.clients["acme"], WEDNESDAY)
    with transaction(factory) as s:
        assert remind_due(s, contracts, links_from(survey_settings(), contracts), WEDNESDAY + timedelta(days=2)) == 0
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0
        assert s.scalar(select(func.count()).select_from(SurveyRequest)) == 1


def test_no_request_while_surveys_are_off(factory):
    off = survey_contracts("{}").clients["acme"]
    with transaction(factory) as s:
        assert page_request(s, off, WEDNESDAY) is None
