"""Week names and durations in words: the one wording the contracts, reports and alerts share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from metrics.wording import (
    describe_duration,
    human_duration,
    minutes_in_words,
    period_in_words,
    wait_in_words,
    week_name,
)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 2, 13, 12, tzinfo=UTC), "2026-W07"),
        (datetime(2027, 1, 1, tzinfo=UTC), "2026-W53"),
        (datetime(2024, 12, 30, tzinfo=UTC), "2025-W01"),
        (datetime(2026, 2, 15, 23, 30, tzinfo=timezone(timedelta(hours=-5))), "2026-W08"),  # Monday in UTC
        (date(2026, 2, 9), "2026-W07"),  # a Monday
        (date(2026, 2, 15), "2026-W07"),  # the Sunday of the same week
        (date(2021, 1, 3), "2020-W53"),  # early January can belong to the year before
        (date(1, 1, 1), "1-W01"),
    ],
)
def test_week_name(when, expected):
    assert week_name(when) == expected


def test_week_name_refuses_a_moment_without_a_time_zone():
    with pytest.raises(ValueError, match="no time zone"):
        week_name(datetime(2026, 2, 13, 12))  # noqa: DTZ001


@pytest.mark.parametrize(("seconds", "words"), [
    (1800, "30 minutes"), (3600, "1 hour"), (172800, "2 days"), (86400, "1 day"), (5400, "90 minutes"),
    (10800, "3 hours"), (60, "1 minute"), (45, "45 seconds"), (1, "1 second"), (90, "90 seconds"),
])
def test_describe_duration(seconds, words):
    assert describe_duration(seconds) == words


@pytest.mark.parametrize(("seconds", "words"), [
    (None, None), (0, "0 s"), (0.4, "0 s"), (45, "45 s"), (59.6, "1 min"), (60, "1 min"), (90, "1 min 30 s"),
    (599, "9 min 59 s"), (600, "10 min"), (720, "12 min"), (749, "12 min"), (750, "13 min"), (3569, "59 min"),
    (3570, "1 h"), (3600, "1 h"), (5400, "1 h 30 min"), (10800, "3 h"), (86399, "1 d"), (97200, "1 d 3 h"),
    (-5, "0 s"),
])
def test_human_duration(seconds, words):
    assert human_duration(seconds) == words


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 minutes"), (29, "0 minutes"), (31, "1 minute"), (60, "1 minute"), (120, "2 minutes"),
    (1380, "23 minutes"), (5369, "89 minutes"), (5400, "1 h 30 min"), (5430, "1 h 30 min"),
    (3 * 3600 + 300, "3 h 05 min"), (-60, "0 minutes"),
])
def test_minutes_in_words(seconds, words):
    assert minutes_in_words(seconds) == words


@pytest.mark.parametrize(("seconds", "words"), [(1, "1 minute"), (60, "1 minute"), (61, "2 minutes"),
                                                (299, "5 minutes"), (0, "1 minute")])
def test_a_wait_is_said_rounded_up_to_the_minute(seconds, words):
    assert wait_in_words(seconds) == words


@pytest.mark.parametrize(("name", "words"), [
    ("2026-W09", "week 2026-W09"), ("2026-11", "November 2026"), ("2026-02", "February 2026"),
    ("2026-02-01..2026-02-20", "1 February 2026 to 20 February 2026"), ("the fix of PROJ-1", "the fix of PROJ-1"),
    ("2026-13", "2026-13"),
])
def test_a_period_is_said_as_a_client_reads_it(name, words):
    assert period_in_words(name) == words
