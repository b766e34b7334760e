from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.calendar import Calendar, deadline, next_working_moment, working_seconds_between

CALENDARS = [
    Calendar.always_on(),
    Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA"),
    Calendar.parse(timezone="America/New_York", working_hours="Mon-Fri 09:00-17:00", holidays="US"),
    Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Thu 09:00-13:00,14:00-18:00; Fri 09:00-16:00"),
    # Spans that touch the daylight-saving changes themselves.
    Calendar.parse(timezone="Europe/Kyiv", working_hours="Sun 02:30-03:30,03:45-05:00; Mon 00:00-01:00"),
    Calendar.parse(timezone="America/New_York", working_hours="Mon-Sun 00:00-24:00", holidays="US"),
    Calendar.parse(
        timezone="Asia/Kolkata", working_hours="Sun-Thu 10:00-19:00", holiday_dates=[date(2026, 1, 26)]
    ),
]

calendars = st.sampled_from(CALENDARS)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda dt: dt.replace(microsecond=0))
# Mostly near one another (hours to weeks apart), sometimes anywhere.
offsets = st.one_of(
    st.integers(0, 3 * 24 * 3600), st.integers(0, 60 * 24 * 3600), st.integers(0, 4 * 365 * 24 * 3600)
)
SETTINGS = settings(max_examples=300, deadline=None)


@SETTINGS
@given(calendars, moments, offsets, offsets)
def test_additivity(calendar, a, ab, bc):
    b, c = a + timedelta(seconds=ab), a + timedelta(seconds=ab + bc)
    w = working_seconds_between
    assert w(a, c, calendar) == w(a, b, calendar) + w(b, c, calendar)


@SETTINGS
@given(calendars, moments, offsets, offsets)
def test_monotonic_and_bounded_by_wall_time(calendar, a, ab, bc):
    b, c = a + timedelta(seconds=ab), a + timedelta(seconds=ab + bc)
    w = working_seconds_between
    assert 0 <= w(a, b, calendar) <= w(a, c, calendar) <= (c - a).total_seconds()
    assert w(a, c, calendar) >= w(b, c, calendar)


@SETTINGS
@given(calendars, moments, st.integers(0, 90 * 24 * 3600))
def test_deadline_inverts_working_seconds(calendar, start, seconds):
    due = deadline(start, seconds, calendar)
    assert working_seconds_between(start, due, calendar) == seconds
    if seconds:
        # Earliest such moment: one second earlier, one second of work is still missing.
        assert working_seconds_between(start, due - timedelta(seconds=1), calendar) == seconds - 1


@SETTINGS
@given(calendars, moments)
def test_next_working_moment_is_the_first_that_counts(calendar, at):
    first = next_working_moment(at, calendar)
    assert first >= at
    assert working_seconds_between(at, first, calendar) == 0
    assert working_seconds_between(first, first + timedelta(seconds=1), calendar) == 1


@SETTINGS
@given(calendars, moments, st.integers(1, 30 * 24 * 3600))
def test_deadline_after_a_pause_adds_up(calendar, start, seconds):
    # Splitting a target across two running segments reaches the same total.
    half = seconds // 2
    middle = deadline(start, half, calendar)
    assert working_seconds_between(start, deadline(middle, seconds - half, calendar), calendar) == seconds
