"""parse_time tells epoch seconds from epoch milliseconds by magnitude; ISO strings read as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.records import PayloadError, parse_time

APRIL_2017 = datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1492070429, APRIL_2017),  # seconds: Atlassian's changelog/bulkfetch example
        (1492070429000, APRIL_2017),  # milliseconds: a Jira webhook's timestamp
        (1492070429.5, APRIL_2017 + timedelta(milliseconds=500)),
        (1492070429500.0, APRIL_2017 + timedelta(milliseconds=500)),
        (1709290800000, datetime(2024, 3, 1, 11, tzinfo=UTC)),
        (99_999_999_999, datetime(5138, 11, 16, 9, 46, 39, tzinfo=UTC)),  # the last number read as seconds
        (100_000_000_000, datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)),  # the first read as milliseconds
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_epoch_numbers_are_seconds_below_1e11_and_milliseconds_from_there(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-02-16T03:11:18.321+0000", datetime(2019, 2, 16, 3, 11, 18, 321000, tzinfo=UTC)),
        ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024-03-01T14:00:00+02:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-26T16:00Z", datetime(2026, 3, 26, 16, tzinfo=UTC)),  # Jira Cloud's X-RateLimit-Reset shape
        ("1970-01-18T06:27:50.429+0000", datetime(1970, 1, 18, 6, 27, 50, 429000, tzinfo=UTC)),
    ],
)
def test_iso_strings_read_as_before(value, expected):
    assert parse_time(value) == expected
    assert parse_time(value).tzinfo is UTC


def test_an_aware_datetime_is_turned_to_utc():
    local = datetime(2024, 3, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    assert parse_time(local) == datetime(2024, 3, 1, 12, tzinfo=UTC) and parse_time(local).tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**20, "history.created is not a valid epoch time"),
        (float("nan"), "history.created is not a valid epoch time"),
        ("soon", "history.created is not a valid date and time: 'soon'"),
        ("2024-03-01T12:00:00", "history.created has no time zone"),
        (True, "history.created is missing or not a date and time"),
        (None, "history.created is missing"),
    ],
)
def test_what_is_not_a_time_is_refused_naming_the_field(value, message):
    with pytest.raises(PayloadError, match=message):
        parse_time(value, field_name="history.created")
