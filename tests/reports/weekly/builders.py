"""Weekly reports built by hand, for the pure rules: only what a test sets differs from a quiet week."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from app.reports.alignment import Alignment, DeliveryFigure, PromiseAlignment, Verdict
from app.reports.figures import NO_CLOCKS
from app.reports.weekly_model import LateClock, PromiseWeek, Rating, Week, WeeklyReport

WEEK = Week("2024-W10", date(2024, 3, 4), datetime(2024, 3, 3, 22, tzinfo=UTC), datetime(2024, 3, 10, 22, tzinfo=UTC),
            "Europe/Kyiv")
LAST = Week("2024-W09", date(2024, 2, 26), datetime(2024, 2, 25, 22, tzinfo=UTC), WEEK.since, "Europe/Kyiv")
NONE = DeliveryFigure("plain_pass_share", None, 0, "No messages scored.")


def figures(met: int = 0, breached: int = 0, running: int = 0) -> dict[str, Any]:
    decided = met + breached
    return {**NO_CLOCKS.as_dict(), "clocks": decided + running, "met": met, "breached": breached,
            "running": running, "attainment": met / decided if decided else None}


def rating(**fields: Any) -> Rating:
    base = {"client": "acme", "period": "2024-W10", "about": "the whole team", "responsiveness": None,
            "fix_speed": None, "clarity": None, "comment": None}
    return Rating(**(base | fields))


def late(kind: str = "response", *, still_open: bool = False, outside: bool = False, key: str = "acme/shop#1",
         elapsed: int = 2700, target: int = 1800) -> LateClock:
    return LateClock(kind, "acme", key, "Checkout is broken", f"https://github.com/{key.replace('#', '/issues/')}",
                     f"http://pulse.test/items/github/{key.replace('#', '/')}#clock-x", "Olena Koval",
                     WEEK.since, "Mon 4 Mar 10:00 Europe/Kyiv time", elapsed, target, still_open, outside)


def alignment(promise: str, verdict: Verdict, delivery: float | None, score: float | None, *,
              developer: str | None = None, name: str = "acme", ratings: int = 2) -> Alignment:
    measure = {"responsiveness": "response_attainment", "fix_speed": "bug_fix_attainment",
               "clarity": "plain_pass_share"}[promise]
    found = PromiseAlignment(promise, DeliveryFigure(measure, delivery, 20), score, ratings, verdict, "explained")
    return Alignment("acme", developer, name, (found,))


def week_report(**changes: Any) -> WeeklyReport:
    """A client's week with nothing to say but that it was rated and had no clocks."""
    base = WeeklyReport(
        title="Weekly one-on-one: acme, 2024-W10", client="acme", developer=None, name="acme", week=WEEK,
        last_week=LAST, generated_at=datetime(2024, 3, 12, tzinfo=UTC), dashboard_url="http://pulse.test",
        promises=(PromiseWeek("responsiveness", figures(), figures()), PromiseWeek("bug_fix", figures(), figures())),
        plain_this=NONE, plain_last=NONE, late=(), flagged=(), messages_scored=0,
        ratings=(rating(responsiveness=4),), alignments=(),
    )
    return replace(base, **changes)
