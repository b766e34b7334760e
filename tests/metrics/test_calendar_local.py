"""Local-time helpers used by alerts: working moments, local dates and times in plain words."""

from datetime import UTC, date, datetime, timedelta

import pytest

from metrics.calendar import (
    Calendar,
    is_working_moment,
    local_date,
    local_time_text,
    local_week_monday,
    local_week_starts,
)

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


def test_local_week_starts_name_each_week_the_window_meets_with_its_utc_start():
    kyiv = Calendar(timezone="Europe/Kyiv")
    # Thursday 19 March to Wednesday 1 April 2026: summer time begins on Sunday 29 March (UTC+2 -> UTC+3).
    weeks = local_week_starts(datetime(2026, 3, 19, 12, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), kyiv)
    assert weeks == [(date(2026, 3, 16), datetime(2026, 3, 15, 22, tzinfo=UTC)),
                     (date(2026, 3, 23), datetime(2026, 3, 22, 22, tzinfo=UTC)),  # 167 hours long
                     (date(2026, 3, 30), datetime(2026, 3, 29, 21, tzinfo=UTC))]
    for monday, start in weeks:
        assert local_week_monday(start, kyiv) == monday
        assert local_week_monday(start - timedelta(microseconds=1), kyiv) == monday - timedelta(days=7)
    # A window that ends where a week begins does not meet that week; an empty window meets none.
    assert local_week_starts(datetime(2026, 3, 19, tzinfo=UTC), datetime(2026, 3, 22, 22, tzinfo=UTC), kyiv)[-1][0] \
        == date(2026, 3, 16)
    assert local_week_starts(datetime(2026, 3, 19, tzinfo=UTC), datetime(2026, 3, 19, tzinfo=UTC), kyiv) == []
