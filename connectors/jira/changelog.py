"""Turn Jira changelog items into activities: one small rule per field we track.

The same code reads a webhook's ``changelog`` and a REST history (``/issue/{key}/changelog``,
``/changelog/bulkfetch`` or ``expand=changelog``), so both paths give equal natural keys:
``changelog:<history id>:<field>`` (``...:labels:<label>`` for per-label facts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.jira.shapes import SOURCE
from connectors.records import Activity, ActivityKind, Actor, ItemMove

# The fields the metrics read, and the issue key (a move); bulkfetch accepts at most 10 field ids as a filter.
TRACKED_FIELDS = ("status", "assignee", "priority", "labels", "issuetype", "resolution", "issuekey")
# A move to another project changes the issue's key: Cloud names that item by its field id ("issuekey"),
# Data Center only by its name ("Key").
_KEY_FIELDS = frozenset({"issuekey", "key"})


@dataclass(frozen=True, slots=True)
class HistoryContext:
    """What every item of one history shares."""

    issue_key: str
    history_id: str
    at: datetime
    actor: Actor | None
    status_categories: Mapping[str, str]  # status id -> new | indeterminate | done
    user_aliases: Mapping[str, str]  # any user key/name/accountId -> the id our Actor uses


Rule = Callable[[HistoryContext, Mapping[str, Any]], list[Activity]]


def field_of(item: Mapping[str, Any]) -> str | None:
    """Return the lower-case system field an item changes, or None for custom fields."""
    if item.get("fieldtype") == "custom":
        return None
    name = item.get("fieldId") or item.get("field")
    return name.lower() if isinstance(name, str) else None


def history_activities(ctx: HistoryContext, items: Iterable[Any]) -> list[Activity]:
    """Return the activities one history's items describe, skipping fields we do not track."""
    out: list[Activity] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        field = field_of(item)
        rule = _RULES.get(field) if field else None
        if rule is not None:
            out.extend(rule(ctx, item))
    return out


def history_moves(ctx: HistoryContext, items: Iterable[Any]) -> list[ItemMove]:
    """Return the move one history records: its Key item, from the key the issue had to the one it has now."""
    out: list[ItemMove] = []
    for item in items:
        if not isinstance(item, Mapping) or field_of(item) not in _KEY_FIELDS:
            continue
        old, new = _str(item.get("fromString")), _str(item.get("toString"))
        if old and new and old != new:
            out.append(ItemMove(SOURCE, old, new, ctx.at, project_of(old)))
    return out


def project_of(key: str) -> str:
    """Return the project key of an issue key (``SHOP`` of ``SHOP-45``)."""
    return key.rsplit("-", 1)[0]


def _activity(ctx: HistoryContext, suffix: str, kind: ActivityKind, data: Mapping[str, Any]) -> Activity:
    return Activity(
        source=SOURCE,
        external_id=f"changelog:{ctx.history_id}:{suffix}",
        item_key=ctx.issue_key,
        kind=kind.value,
        at=ctx.at,
        actor=ctx.actor,
        data=dict(data),
    )


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _is_initial_value(item: Mapping[str, Any]) -> bool:
    # A status or type always changes *from* something; an item without one is a creation-time
    # initial value (Cloud lists them in jira:issue_created), not a transition after creation.
    return _str(item.get("from")) is None and _str(item.get("fromString")) is None


def _status(ctx: HistoryContext, item: Mapping[str, Any]) -> list[Activity]:
    if _is_initial_value(item):
        return []
    to_id = _str(item.get("to"))
    data = {
        "from": _str(item.get("fromString")),
        "to": _str(item.get("toString")),
        "category": ctx.status_categories.get(to_id) if to_id else None,
    }
    return [_activity(ctx, "status", ActivityKind.STATUS, data)]


def _assignee(ctx: HistoryContext, item: Mapping[str, Any]) -> list[Activity]:
    before, after = _user(ctx, item.get("from")), _user(ctx, item.get("to"))
    if after is None:
        if before is None:
            return []
        return [_activity(ctx, "assignee", ActivityKind.UNASSIGNED, {"assignee": before})]
    return [_activity(ctx, "assignee", ActivityKind.ASSIGNED, {"assignee": after, "from": before})]


def _user(ctx: HistoryContext, value: Any) -> str | None:
    ident = _str(value)
    return ctx.user_aliases.get(ident, ident) if ident else None


def _from_to(kind: ActivityKind, suffix: str) -> Rule:
    def rule(ctx: HistoryContext, item: Mapping[str, Any]) -> list[Activity]:
        if kind is ActivityKind.TYPE_CHANGED and _is_initial_value(item):
            return []
        data = {"from": _str(item.get("fromString")), "to": _str(item.get("toString"))}
        return [_activity(ctx, suffix, kind, data)]

    return rule


def _labels(ctx: HistoryContext, item: Mapping[str, Any]) -> list[Activity]:
    before = set((_str(item.get("fromString")) or "").split())
    after = set((_str(item.get("toString")) or "").split())
    removed = [
        _activity(ctx, f"labels:{label}", ActivityKind.UNLABELED, {"label": label}) for label in sorted(before - after)
    ]
    added = [
        _activity(ctx, f"labels:{label}", ActivityKind.LABELED, {"label": label}) for label in sorted(after - before)
    ]
    return removed + added


_RULES: dict[str, Rule] = {
    "status": _status,
    "assignee": _assignee,
    "priority": _from_to(ActivityKind.PRIORITY_CHANGED, "priority"),
    "labels": _labels,
    "issuetype": _from_to(ActivityKind.TYPE_CHANGED, "issuetype"),
    "resolution": _from_to(ActivityKind.RESOLUTION, "resolution"),
}
