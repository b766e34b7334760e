"""Time in words for people: ISO week names and durations, each said the way one kind of answer says it.

Pure helpers beside the time math of ``metrics.calendar``, so that the contracts, the reports and the
alerts (all of which may import ``metrics``) share one wording instead of each writing its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def week_name(when: date | datetime) -> str:
    """Name the ISO week of a day, or of a moment in UTC, e.g. '2026-W07'."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError(f"{when.isoformat()} has no time zone; pass a timezone-aware datetime.")
        when = when.astimezone(UTC).date()
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def period_in_words(name: str) -> str:
    """Say a period named as the reports name it: '2026-W09' -> 'week 2026-W09', '2026-11' -> 'November 2026',
    '2026-02-01..2026-02-20' -> '1 February 2026 to 20 February 2026'. Any other text is returned as it is."""
    if "-W" in name:
        return f"week {name}"
    try:
        if ".." in name:
            first, last = (date.fromisoformat(part) for part in name.split(".."))
            return f"{_day(first)} to {_day(last)}"
        month = date.fromisoformat(f"{name}-01")
    except ValueError:
        return name
    return f"{MONTHS[month.month - 1]} {month.year}"


# In English whatever the machine's locale (strftime's %B follows it).
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def describe_duration(seconds: int) -> str:
    """Say a promised duration exactly, in its largest whole unit: 1800 -> '30 minutes', 5400 -> '90 minutes'."""
    if seconds % 86400 == 0:
        n, unit = seconds // 86400, "day"
    elif seconds % 3600 == 0:
        n, unit = seconds // 3600, "hour"
    elif seconds % 60 == 0:
        n, unit = seconds // 60, "minute"
    else:
        n, unit = seconds, "second"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def human_duration(seconds: float | None) -> str | None:
    """Say a measured duration briefly: 45 -> '45 s', 750 -> '13 min', 5400 -> '1 h 30 min', 97200 -> '1 d 3 h'."""
    if seconds is None:
        return None
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    if total < 600:
        minutes, rest = divmod(total, 60)
        return f"{minutes} min" if rest == 0 else f"{minutes} min {rest} s"
    minutes = (total + 30) // 60  # half a minute rounds up, never to an even number
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"
    days, hours = divmod((total + 1800) // 3600, 24)
    return f"{days} d" if hours == 0 else f"{days} d {hours} h"


def minutes_in_words(seconds: int) -> str:
    """Say a waiting time to the minute, as an alert does: 60 -> '1 minute', 5400 -> '1 h 30 min'."""
    minutes = max(round(seconds / 60), 0)
    if minutes < 90:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def wait_in_words(seconds: int) -> str:
    """Say how long someone must wait, rounded up to the minute: 61 -> '2 minutes', 60 -> '1 minute'."""
    return minutes_in_words(-(-max(seconds, 1) // 60) * 60)
