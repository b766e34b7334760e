"""Small builders for metric inputs, so each table row says only what matters to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from metrics.calendar import Calendar
from metrics.model import ClockPolicy, FixLink, ItemEvent, ItemHistory, Role

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2026, 2, 9, 10, 0, tzinfo=UTC)  # a Monday
ALWAYS = Calendar.always_on()


def local(
    zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    """Return the UTC moment of a local wall time."""
    return datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold).astimezone(UTC)


def kyiv(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    return local(KYIV, year, month, day, hour, minute, fold)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    return local(NEW_YORK, year, month, day, hour, minute, fold)


def mins(n: float) -> datetime:
    """Return T0 plus n minutes."""
    return T0 + timedelta(minutes=n)


def ev(
    id: str,
    at: datetime,
    kind: str,
    role: Role = Role.DEVELOPER,
    actor: str | None = None,
    url: str | None = None,
    has_body: bool = True,
    public: bool = True,
    deleted_at: datetime | None = None,
    deleted_by: str | None = None,
    **data: Any,
) -> ItemEvent:
    if actor is None:
        actor = {Role.CLIENT: "carol", Role.DEVELOPER: "dev", Role.BOT: "bot", Role.IGNORE: "ghost"}[role]
    return ItemEvent(id=id, at=at, kind=kind, actor=actor, role=role, data=data, url=url, has_body=has_body,
                     public=public, deleted=deleted_at is not None, deleted_at=deleted_at, deleted_by=deleted_by)


def msg(
    id: str, at: datetime, role: Role, actor: str | None = None, kind: str = "comment", **kw: Any
) -> ItemEvent:
    return ev(id, at, kind, role, actor, **kw)


def item(
    events: list[ItemEvent] | tuple[ItemEvent, ...] = (),
    *,
    created_at: datetime = T0,
    author: str | None = "carol",
    author_role: Role = Role.CLIENT,
    assignees: tuple[str, ...] = (),
    labels: tuple[str, ...] = (),
    issue_type: str | None = None,
    priority: str | None = None,
    status: str | None = None,
    resolution: str | None = None,
    fixed_by: tuple[FixLink, ...] = (),
    source: str = "github",
    key: str = "acme/app#1",
    kind: str = "issue",
    deleted: bool = False,
    developers: frozenset[str] | None = None,
) -> ItemHistory:
    return ItemHistory(
        source=source,
        key=key,
        client="acme",
        kind=kind,
        url=f"https://example.test/{key}",
        title="A work item",
        created_at=created_at,
        author=author,
        author_role=author_role,
        assignees=assignees,
        labels=labels,
        issue_type=issue_type,
        priority=priority,
        status=status,
        resolution=resolution,
        events=tuple(sorted(events, key=lambda e: (e.at, e.id))),
        fixed_by=fixed_by,
        deleted=deleted,
        developers=developers,
    )


def policy(
    *,
    response: int = 1800,
    bug_fix: int = 3 * 3600,
    at_risk: float = 0.75,
    calendar: Calendar = ALWAYS,
    bug_calendar: Calendar | None = None,
    bug_labels: tuple[str, ...] = ("production",),
    jira_issue_types: tuple[str, ...] = ("Bug",),
    jira_priorities: tuple[str, ...] = ("Highest", "High"),
    pause_statuses: tuple[str, ...] = ("Waiting for client",),
    **options: Any,
) -> ClockPolicy:
    return ClockPolicy(
        response_target_seconds=response,
        bug_fix_target_seconds=bug_fix,
        at_risk=at_risk,
        response_calendar=calendar,
        bug_fix_calendar=bug_calendar or calendar,
        bug_labels=frozenset(bug_labels),
        jira_issue_types=frozenset(jira_issue_types),
        jira_priorities=frozenset(jira_priorities),
        pause_statuses=frozenset(pause_statuses),
        **options,
    )
