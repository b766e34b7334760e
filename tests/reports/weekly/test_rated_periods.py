"""The months the disagreement warnings read (pure): whole months in the client's own time zone, and which ratings
belong to a week or to a month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.reports.rated_periods import last_full_month, month_of, this_month
from app.reports.weekly import resolve_week
from metrics.calendar import Calendar

KYIV = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays=None, holiday_dates=[])


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("now", "calendar", "month"), [
    (_utc(2024, 3, 12, 9), KYIV, "2024-02"),
    (_utc(2025, 12, 31, 22, 30), KYIV, "2025-12"),  # already 1 January 00:30 in Kyiv
    (_utc(2025, 12, 31, 22, 30), Calendar.always_on(), "2025-11"),  # still December in UTC
    (_utc(2024, 3, 1, 0, 0), Calendar.always_on(), "2024-02"),  # a leap February
])
def test_the_last_full_month_is_the_clients_own(now, calendar, month):
    assert last_full_month(calendar, now).name == month


def test_a_month_is_bounded_at_local_midnight_and_names_whole_utc_days():
    february = month_of(datetime(2024, 2, 1).date(), KYIV)
    assert (february.since, february.until) == (_utc(2024, 1, 31, 22), _utc(2024, 2, 29, 22))
    assert (february.rated_since, february.rated_until) == (_utc(2024, 2, 1), _utc(2024, 3, 1))
    assert this_month(KYIV, _utc(2024, 2, 29, 22, 30)).name == "2024-03"


@pytest.mark.parametrize(("start", "end", "in_month", "in_week"), [
    (_utc(2024, 2, 1), _utc(2024, 3, 1), True, False),  # 2024-02
    (_utc(2024, 2, 5), _utc(2024, 2, 12), False, True),  # 2024-W06
    (_utc(2024, 2, 5), _utc(2024, 2, 15), True, False),  # ten days inside February
    (_utc(2024, 1, 29), _utc(2024, 2, 5), False, False),  # 2024-W05, half in January
    (_utc(2024, 2, 20), _utc(2024, 3, 5), False, False),  # across two months
])
def test_each_rating_belongs_to_the_period_it_names(start, end, in_month, in_week):
    february = month_of(datetime(2024, 2, 1).date(), KYIV)
    week = resolve_week("2024-W06", KYIV, _utc(2024, 3, 1))
    assert february.names_rating(start, end) is in_month
    assert week.names_rating(start, end) is in_week
