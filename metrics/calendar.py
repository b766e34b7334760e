"""Working time: the only place that knows time zones, working hours and public holidays.

A calendar says which local wall-clock spans of each weekday count as working time in one time zone,
minus public holidays (a country, through the ``holidays`` package) and extra days off. Every datetime
going in or out is timezone-aware UTC. Times are truncated to the whole second so that sums are exact:
``working_seconds_between(a, c) == working_seconds_between(a, b) + working_seconds_between(b, c)``.

Daylight-saving changes follow the wall clock: a span starts when the wall clock first shows its start
and ends when it last shows its end; a wall time skipped by a spring-forward change means the moment of
the change. So "09:00-18:00" is nine real hours unless a change falls inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = [
    "Calendar",
    "DAY_NAMES",
    "deadline",
    "is_working_moment",
    "local_date",
    "local_day_start",
    "local_week_monday",
    "local_time_text",
    "next_working_moment",
    "working_seconds_between",
]

Span = tuple[int, int]  # minutes after local midnight, end exclusive: 0 <= start < end <= 1440

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY: tuple[Span, ...] = ((0, 1440),)
_FULL_WEEK: tuple[tuple[Span, ...], ...] = (_FULL_DAY,) * 7
_DAY_LOOKUP = {
    **{name.lower(): i for i, name in enumerate(DAY_NAMES)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_DASH = "-\u2013\u2014"
_RANGE_RE = re.compile(rf"\s*(\d{{1,2}}):(\d{{2}})\s*[{_DASH}]\s*(\d{{1,2}}):(\d{{2}})\s*")
_EXAMPLE = "write them like 'Mon-Fri 09:00-18:00' or '24/7'"
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Working hours per weekday in one time zone, minus public holidays and extra days off."""

    timezone: str = "UTC"
    week: tuple[tuple[Span, ...], ...] = _FULL_WEEK  # Monday first, spans sorted and disjoint
    country: str | None = None  # ISO 3166 code for the ``holidays`` package
    subdivision: str | None = None
    holiday_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.week) != 7 or not any(self.week):
            raise ValueError("a calendar needs working hours on at least one weekday.")

    @classmethod
    def parse(
        cls,
        *,
        timezone: str,
        working_hours: str,
        holidays: str | None = None,
        holiday_dates: Iterable[date] = (),
    ) -> Calendar:
        """Build a calendar from contract text, raising ValueError that says what is wrong."""
        _zone(timezone)
        country, subdivision = _parse_holidays(holidays)
        return cls(
            timezone=timezone,
            week=_parse_week(working_hours),
            country=country,
            subdivision=subdivision,
            holiday_dates=frozenset(holiday_dates),
        )

    @classmethod
    def always_on(cls) -> Calendar:
        """Return the 24/7 calendar: every second counts."""
        return cls()

    @property
    def is_always_on(self) -> bool:
        return self.week == _FULL_WEEK and self.country is None and not self.holiday_dates

    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def is_day_off(self, day: date) -> bool:
        """Tell whether a local date is a public holiday or an extra day off."""
        if day in self.holiday_dates:
            return True
        return self.country is not None and day in _public_holidays(self.country, self.subdivision, day.year)

    def describe(self) -> str:
        """Say in plain words which time counts, e.g. 'Mon–Fri 09:00–18:00 Europe/Kyiv time'."""
        if self.is_always_on:
            return "24/7"
        text = f"{_describe_week(self.week)} {self.timezone} time"
        if self.country is not None:
            where = self.country if self.subdivision is None else f"{self.country}-{self.subdivision}"
            text += f", public holidays of {where}"
        if self.holiday_dates:
            count = len(self.holiday_dates)
            text += f", {count} extra day{'s' if count != 1 else ''} off"
        return text


def working_seconds_between(start: datetime, end: datetime, calendar: Calendar) -> int:
    """Count the whole seconds of working time from start to end (0 when end <= start)."""
    start, end = _whole_second(start), _whole_second(end)
    if end <= start:
        return 0
    if calendar.is_always_on:
        return int((end - start).total_seconds())
    total = timedelta()
    for span_start, span_end in _working_spans(start, calendar):
        if span_start >= end:
            break
        total += max(timedelta(), min(span_end, end) - max(span_start, start))
    return int(total.total_seconds())


def deadline(start: datetime, seconds: int, calendar: Calendar) -> datetime:
    """Return the earliest UTC moment by which `seconds` of working time have passed since start.

    ``seconds=0`` returns start itself (truncated to the second), even outside working hours: nothing
    has to pass. Use ``next_working_moment`` for the first moment that counts.
    """
    if seconds < 0:
        raise ValueError(f"a deadline needs a non-negative number of seconds, not {seconds}.")
    start = _whole_second(start)
    if seconds == 0:
        return start
    remaining = timedelta(seconds=seconds)
    if calendar.is_always_on:
        return start + remaining
    for span_start, span_end in _working_spans(start, calendar):
        lo = max(span_start, start)
        if span_end <= lo:
            continue
        if span_end - lo >= remaining:
            return lo + remaining
        remaining -= span_end - lo
    raise AssertionError("unreachable: working spans never run out")  # pragma: no cover


def next_working_moment(at: datetime, calendar: Calendar) -> datetime:
    """Return the first moment at or after `at` that counts as working time."""
    at = _whole_second(at)
    if calendar.is_always_on:
        return at
    for span_start, span_end in _working_spans(at, calendar):
        if span_end > at:
            return max(span_start, at)
    raise AssertionError("unreachable: working spans never run out")  # pragma: no cover


def is_working_moment(at: datetime, calendar: Calendar) -> bool:
    """Return whether ``at`` falls inside the calendar's working time."""
    return next_working_moment(at, calendar) <= _whole_second(at)


def local_date(at: datetime, calendar: Calendar) -> date:
    """Return the calendar's local date at the UTC moment ``at``."""
    return at.astimezone(calendar.zone()).date()


def local_day_start(day: date, calendar: Calendar) -> datetime:
    """Return the UTC moment the calendar's local day ``day`` begins (its first wall-clock moment)."""
    return _local_to_utc(day, 0, calendar.zone(), first=True)


def local_week_monday(at: datetime, calendar: Calendar) -> date:
    """Return the local Monday of the ISO week the UTC moment ``at`` falls in, in the calendar's time zone."""
    day = local_date(at, calendar)
    return day - timedelta(days=day.weekday())


def local_week_starts(since: datetime, until: datetime, calendar: Calendar) -> list[tuple[date, datetime]]:
    """Return each local week that meets [since, until): its Monday and the UTC moment that Monday begins.

    The first week may begin before ``since``; each week ends where the next begins (a week that holds a
    daylight-saving change is an hour shorter or longer in UTC).
    """
    weeks: list[tuple[date, datetime]] = []
    if until <= since:
        return weeks
    monday = local_week_monday(since, calendar)
    while (start := local_day_start(monday, calendar)) < until:
        weeks.append((monday, start))
        monday += timedelta(days=7)
    return weeks


def local_time_text(at: datetime, calendar: Calendar) -> str:
    """Say a UTC moment in the calendar's local time, e.g. 'Mon 2 Mar 10:05 Europe/Kyiv time'."""
    local = at.astimezone(calendar.zone())
    return f"{local:%a} {local.day} {local:%b %H:%M} {calendar.timezone} time"


def _whole_second(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; pass timezone-aware UTC datetimes.")
    return moment.astimezone(UTC).replace(microsecond=0)


def _working_spans(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    """Yield disjoint UTC working spans in time order, from the local day before start's, forever."""
    zone = calendar.zone()
    # Start a day early: a wall time repeated at a fall-back change can stretch a span past midnight.
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_end: datetime | None = None
    while True:
        if not calendar.is_day_off(day):
            for minute_start, minute_end in calendar.week[day.weekday()]:
                span_start = _local_to_utc(day, minute_start, zone, first=True)
                span_end = _local_to_utc(day, minute_end, zone, first=False)
                if last_end is not None:
                    span_start = max(span_start, last_end)  # never count a repeated hour twice
                if span_end > span_start:
                    yield span_start, span_end
                    last_end = span_end
        day += timedelta(days=1)


def _local_to_utc(day: date, minute: int, zone: ZoneInfo, *, first: bool) -> datetime:
    """Turn a local wall time into UTC: first or last occurrence if repeated, the change if skipped."""
    if minute == 1440:
        day, minute = day + timedelta(days=1), 0
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    earlier = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if earlier <= later:
        return earlier if first else later
    # Skipped by a spring-forward change: fold=1 lands before the change and fold=0 after it.
    return _transition(later, earlier, zone)


def _transition(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """Find the first second with the UTC offset in force at `after` (binary search, whole seconds)."""
    offset_after = after.astimezone(zone).utcoffset()
    while after - before > _SECOND:
        middle = before + timedelta(seconds=(after - before).total_seconds() // 2)
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision, years=year).keys())


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"{name!r} is not a known time zone; use an IANA name such as 'Europe/Kyiv'."
        ) from None


def _parse_holidays(text: str | None) -> tuple[str | None, str | None]:
    if text is None or not text.strip():
        return None, None
    country, _, subdivision = text.strip().partition("-")
    country, subdivision = country.upper(), subdivision.upper() or None
    try:
        holidays_lib.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise ValueError(
            f"{text!r} is not a known country for public holidays; use an ISO code such as 'UA' or 'US-CA'."
        ) from None
    return country, subdivision


def _parse_week(text: str) -> tuple[tuple[Span, ...], ...]:
    cleaned = text.strip()
    if cleaned.lower() in {"24/7", "24x7"}:
        return _FULL_WEEK
    if not cleaned:
        raise ValueError(f"working hours are empty; {_EXAMPLE}.")
    week: list[tuple[Span, ...] | None] = [None] * 7
    for group in filter(None, (g.strip() for g in cleaned.split(";"))):
        digit = re.search(r"\d", group)
        if digit is None or digit.start() == 0:
            raise ValueError(f"working hours {group!r} need days and hours; {_EXAMPLE}.")
        spans = _parse_spans(group[digit.start() :])
        for day in _parse_days(group[: digit.start()]):
            if week[day] is not None:
                raise ValueError(f"{DAY_NAMES[day]} is listed twice in working hours {text!r}.")
            week[day] = spans
    return tuple(spans or () for spans in week)


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        ends = [_day(name.strip()) for name in re.split(f"[{_DASH}]", part)]
        if len(ends) == 1:
            days.append(ends[0])
        elif len(ends) == 2:
            # Ranges may wrap round the week ("Sun-Thu").
            days.extend((ends[0] + i) % 7 for i in range((ends[1] - ends[0]) % 7 + 1))
        else:
            raise ValueError(f"{part!r} is not a day or a range of days such as 'Mon-Fri'.")
    if not days:
        raise ValueError(f"working hours {text!r} name no days; {_EXAMPLE}.")
    return days


def _day(name: str) -> int:
    try:
        return _DAY_LOOKUP[name.lower()]
    except KeyError:
        raise ValueError(
            f"{name!r} is not a day of the week; use Mon, Tue, Wed, Thu, Fri, Sat or Sun."
        ) from None


def _parse_spans(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    for part in text.split(","):
        match = _RANGE_RE.fullmatch(part)
        if match is None:
            raise ValueError(f"{part.strip()!r} is not a time range such as '09:00-18:00'.")
        hour1, min1, hour2, min2 = (int(g) for g in match.groups())
        if hour1 > 23 or hour2 > 24 or min1 > 59 or min2 > 59 or (hour2 == 24 and min2):
            raise ValueError(f"{part.strip()!r} has a time that does not exist on a 24-hour clock.")
        start, end = hour1 * 60 + min1, hour2 * 60 + min2
        if end <= start:
            raise ValueError(
                f"in {part.strip()!r} the end must come after the start; split a shift past midnight in two."
            )
        spans.append((start, end))
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _describe_week(week: tuple[tuple[Span, ...], ...]) -> str:
    groups: list[tuple[int, int, tuple[Span, ...]]] = []
    for day, spans in enumerate(week):
        if groups and groups[-1][2] == spans and groups[-1][1] == day - 1:
            groups[-1] = (groups[-1][0], day, spans)
        elif spans:
            groups.append((day, day, spans))
    parts = []
    for first, last, spans in groups:
        days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}\u2013{DAY_NAMES[last]}"
        hours = (
            "all day" if spans == _FULL_DAY else ", ".join(f"{_hhmm(s)}\u2013{_hhmm(e)}" for s, e in spans)
        )
        parts.append(f"{days} {hours}")
    return "; ".join(parts)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
