"""Local-time helpers used by alerts: working moments, local dates and times in plain words."""

from datetime import UTC, date, datetime

import pytest

from metrics.calendar import Calendar, is_working_moment, local_date, local_time_text

KYIV = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00")


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (datetime(2026, 3, 2, 7, 0, tzinfo=UTC), True),  # Monday 09:00 Kyiv (UTC+2)
        (datetime(2026, 3, 2, 6, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 2, 16, 0, tzinfo=UTC), False),  # 18:00 Kyiv: the day has ended
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), False),  # Saturday
        (datetime(2026, 7, 6, 6, 30, tzinfo=UTC), True),  # Monday 09:30 Kyiv in summer (UTC+3)
    ],
)
def test_is_working_moment(moment, working):
    assert is_working_moment(moment, KYIV) is working


def test_always_on_is_always_working():
    assert is_working_moment(datetime(2026, 3, 8, 3, 0, tzinfo=UTC), Calendar.always_on())


def test_local_date_and_text():
    late = datetime(2026, 3, 2, 23, 5, tzinfo=UTC)
    assert local_date(late, KYIV) == date(2026, 3, 3)
    assert local_time_text(datetime(2026, 3, 2, 8, 5, tzinfo=UTC), KYIV) == "Mon 2 Mar 10:05 Europe/Kyiv time"
