"""The weekly one-on-one report as data: what `weekly_report` gathers and both renderings (Markdown, HTML) show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.reports.alignment import Alignment, DeliveryFigure

PROMISES = ("responsiveness", "bug_fix")


@dataclass(frozen=True)
class Week:
    """One ISO week in a calendar's time zone, as the UTC moments it starts and ends (exclusive)."""

    name: str  # 2026-W47
    monday: date
    since: datetime
    until: datetime
    timezone: str

    @property
    def rated_since(self) -> datetime:
        """The start of the week's first day in UTC: ratings name whole UTC days (app.reports.feedback)."""
        return datetime.combine(self.monday, time(), UTC)

    @property
    def rated_until(self) -> datetime:
        return self.rated_since + timedelta(days=7)

    def names_rating(self, start: datetime, end: datetime) -> bool:
        """Tell whether a rating of [start, end) is one of this week's: its days lie within the week's."""
        return self.rated_since <= start and end <= self.rated_until


@dataclass(frozen=True)
class PromiseWeek:
    """One promise's figures this week and last week, as GroupFigures.as_dict() gives them."""

    promise: str  # responsiveness | bug_fix
    this: dict[str, Any]
    last: dict[str, Any]


@dataclass(frozen=True)
class LateClock:
    """A late answer or a breached production-bug fix of the week, with where to read about it."""

    kind: str  # response | bug_fix
    client: str
    item_key: str
    title: str
    item_url: str | None  # the work item in GitHub or Jira
    evidence_url: str  # the clock on the dashboard's evidence page
    developer: str  # the credited developer's name
    started_at: datetime
    started_local: str  # the start in the client's local time, in words
    elapsed_seconds: int
    target_seconds: int
    still_open: bool
    outside_working_hours: bool  # the client's message (or the bug) came outside the client's working hours


@dataclass(frozen=True)
class FlaggedTerm:
    term: str
    count: int
    suggestion: str | None


@dataclass(frozen=True)
class FlaggedMessage:
    """A developer message of the week that did not pass the plain-language check, with better words."""

    client: str
    developer: str
    at: datetime
    item_key: str
    title: str
    url: str | None
    terms: tuple[FlaggedTerm, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Rating:
    """One rating by the client whose period overlaps the week."""

    client: str
    period: str  # 2026-W47, 2026-11 or a range of days
    about: str  # "the whole team" or the developer's name
    responsiveness: int | None
    fix_speed: int | None
    clarity: int | None
    comment: str | None


@dataclass(frozen=True)
class TalkingPoint:
    """Something to raise in the one-on-one, in plain words; `rule` names the rule that found it."""

    rule: str
    text: str


@dataclass(frozen=True)
class WeeklyReport:
    """One client's or one developer's week, beside the week before."""

    title: str
    client: str | None
    developer: str | None
    name: str  # the client's name, or the developer's
    week: Week
    last_week: Week
    generated_at: datetime
    dashboard_url: str
    promises: tuple[PromiseWeek, ...]
    plain_this: DeliveryFigure
    plain_last: DeliveryFigure
    late: tuple[LateClock, ...]
    flagged: tuple[FlaggedMessage, ...]
    messages_scored: int
    ratings: tuple[Rating, ...]
    alignments: tuple[Alignment, ...]
    talking_points: tuple[TalkingPoint, ...] = ()

    def promise(self, name: str) -> PromiseWeek:
        return next(p for p in self.promises if p.promise == name)
