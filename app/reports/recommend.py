"""How likely each client is to recommend us (0-10, from surveys): the latest score and its quarter's trend."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.tables import Feedback
from app.reports.feedback import describe_period

QUARTER = timedelta(days=91)


@dataclass(frozen=True)
class Recommendation:
    """A client's 0-10 scores: the newest, and the average of the last 91 days beside the 91 days before."""

    latest: int | None
    latest_period: str | None
    last_quarter: float | None
    quarter_before: float | None
    answers: int  # ratings with a score in the last 91 days

    @property
    def trend(self) -> str:
        """Say whether the last quarter's average rose or fell: up, down, same, or '' when either is missing."""
        if self.last_quarter is None or self.quarter_before is None:
            return ""
        if abs(self.last_quarter - self.quarter_before) < 0.05:
            return "same"
        return "up" if self.last_quarter > self.quarter_before else "down"


NONE = Recommendation(None, None, None, None, 0)


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def recommendations(session: Session, clients: Iterable[str], now: datetime) -> dict[str, Recommendation]:
    """Return each client's recommendation scores at ``now`` (NONE for a client never asked)."""
    names = list(clients)
    rows = session.execute(select(Feedback.client, Feedback.recommend, Feedback.period_start, Feedback.period_end)
                           .where(Feedback.client.in_(names), Feedback.recommend.is_not(None),
                                  Feedback.period_start < now)
                           .order_by(Feedback.period_end, Feedback.updated_at, Feedback.id)).all()
    out = dict.fromkeys(names, NONE)
    for name in names:
        mine = [r for r in rows if r.client == name]
        if not mine:
            continue
        newest = mine[-1]
        recent = [r.recommend for r in mine if r.period_end > now - QUARTER]
        before = [r.recommend for r in mine if now - 2 * QUARTER < r.period_end <= now - QUARTER]
        out[name] = Recommendation(newest.recommend, describe_period(newest.period_start, newest.period_end),
                                   _mean(recent), _mean(before), len(recent))
    return out
