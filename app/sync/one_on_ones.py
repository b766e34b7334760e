"""Worker jobs for the one-on-ones: each client's weekly report on its contract's day, queued once per (client, week,
recipient), and a warning when the client's ratings and the delivery figures disagree, queued once per (client,
period, recipient) for each week and each month the client rated.

Both only queue messages in the notification outbox (app.notify.enqueue), whose unique key makes a second
queueing of the same message do nothing, whichever worker runs the job and however often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts
from app.contracts.schema import WEEKDAYS, is_email
from app.core.tables import Notification
from app.notify import enqueue
from app.reports.disagreements import warning_message
from app.reports.rated_periods import Month, last_full_month, period_disagreements
from app.reports.weekly import resolve_week, weekly_report
from app.reports.weekly_model import Week
from app.reports.weekly_render import html, markdown, slack_text
from metrics.calendar import local_date, local_day_start, next_working_moment


@dataclass(frozen=True)
class Recipient:
    """Where one copy goes: an e-mail address, or the client's Slack webhook; `label` names it in the key."""

    channel: str  # email | slack (the outbox's channels)
    destination: str
    label: str


def recipients(client: Client, contracts: Contracts) -> list[Recipient]:
    """Return where the client's report goes: each `to:` by e-mail (a person's first e-mail), and/or Slack."""
    spec = client.spec.report
    out = []
    if "email" in spec.channel:
        for entry in spec.to:
            person = contracts.people.get(entry)
            address = entry if is_email(entry) else (person.emails[0] if person and person.emails else None)
            if address:
                out.append(Recipient("email", address, address.lower()))
    if "slack_webhook" in spec.channel and spec.slack_webhook:
        # The webhook's address is a secret of sorts: the key names the channel, not the URL.
        out.append(Recipient("slack", spec.slack_webhook, "slack"))
    unique: dict[str, Recipient] = {}
    for r in out:
        unique.setdefault(r.label, r)  # the same address written twice gets one copy
    return list(unique.values())


def report_due(client: Client, now: datetime) -> Week | None:
    """Return the week whose report is due now: on the contract's day, from its working day's start, else None."""
    calendar = client.calendar
    today = local_date(now, calendar)
    if WEEKDAYS[today.weekday()] != client.spec.report.day:
        return None
    starts = local_day_start(today, calendar)
    opening = next_working_moment(starts, calendar)
    if local_date(opening, calendar) == today and now < opening:
        return None  # the report arrives when the working day begins; a day off gets it from midnight
    return resolve_week(None, calendar, now)


def _unsent(session: Session, keys: dict[str, Recipient]) -> dict[str, Recipient]:
    """Keep the keys no message was queued under yet (so a finished week is not gathered again and again)."""
    queued = set(session.scalars(select(Notification.key).where(Notification.key.in_(list(keys)))))
    return {key: r for key, r in keys.items() if key not in queued}


def queue_weekly_reports(session: Session, contracts: Contracts, now: datetime, public_url: str) -> int:
    """Queue each client's weekly report to its recipients on the contract's day; return how many were new."""
    queued = 0
    for client in contracts.clients.values():
        if client.spec.report.enabled and (week := report_due(client, now)) is not None:
            queued += queue_weekly_report(session, contracts, client, week, now, public_url)
    return queued


def queue_weekly_report(session: Session, contracts: Contracts, client: Client, week: Week, now: datetime,
                        public_url: str) -> int:
    """Queue one client's report of one week to each recipient not sent it yet; return how many were new."""
    keys = _unsent(session, {f"weekly:{client.name}:{week.name}:{r.label}": r for r in recipients(client, contracts)})
    if not keys:
        return 0
    report = weekly_report(session, contracts, now=now, public_url=public_url, client=client.name, week=week.name)
    queued = 0
    for key, r in keys.items():
        text = markdown(report) if r.channel == "email" else slack_text(report)
        queued += enqueue(session, channel=r.channel, destination=r.destination, subject=report.title,
                          text=text, html=html(report) if r.channel == "email" else None, key=key, now=now)
    return queued


def warned_periods(client: Client, now: datetime) -> list[Week | Month]:
    """Return the periods whose disagreements are warned about now: the last full week and the last full month."""
    return [resolve_week(None, client.calendar, now), last_full_month(client.calendar, now)]


def queue_disagreement_warnings(session: Session, contracts: Contracts, now: datetime, public_url: str) -> int:
    """Warn each client's recipients once per week and once per month in which its ratings and figures disagree.

    A week is judged on the ratings of that week, a month on the ratings of that month (a monthly survey, or an
    import naming 2026-03), from the moment it ends until the next one does.
    """
    queued = 0
    for client in contracts.clients.values():
        spec = client.spec.report
        if not (spec.enabled and spec.disagreement_warnings):
            continue
        for period in warned_periods(client, now):
            keys = _unsent(session, {f"disagree:{client.name}:{period.name}:{r.label}": r
                                     for r in recipients(client, contracts)})
            if not keys:
                continue
            found, late = period_disagreements(session, contracts, client.name, period, now, public_url)
            if not found:
                continue
            message = warning_message(client.name, period.name, found, late, public_url)
            for key, r in keys.items():
                queued += enqueue(session, channel=r.channel, destination=r.destination, subject=message.subject,
                                  text=message.text, html=message.html if r.channel == "email" else None, key=key,
                                  now=now)
    return queued


# How often the worker looks whether a report or a warning is due: gathering a week costs a few queries.
CHECK_EVERY = timedelta(minutes=15)
