"""Alerts: warn before a promise breaks, once per clock and stage, retried until delivered."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from app.contracts import Client, Contracts
from app.core.db import transaction
from app.core.outbox import claim_due, retry_at
from app.core.tables import ActivityRow, Alert, ClockRow, WorkItemRow
from app.store.histories import row_to_clock
from app.store.upserts import dialect_insert
from metrics.calendar import is_working_moment, local_date, local_time_text, working_seconds_between
from metrics.model import Clock, ClockKind
from metrics.wording import describe_duration, minutes_in_words

log = logging.getLogger("pulse.alerts")

@dataclass(frozen=True)
class Stage:
    name: str  # at_risk | breached
    crossed: Any  # a column: the moment the stage begins


STAGES = (Stage("breached", ClockRow.deadline), Stage("at_risk", ClockRow.at_risk_at))


def _destinations(client: Client) -> list[tuple[str, str]]:
    spec = client.spec.alerts
    out = []
    if spec.slack_webhook:
        out.append(("slack", spec.slack_webhook))
    if spec.webhook:
        out.append(("webhook", spec.webhook))
    return out


def scan(session: Session, contracts: Contracts, now: datetime) -> int:
    """Queue an alert for every running clock that has crossed a stage; return how many were queued."""
    queued = 0
    for client in contracts.clients.values():
        targets = _destinations(client)
        if not targets:
            continue
        for stage in STAGES:
            if not getattr(client.spec.alerts, stage.name):
                continue
            rows = session.scalars(
                select(ClockRow).where(
                    ClockRow.client == client.name, ClockRow.stopped_at.is_(None),
                    ClockRow.running_since.is_not(None), stage.crossed.is_not(None), stage.crossed <= now,
                )
            ).all()
            for row in rows:
                if stage.name == "at_risk" and row.deadline is not None and row.deadline < now:
                    continue  # already breached: one alert that says so is enough
                if client.spec.alerts.quiet_outside_working_hours and not is_working_moment(
                    now, client.policy.calendar_for(ClockKind(row.kind))
                ):
                    continue  # this clock is not running at night; say it when the working day starts
                payload = build_payload(session, contracts, client, row_to_clock(row), stage.name, now)
                queued += _queue(session, row.id, stage.name, client.name, targets, payload, now)
    return queued


def _queue(session: Session, clock_id: str, stage: str, client: str, targets: list[tuple[str, str]],
           payload: dict[str, Any], now: datetime) -> int:
    rows = [{"clock_id": clock_id, "stage": stage, "client": client, "destination": url, "kind": kind,
             "payload": payload, "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now}
            for kind, url in targets]
    stmt = dialect_insert(session, Alert.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["clock_id", "stage", "destination"]
    )
    return len(session.execute(stmt.returning(Alert.__table__.c.id)).all())


def build_payload(session: Session, contracts: Contracts, client: Client, clock: Clock, stage: str,
                  now: datetime) -> dict[str, Any]:
    """Describe the clock in plain words: who is waiting, for what, since when, how long is left, where."""
    item = session.scalar(select(WorkItemRow).where(WorkItemRow.source == clock.source,
                                                    WorkItemRow.key == clock.item_key))
    title = (item.title if item else None) or clock.item_key
    url = item.url if item else None
    calendar = client.policy.calendar_for(clock.kind)
    elapsed = clock.elapsed_seconds + (working_seconds_between(clock.running_since, now, calendar)
                                       if clock.running_since else 0)
    who = _waiting_person(session, contracts, client, clock)
    since = local_time_text(clock.started_at, calendar)
    owner = _person_name(contracts, clock.developer) if clock.developer else "nobody yet"
    target = describe_duration(clock.target_seconds)
    waited = minutes_in_words(elapsed)
    if clock.kind is ClockKind.RESPONSE:
        what = f"{who} has waited {waited} for an answer on {clock.item_key} “{title}” (since {since})"
    else:
        what = f"Production bug {clock.item_key} “{title}” has been open {waited} (since {since})"
    if stage == "breached":
        status = f"The {target} target is missed."
    else:
        status = f"{minutes_in_words(max(clock.target_seconds - elapsed, 0))} left of the {target} target."
    text = f"{what}. {status} Assigned: {owner}." + (f" {url}" if url else "")
    return {
        "event": f"clock.{stage}", "client": client.name, "clock_id": clock.clock_id, "kind": clock.kind.value,
        "work_item": {"key": clock.item_key, "title": title, "url": url}, "developer": clock.developer,
        "started_at": clock.started_at.isoformat(), "deadline": clock.deadline.isoformat() if clock.deadline else None,
        "elapsed_seconds": elapsed, "target_seconds": clock.target_seconds, "text": text,
    }


def _waiting_person(session: Session, contracts: Contracts, client: Client, clock: Clock) -> str:
    start = next((e for e in clock.evidence if e.role.value == "start"), None)
    if start is None or clock.kind is not ClockKind.RESPONSE:
        return client.name
    actor = session.scalar(select(ActivityRow).where(ActivityRow.source == clock.source,
                                                     ActivityRow.external_id == start.activity_id))
    if actor is None:
        return client.name
    resolved = contracts.resolve(client, clock.source, actor.actor_id, email=actor.actor_email)
    return _person_name(contracts, resolved.person) if resolved.person else (actor.actor_name or client.name)


def _person_name(contracts: Contracts, person: str | None) -> str:
    spec = contracts.people.get(person or "")
    return spec.name if spec else (person or "someone").split(":", 1)[-1]


def queue_digests(session: Session, contracts: Contracts, now: datetime) -> int:
    """Queue one daily digest per client that asked for it, at the start of its working day."""
    queued = 0
    for client in contracts.clients.values():
        targets = _destinations(client)
        if not targets or not client.spec.alerts.daily_digest or not is_working_moment(now, client.calendar):
            continue
        day = local_date(now, client.calendar)
        since = now - timedelta(days=1)
        breached = session.scalars(select(ClockRow).where(
            ClockRow.client == client.name,
            or_(and_(ClockRow.stopped_at.is_(None), ClockRow.deadline < now),
                and_(ClockRow.stopped_at >= since, ClockRow.elapsed_seconds > ClockRow.target_seconds,
                     ClockRow.cancelled.is_(False))),
        )).all()
        lines = [f"- {r.item_key} ({r.kind.replace('_', ' ')})" for r in breached[:20]]
        text = (f"Daily digest for {client.name}, {day:%a %d %b}: {len(breached)} promise(s) missed or still "
                f"overdue in the last day." + ("\n" + "\n".join(lines) if lines else ""))
        payload = {"event": "digest", "client": client.name, "date": day.isoformat(), "missed": len(breached),
                   "text": text}
        queued += _queue(session, f"digest:{client.name}:{day.isoformat()}", "digest", client.name, targets,
                         payload, now)
    return queued


def deliver_due(factory: sessionmaker[Session], now: datetime, http: httpx.Client) -> tuple[int, int]:
    """Send every alert that is due; return (sent, failed). A failure is retried later with backoff."""
    sent = failed = 0
    for alert in claim_due(factory, Alert.__table__, now, ("kind", "destination", "payload")):
        error = _post(http, alert)
        with transaction(factory) as session:
            row = session.get(Alert, alert.id)
            if row is None or row.status == "sent":
                continue
            row.attempts += 1
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", now, None
                row.next_attempt_at = now
                sent += 1
            else:
                row.last_error = error
                row.next_attempt_at = retry_at(row.attempts, now)
                failed += 1
                log.warning("alert %s to %s failed (attempt %s): %s", row.id, row.kind, row.attempts, error)
    return sent, failed


def _post(http: httpx.Client, alert: Row[Any]) -> str | None:
    body = {"text": alert.payload.get("text", "")} if alert.kind == "slack" else {"id": alert.id, **alert.payload}
    try:
        response = http.post(alert.destination, json=body, headers={"Idempotency-Key": f"pulse-alert-{alert.id}"})
    except httpx.HTTPError as exc:
        return f"could not reach the destination: {type(exc).__name__}"
    if response.status_code >= 300:
        return f"the destination answered {response.status_code}"
    return None
