"""What a survey message says, in plain words, by e-mail (text and HTML) and in a shared Slack channel."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts import Client, Contracts, PersonSpec
from app.core.tables import SurveyRequest, WorkItemRow
from app.notify import enqueue
from app.surveys.links import Links
from metrics.wording import period_in_words

USE = ("Your answers go to the team's account manager, who sets them beside our own figures for answer times "
       "and fix times, so we see where we fall short in your eyes. They are not shared outside our company.")


def _name(contracts: Contracts, person: str) -> str:
    spec = contracts.people.get(person)
    return spec.name if spec else person


def _day(moment: datetime) -> str:
    at = moment.astimezone(UTC)
    return f"{at.day} {at:%b %Y}"


def about(session: Session, contracts: Contracts, request: SurveyRequest, period_name: str) -> str:
    """Say what the survey asks about: 'the fix of SHOP-7 “Checkout is down” by Olena Koval', or a period."""
    if request.reason == "after_bug_fix" and request.item_key:
        title = session.scalar(select(WorkItemRow.title).where(WorkItemRow.key == request.item_key).limit(1))
        by = f" by {_name(contracts, request.developer)}" if request.developer else ""
        return f"the fix of production problem {request.item_key}" + (f" “{title}”" if title else "") + by
    return f"our work for you in {period_in_words(period_name)}"


def queue_messages(session: Session, contracts: Contracts, client: Client, person: PersonSpec,
                   request: SurveyRequest, links: Links, now: datetime, *, reminder: bool, period_name: str) -> int:
    """Queue the survey (or its one reminder) to the contact by e-mail and/or the shared Slack channel."""
    spec = client.spec.survey
    link = links.survey_url(request.id)
    stop = links.unsubscribe_url(client.name, person.id)
    what = about(session, contracts, request, period_name)
    first = person.name.split()[0] if person.name.strip() else person.name
    subject = (f"Reminder: how did we do? ({client.name})" if reminder else
               f"How did we do on {what.removeprefix('our work for you in ')}? ({client.name})")
    ask = (f"A short reminder: we would still like to hear how you found {what}." if reminder else
           f"How did you find {what}?")
    until = _day(request.expires_at)
    text = (f"Hello {first},\n\n{ask} Three questions, 1 to 5; one click answers one of them, the rest are "
            f"optional.\n\nAnswer here: {link}\n\n{USE}\n\nThe link works until {until}. It needs no account "
            f"or password; please do not forward it.\n\nNo more of these questions? {stop}\n")
    html = (f"<p>Hello {escape(first)},</p><p>{escape(ask)} Three questions, 1 to 5; one click answers one of "
            f"them, the rest are optional.</p><p><a href=\"{escape(link)}\">Answer the questions</a></p>"
            f"<p>{escape(USE)}</p><p>The link works until {escape(until)}. It needs no account or password; "
            f"please do not forward it.</p><p><small><a href=\"{escape(stop)}\">No more of these questions"
            f"</a></small></p>")
    stage = "reminder" if reminder else "ask"
    queued = 0
    if spec.email and person.emails:
        headers = {"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        queued += enqueue(session, channel="email", destination=person.emails[0], subject=subject, text=text,
                          html=html, key=f"survey:{request.id}:{stage}:email", headers=headers, now=now)
    if spec.slack_webhook:
        slack = (f"{person.name}: {ask} One click answers: <{link}|rate us> (until {until}). "
                 f"<{stop}|No more questions>")
        queued += enqueue(session, channel="slack", destination=spec.slack_webhook, subject=subject, text=slack,
                          key=f"survey:{request.id}:{stage}:slack", now=now)
    return queued
