"""Gather the weekly one-on-one report of a client or a developer from the stored figures, scores and ratings.

Every figure comes from the readers the API and the pages use (figures_by_groupings, alignment_report,
summaries, listed_messages, list_feedback); this module only picks the week and lays them side by side.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.reports.alignment import MIN_WORDS, NO_MESSAGES, Alignment, alignment_report, plain_figure
from app.reports.clocks import ClockFilter, ClockView, clock_page, person_name, week_calendar
from app.reports.feedback import FeedbackFilter, describe_period, list_feedback, parse_period
from app.reports.figures import NO_CLOCKS, figures_by_groupings
from app.reports.language_figures import ListedMessage, ScoreFilter, Shown, listed_messages, summaries
from app.reports.links import clock_href
from app.reports.talking_points import talking_points
from app.reports.weekly_model import (
    FlaggedMessage,
    FlaggedTerm,
    LateClock,
    PromiseWeek,
    Rating,
    Week,
    WeeklyReport,
)
from metrics.calendar import Calendar, is_working_moment, local_day_start, local_time_text, local_week_monday
from metrics.model import ClockKind, ClockState
from metrics.wording import week_name

_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_PAGE = 200
_FLAGGED = 500  # failing messages listed in one week's report at most


class WeeklyReportError(ValueError):
    """The report cannot be made as asked (unknown client or developer, a week that is no week)."""


def week_of(monday: date, calendar: Calendar) -> Week:
    """Return the ISO week starting on a local Monday, bounded in UTC."""
    return Week(week_name(monday), monday, local_day_start(monday, calendar),
                local_day_start(monday + timedelta(days=7), calendar), calendar.timezone)


def resolve_week(text: str | None, calendar: Calendar, now: datetime) -> Week:
    """Return the week asked for (2026-W47), or by default the last full week in the calendar's time zone."""
    if text is None:
        return week_of(local_week_monday(now, calendar) - timedelta(days=7), calendar)
    days = parse_period(text) if _WEEK.match(text.strip().upper()) else None
    if days is None:
        raise WeeklyReportError(f"{text!r} is not a week; write an ISO week like 2026-W47.")
    week = week_of(days[0], calendar)
    if week.since > now:
        raise WeeklyReportError(f"The week {week.name} has not begun yet; choose a week that has, or leave --week "
                                "out for the last full week.")
    return week


def weekly_report(session: Session, contracts: Contracts, *, now: datetime, public_url: str,
                  client: str | None = None, developer: str | None = None, week: str | None = None) -> WeeklyReport:
    """Gather one client's or one developer's week (both: the developer's work for that client) beside the last."""
    if client is None and developer is None:
        raise WeeklyReportError("Say whose week to report: --client NAME or --developer ID.")
    if client is not None and client not in contracts.clients:
        raise WeeklyReportError(f"No client named {client!r}; the contracts list "
                                f"{', '.join(sorted(contracts.clients)) or 'none'}.")
    if developer is not None and developer not in contracts.people:
        raise WeeklyReportError(f"No person with id {developer!r} in the contracts file; 'pulse report' lists the "
                                "developers.")
    calendar = week_calendar(contracts, client)
    this = resolve_week(week, calendar, now)
    last = week_of(this.monday - timedelta(days=7), calendar)
    base = public_url.rstrip("/")
    name = person_name(developer, contracts) if developer is not None else str(client)
    title = f"Weekly one-on-one: {name}" + (f" at {client}" if client and developer else "") + f", {this.name}"
    flt = ClockFilter(client=client, developer=developer)
    weeks = {w.name: ScoreFilter(client=client, developer=developer, since=w.since, until=w.until)
             for w in (this, last)}
    plain = {name: summaries(session, scored, min_words=MIN_WORDS).get((), NO_MESSAGES)
             for name, scored in weeks.items()}
    failing = listed_messages(session, weeks[this.name], (), show=Shown.FAILING, limit=_FLAGGED).get((), [])
    report = WeeklyReport(
        title=title, client=client, developer=developer, name=name, week=this, last_week=last,
        generated_at=now, dashboard_url=base,
        promises=_promises(session, flt, this, last, now),
        plain_this=plain_figure(plain[this.name]), plain_last=plain_figure(plain[last.name]),
        late=tuple(late_clocks(session, contracts, flt, this.since, this.until, now, base)),
        flagged=tuple(_flagged(failing[::-1], contracts)),
        messages_scored=plain[this.name].scored_messages,
        ratings=tuple(_ratings(session, contracts, client, developer, this)),
        alignments=tuple(_alignments(session, contracts, client, developer, this, now)),
    )
    return replace(report, talking_points=tuple(talking_points(report, contracts)))


def _promises(session: Session, flt: ClockFilter, this: Week, last: Week, now: datetime) -> list[PromiseWeek]:
    found = [figures_by_groupings(session, replace(flt, since=w.since, until=w.until), [["kind"]], now)[0]
             for w in (this, last)]
    return [PromiseWeek(promise, *(f.get((kind.value,), NO_CLOCKS).as_dict() for f in found))
            for promise, kind in (("responsiveness", ClockKind.RESPONSE), ("bug_fix", ClockKind.BUG_FIX))]


def _breached(session: Session, contracts: Contracts, flt: ClockFilter, now: datetime) -> list[ClockView]:
    out: list[ClockView] = []
    cursor = None
    while True:
        page, cursor = clock_page(session, replace(flt, state=ClockState.BREACHED), contracts, now, limit=_PAGE,
                                  cursor=cursor)
        out += page
        if cursor is None:
            return sorted(out, key=lambda v: (v.clock.started_at, v.clock.clock_id))


def late_clocks(session: Session, contracts: Contracts, flt: ClockFilter, since: datetime, until: datetime,
                now: datetime, base: str) -> list[LateClock]:
    """Each answer and production-bug fix started in [since, until) that missed its target, oldest first."""
    out = []
    for view in _breached(session, contracts, replace(flt, since=since, until=until), now):
        clock = view.clock
        known = contracts.clients.get(clock.client)
        calendar = known.calendar if known is not None else Calendar.always_on()
        out.append(LateClock(
            kind=clock.kind.value, client=clock.client, item_key=clock.item_key, title=view.title or clock.item_key,
            item_url=view.url, evidence_url=base + clock_href(clock.source, clock.item_key, clock.clock_id),
            developer=person_name(clock.developer, contracts), started_at=clock.started_at,
            started_local=local_time_text(clock.started_at, calendar), elapsed_seconds=view.elapsed_seconds,
            target_seconds=clock.target_seconds, still_open=not clock.stopped,
            outside_working_hours=not is_working_moment(clock.started_at, calendar),
        ))
    return out


def _flagged(scores: list[ListedMessage], contracts: Contracts) -> list[FlaggedMessage]:
    """The week's developer messages that did not pass the plain-language check, oldest first, with the plainer
    words."""
    return [
        FlaggedMessage(
            client=s.row.client, developer=person_name(s.row.developer, contracts), at=s.row.at,
            item_key=s.row.item_key, title=s.title or s.row.item_key, url=s.url,
            terms=tuple(FlaggedTerm(f["term"], int(f["count"]), f.get("suggestion")) for f in s.row.flagged or ()),
            reasons=tuple(s.row.reasons or ()),
        )
        for s in scores if s.row.supported and s.row.passes is False
    ]


def _ratings(session: Session, contracts: Contracts, client: str | None, developer: str | None,
             week: Week) -> list[Rating]:
    """The ratings a week's report lists, each in one week's report only.

    A rating of the week (or of days within it, such as a fixed bug's) is the week's. A rating of a longer
    period (a month) is listed once, in the report of the week its period ends in, and marked with its period;
    it never sways the week's verdicts, which judge the week's own ratings as the week's disagreement warning
    does (the month has its own warning).
    """
    rows = [r for r in list_feedback(session, FeedbackFilter(client=client, developer=developer,
                                                             since=week.rated_since, until=week.rated_until))
            if week.names_rating(r.period_start, r.period_end) or week.rated_since < r.period_end <= week.rated_until]
    return [Rating(r.client, describe_period(r.period_start, r.period_end),
                   person_name(r.developer, contracts) if r.developer else "the whole team",
                   r.responsiveness, r.fix_speed, r.clarity, r.comment) for r in rows]


def _alignments(session: Session, contracts: Contracts, client: str | None, developer: str | None, week: Week,
                now: datetime) -> list[Alignment]:
    """The client's verdicts for the week: the team's and each developer's, or the one developer's."""
    found = alignment_report(session, contracts, since=week.since, until=week.until, now=now, client=client,
                             rated=(week.rated_since, week.rated_until),
                             choose=lambda r: week.names_rating(r.period_start, r.period_end))
    if developer is None:
        return [a for c in found for a in (c.team, *c.developers)]
    return [a for c in found for a in c.developers if a.developer == developer]
