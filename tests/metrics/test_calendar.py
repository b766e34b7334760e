from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from metrics.calendar import Calendar, deadline, next_working_moment, working_seconds_between
from tests.metrics.builders import kyiv, nyc

H = 3600
KYIV_OFFICE = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA")
NYC_OFFICE = Calendar.parse(timezone="America/New_York", working_hours="Mon-Fri 09:00-17:00", holidays="US")
SPLIT_DAY = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-13:00,14:00-18:00")
SHORT_FRIDAY = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Thu 09:00-18:00; Fri 09:00-16:00")
# Every hour counts, but in a time zone and with a day off: exercises local days rather than plain UTC.
KYIV_ALL_DAY = Calendar.parse(
    timezone="Europe/Kyiv", working_hours="Mon-Sun 00:00-24:00", holiday_dates=[date(2026, 1, 1)]
)
NYC_ALL_DAY = Calendar.parse(
    timezone="America/New_York", working_hours="Mon-Sun 00:00-24:00", holiday_dates=[date(2026, 1, 1)]
)
KYIV_SUNDAY_NIGHT = Calendar.parse(timezone="Europe/Kyiv", working_hours="Sun 02:00-05:00")
KYIV_SUNDAY_ODD = Calendar.parse(timezone="Europe/Kyiv", working_hours="Sun 03:30-05:00")
UA_2021 = Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="ua")


@pytest.mark.parametrize(
    ("case", "calendar", "start", "end", "expected"),
    [
        ("within one working day", KYIV_OFFICE, kyiv(2026, 2, 9, 10), kyiv(2026, 2, 9, 11, 30), 90 * 60),
        (
            "Friday evening to Monday morning",
            KYIV_OFFICE,
            kyiv(2026, 2, 13, 17, 50),
            kyiv(2026, 2, 16, 9, 15),
            25 * 60,
        ),
        ("weekend only", KYIV_OFFICE, kyiv(2026, 2, 14, 10), kyiv(2026, 2, 15, 20), 0),
        ("over midnight", KYIV_OFFICE, kyiv(2026, 2, 10, 17), kyiv(2026, 2, 11, 10), 2 * H),
        ("before hours to after hours", KYIV_OFFICE, kyiv(2026, 2, 9, 6), kyiv(2026, 2, 9, 23), 9 * H),
        ("a whole week", KYIV_OFFICE, kyiv(2026, 2, 9), kyiv(2026, 2, 16), 45 * H),
        ("a whole month, 20 weekdays", KYIV_OFFICE, kyiv(2026, 2, 1), kyiv(2026, 3, 1), 20 * 9 * H),
        ("month span over spring DST", KYIV_OFFICE, kyiv(2026, 3, 16), kyiv(2026, 4, 13), 20 * 9 * H),
        ("lunch break skipped", SPLIT_DAY, kyiv(2026, 2, 9, 12, 30), kyiv(2026, 2, 9, 14, 30), H),
        ("short Friday", SHORT_FRIDAY, kyiv(2026, 2, 13, 15), kyiv(2026, 2, 16, 10), 2 * H),
        ("Kyiv spring-forward day is 23 h", KYIV_ALL_DAY, kyiv(2026, 3, 29), kyiv(2026, 3, 30), 23 * H),
        ("Kyiv fall-back day is 25 h", KYIV_ALL_DAY, kyiv(2026, 10, 25), kyiv(2026, 10, 26), 25 * H),
        ("New York spring-forward day is 23 h", NYC_ALL_DAY, nyc(2026, 3, 8), nyc(2026, 3, 9), 23 * H),
        ("New York fall-back day is 25 h", NYC_ALL_DAY, nyc(2026, 11, 1), nyc(2026, 11, 2), 25 * H),
        ("02:00-05:00 over spring-forward", KYIV_SUNDAY_NIGHT, kyiv(2026, 3, 29), kyiv(2026, 3, 30), 2 * H),
        ("02:00-05:00 over fall-back", KYIV_SUNDAY_NIGHT, kyiv(2026, 10, 25), kyiv(2026, 10, 26), 4 * H),
        ("start skipped by spring-forward", KYIV_SUNDAY_ODD, kyiv(2026, 3, 29), kyiv(2026, 3, 30), H),
        ("start repeated by fall-back", KYIV_SUNDAY_ODD, kyiv(2026, 10, 25), kyiv(2026, 10, 26), 150 * 60),
        ("weekend DST change, New York", NYC_OFFICE, nyc(2026, 3, 6, 16), nyc(2026, 3, 9, 10), 2 * H),
        ("US Independence Day observed Fri", NYC_OFFICE, nyc(2026, 7, 2, 16), nyc(2026, 7, 6, 10), 2 * H),
        ("UA New Year and Christmas 2021", UA_2021, kyiv(2020, 12, 31, 17), kyiv(2021, 1, 11, 10), 29 * H),
        ("extra day off", KYIV_ALL_DAY, kyiv(2025, 12, 31, 12), kyiv(2026, 1, 2, 12), 24 * H),
        ("24/7 over a month", Calendar.always_on(), kyiv(2026, 2, 1), kyiv(2026, 3, 1), 28 * 24 * H),
        ("end before start", KYIV_OFFICE, kyiv(2026, 2, 9, 11), kyiv(2026, 2, 9, 10), 0),
        ("empty span", KYIV_OFFICE, kyiv(2026, 2, 9, 11), kyiv(2026, 2, 9, 11), 0),
    ],
)
def test_working_seconds_between(case, calendar, start, end, expected):
    assert working_seconds_between(start, end, calendar) == expected, case


def test_martial_law_years_have_no_ukrainian_public_holidays():
    # Ukraine suspended public holidays under martial law (2022-); the holidays package follows the law.
    assert working_seconds_between(kyiv(2026, 1, 1), kyiv(2026, 1, 2), KYIV_OFFICE) == 9 * H


def test_microseconds_are_truncated():
    start = kyiv(2026, 2, 9, 10) + timedelta(microseconds=999_999)
    end = kyiv(2026, 2, 9, 10, 1) + timedelta(microseconds=1)
    assert working_seconds_between(start, end, KYIV_OFFICE) == 60


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        working_seconds_between(datetime(2026, 2, 9, 10), datetime(2026, 2, 9, 11), KYIV_OFFICE)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("case", "calendar", "start", "seconds", "expected"),
    [
        ("within the day", KYIV_OFFICE, kyiv(2026, 2, 9, 10), H, kyiv(2026, 2, 9, 11)),
        ("Friday evening to Monday", KYIV_OFFICE, kyiv(2026, 2, 13, 17, 50), 1800, kyiv(2026, 2, 16, 9, 20)),
        ("from Saturday", KYIV_OFFICE, kyiv(2026, 2, 14, 12), 60, kyiv(2026, 2, 16, 9, 1)),
        ("ends exactly at closing", KYIV_OFFICE, kyiv(2026, 2, 9, 17), H, kyiv(2026, 2, 9, 18)),
        ("zero seconds is start itself", KYIV_OFFICE, kyiv(2026, 2, 14, 12), 0, kyiv(2026, 2, 14, 12)),
        ("over the lunch break", SPLIT_DAY, kyiv(2026, 2, 9, 12, 30), H, kyiv(2026, 2, 9, 14, 30)),
        ("over a holiday", NYC_OFFICE, nyc(2026, 7, 2, 16, 30), H, nyc(2026, 7, 6, 9, 30)),
        ("over a DST weekend", NYC_OFFICE, nyc(2026, 3, 6, 16, 30), H, nyc(2026, 3, 9, 9, 30)),
        ("over the spring-forward hour", KYIV_ALL_DAY, kyiv(2026, 3, 29, 2, 30), H, kyiv(2026, 3, 29, 4, 30)),
        (
            "into the repeated hour",
            KYIV_ALL_DAY,
            kyiv(2026, 10, 25, 3, 30),
            H,
            kyiv(2026, 10, 25, 3, 30, fold=1),
        ),
        ("24/7", Calendar.always_on(), kyiv(2026, 2, 13, 23), 2 * H, kyiv(2026, 2, 14, 1)),
        ("several weeks", KYIV_OFFICE, kyiv(2026, 2, 2, 9), 20 * 9 * H, kyiv(2026, 2, 27, 18)),
    ],
)
def test_deadline(case, calendar, start, seconds, expected):
    assert deadline(start, seconds, calendar) == expected, case
    assert working_seconds_between(start, expected, calendar) == seconds, case


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        (KYIV_OFFICE, kyiv(2026, 2, 9, 18), kyiv(2026, 2, 10, 9)),
        (KYIV_OFFICE, kyiv(2026, 2, 13, 20), kyiv(2026, 2, 16, 9)),
        (KYIV_OFFICE, kyiv(2026, 2, 9, 10), kyiv(2026, 2, 9, 10)),
        (SPLIT_DAY, kyiv(2026, 2, 9, 13, 30), kyiv(2026, 2, 9, 14)),
        (Calendar.always_on(), kyiv(2026, 2, 14, 3), kyiv(2026, 2, 14, 3)),
    ],
)
def test_next_working_moment(calendar, at, expected):
    assert next_working_moment(at, calendar) == expected


def test_negative_deadline_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        deadline(kyiv(2026, 2, 9), -1, KYIV_OFFICE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 09:00-18:00", [((9 * 60, 18 * 60),)] * 5 + [(), ()]),
        ("mon–fri 9:00–18:00", [((9 * 60, 18 * 60),)] * 5 + [(), ()]),
        ("Mon-Fri 09:00-13:00, 14:00-18:00", [((540, 780), (840, 1080))] * 5 + [(), ()]),
        ("Mon-Fri 09:00-13:00,13:00-18:00", [((540, 1080),)] * 5 + [(), ()]),
        ("Mon-Thu 09:00-18:00; Fri 09:00-16:00", [((540, 1080),)] * 4 + [((540, 960),), (), ()]),
        ("Sun-Thu 08:00-17:00", [((480, 1020),)] * 4 + [(), (), ((480, 1020),)]),
        ("Mon,Wed,Friday 10:00-12:00", [((600, 720),), (), ((600, 720),), (), ((600, 720),), (), ()]),
        ("Sat 00:00-24:00", [(), (), (), (), (), ((0, 1440),), ()]),
        (" 24/7 ", [((0, 1440),)] * 7),
    ],
)
def test_parse_working_hours(text, expected):
    assert list(Calendar.parse(timezone="UTC", working_hours=text).week) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "'Mars/Olympus_Mons' is not a known time zone"),
        ({"timezone": ""}, "is not a known time zone"),
        ({"working_hours": ""}, "working hours are empty"),
        ({"working_hours": "Mon-Fri"}, "need days and hours"),
        ({"working_hours": "09:00-18:00"}, "need days and hours"),
        ({"working_hours": "Funday 09:00-18:00"}, "'Funday' is not a day of the week"),
        ({"working_hours": "Mon-Fri 9-18"}, "'9-18' is not a time range"),
        ({"working_hours": "Mon-Fri 18:00-09:00"}, "the end must come after the start"),
        ({"working_hours": "Mon-Fri 09:00-25:00"}, "does not exist on a 24-hour clock"),
        ({"working_hours": "Mon-Fri 09:00-18:00; Fri 09:00-16:00"}, "Fri is listed twice"),
        ({"holidays": "XX"}, "'XX' is not a known country"),
        ({"holidays": "US-ZZ"}, "'US-ZZ' is not a known country"),
    ],
)
def test_parse_errors_say_what_is_wrong(kwargs, message):
    args = {"timezone": "Europe/Kyiv", "working_hours": "Mon-Fri 09:00-18:00", **kwargs}
    with pytest.raises(ValueError, match=message):
        Calendar.parse(**args)


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        (KYIV_OFFICE, "Mon–Fri 09:00–18:00 Europe/Kyiv time, public holidays of UA"),
        (SPLIT_DAY, "Mon–Fri 09:00–13:00, 14:00–18:00 Europe/Kyiv time"),
        (SHORT_FRIDAY, "Mon–Thu 09:00–18:00; Fri 09:00–16:00 Europe/Kyiv time"),
        (KYIV_ALL_DAY, "Mon–Sun all day Europe/Kyiv time, 1 extra day off"),
        (
            Calendar.parse(
                timezone="America/Los_Angeles", working_hours="Mon-Fri 09:00-17:00", holidays="US-CA"
            ),
            "Mon–Fri 09:00–17:00 America/Los_Angeles time, public holidays of US-CA",
        ),
        (Calendar.parse(timezone="Europe/Kyiv", working_hours="24/7"), "24/7"),
        (Calendar.always_on(), "24/7"),
    ],
)
def test_describe(calendar, expected):
    assert calendar.describe() == expected


def test_describe_round_trips_through_parse():
    text = SHORT_FRIDAY.describe().removesuffix(" Europe/Kyiv time")
    assert Calendar.parse(timezone="Europe/Kyiv", working_hours=text) == SHORT_FRIDAY


def test_calendar_is_frozen_and_hashable():
    assert hash(KYIV_OFFICE) == hash(
        Calendar.parse(timezone="Europe/Kyiv", working_hours="Mon-Fri 09:00-18:00", holidays="UA")
    )
    with pytest.raises(AttributeError):
        KYIV_OFFICE.timezone = "UTC"  # type: ignore[misc]


def test_a_long_span_walks_days_not_minutes():
    # Ten years of working days: a per-minute walk would take minutes; a per-day walk is immediate.
    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    assert working_seconds_between(start, end, KYIV_OFFICE) > 0
    assert deadline(start, working_seconds_between(start, end, KYIV_OFFICE), KYIV_OFFICE) <= end
