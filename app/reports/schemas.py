"""The shapes figures are shown in, by the API, the pages and the CLI: figures, clocks with evidence, people,
clients, and the times they accept."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from app.contracts import Contracts
from app.reports.clocks import ClockView, person_name
from app.reports.formats import utc_text
from metrics.wording import human_duration

# An unencoded '+' in a query string arrives as a space ("...T09:00:00 02:00"); read it back as the offset sign.
_SPACE_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ][\d:.]+) (\d{2}(?::?\d{2})?)$")


EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


_ISO_DATE_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
TIME_HINT = "write it in ISO 8601 with its UTC offset, like 2026-03-02T09:00:00+02:00 or 2026-03-02T07:00:00Z"


def _plus_from_space(value: Any) -> Any:
    # Numbers would otherwise be read as Unix times: '0.5' is not a time anyone means.
    if not isinstance(value, str) or not _ISO_DATE_START.match(value.strip()):
        raise ValueError(f"is not a time; {TIME_HINT}")
    match = _SPACE_OFFSET.match(value.strip())
    return f"{match[1]}+{match[2]}" if match else value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar's edge by its offset
        return EARLIEST if value.year < 5000 else LATEST


Time = Annotated[AwareDatetime, BeforeValidator(_plus_from_space), AfterValidator(_in_utc)]

UTCTime = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-03-02T07:12:00Z"]}),
]


class Figures(BaseModel):
    """How a group of clocks did: counts by state, attainment, and durations of the stopped ones."""

    clocks: int = Field(examples=[42])
    met: int = Field(examples=[37])
    breached: int = Field(description="Past their target, stopped or still running.", examples=[4])
    running: int = Field(description="Not yet stopped, whatever their state.", examples=[2])
    at_risk: int = Field(description="Running and past the contract's at-risk share of the target.", examples=[1])
    paused: int = Field(default=0, description="Waiting on the client (a pause status).", examples=[0])
    cancelled: int = Field(default=0, description="Ended without a verdict (a question its author withdrew, a bug "
                                                  "that was not one after all, closed without a fix): counted apart, "
                                                  "in none of the other counts, attainment or durations.",
                           examples=[1])
    attainment: float | None = Field(description="met / (met + breached); null when both are 0.",
                                     examples=[0.9024])
    median_seconds: float | None = Field(description="Median working time of stopped clocks.", examples=[720.0])
    median: str | None = Field(default=None, description="The median in words.", examples=["12 min"])
    p90_seconds: float | None = Field(description="90th percentile (linear interpolation).", examples=[1980.0])
    p90: str | None = Field(default=None, examples=["33 min"])
    mean_seconds: float | None = Field(examples=[904.5])
    mean: str | None = Field(default=None, examples=["15 min"])
    target_seconds: int | None = Field(description="The target, when every clock in the group shares it.",
                                       examples=[1800])
    target: str | None = Field(default=None, examples=["30 min"])


class Promises(BaseModel):
    """Both measured promises side by side (more may be added later as extra fields)."""

    responsiveness: Figures = Field(description="Answers to client messages.")
    bug_fix: Figures = Field(description="Production bugs fixed.")


class WorkItemRef(BaseModel):
    source: str = Field(examples=["github"])
    key: str = Field(examples=["acme/shop#123"])
    url: str | None = Field(examples=["https://github.com/acme/shop/issues/123"])
    title: str | None = Field(examples=["Checkout button does nothing on Safari"])


class EvidenceOut(BaseModel):
    role: str = Field(description="start, pause, resume or stop.", examples=["start"])
    activity_id: str = Field(examples=["opened:acme/shop#123"])
    at: UTCTime
    url: str | None = Field(examples=["https://github.com/acme/shop/issues/123"])
    note: str | None = Field(default=None, description="What this step means beyond its role, in plain words.",
                             examples=["answer later deleted"])


class HolderOut(BaseModel):
    """A developer who held a production bug while its clock ran."""

    developer: str = Field(examples=["olena"])
    developer_name: str = Field(examples=["Olena Koval"])
    seconds: int = Field(description="Working seconds they held it while its clock ran.", examples=[5400])
    share: float = Field(description="Their share of the time held, 0-1.", examples=[0.75])


class ClockOut(BaseModel):
    """One promise on one work item, with the activities that started, paused and stopped it."""

    id: str = Field(examples=["github:acme/shop#123:response:0"])
    kind: str = Field(description="response or bug_fix.", examples=["response"])
    client: str = Field(examples=["acme"])
    work_item: WorkItemRef
    developer: str | None = Field(description="Credited person id: who answered or fixed it; while running, the "
                                              "assignee; null when nobody is assigned.", examples=["olena"])
    developer_name: str = Field(examples=["Olena Koval"])
    state: str = Field(description="running, at_risk, paused, met, breached or cancelled (a running clock past its "
                                   "target is breached and has no stopped_at; a cancelled clock ended without a "
                                   "verdict and counts in no figure but `cancelled`).", examples=["met"])
    started_at: UTCTime
    stopped_at: UTCTime | None
    elapsed_seconds: int = Field(description="Working seconds in the client's calendar; for a running clock, up to "
                                             "now.", examples=[720])
    elapsed: str = Field(examples=["12 min"])
    target_seconds: int = Field(examples=[1800])
    target: str = Field(examples=["30 min"])
    deadline: UTCTime | None = Field(description="When a running clock breaches if nobody acts.")
    at_risk_at: UTCTime | None = Field(description="When a running clock becomes at risk.")
    evidence: list[EvidenceOut]
    notes: list[str] = Field(default=[], description="What a manager should know about this clock, in plain words "
                                                     "(why it was cancelled, an answer later deleted, ...).",
                             examples=[["answer later deleted"]])
    holders: list[HolderOut] = Field(default=[], description="Production bugs: each developer who held it while "
                                                             "its clock ran, longest first; the first is credited.")


def clock_out(view: ClockView, contracts: Contracts) -> ClockOut:
    """Show a clock as the API does."""
    c = view.clock
    return ClockOut(
        id=c.clock_id, kind=c.kind.value, client=c.client,
        work_item=WorkItemRef(source=c.source, key=c.item_key, url=view.url, title=view.title),
        developer=c.developer, developer_name=person_name(c.developer, contracts), state=view.state.value,
        started_at=c.started_at, stopped_at=c.stopped_at, elapsed_seconds=view.elapsed_seconds,
        elapsed=human_duration(view.elapsed_seconds) or "0 s", target_seconds=c.target_seconds,
        target=human_duration(c.target_seconds) or "0 s",
        deadline=None if c.stopped else c.deadline, at_risk_at=None if c.stopped else c.at_risk_at,
        evidence=[EvidenceOut(role=e.role.value, activity_id=e.activity_id, at=e.at, url=e.url, note=e.note)
                  for e in c.evidence],
        notes=list(c.notes), holders=_holders(c.holders, contracts),
    )


def _holders(holders: tuple[tuple[str, int], ...], contracts: Contracts) -> list[HolderOut]:
    total = sum(seconds for _, seconds in holders)
    return [HolderOut(developer=who, developer_name=person_name(who, contracts), seconds=seconds,
                      share=round(seconds / total, 4) if total else 0.0) for who, seconds in holders]


def clock_row(view: ClockView, contracts: Contracts) -> dict[str, Any]:
    """Flatten a clock for CSV."""
    out = clock_out(view, contracts)
    by_role = {e.role: e for e in out.evidence}
    return {
        **out.model_dump(exclude={"work_item", "evidence", "notes", "holders"}),
        "notes": "; ".join(out.notes),
        "source": out.work_item.source, "work_item": out.work_item.key, "title": out.work_item.title,
        "url": out.work_item.url,
        "started_by": by_role["start"].url or by_role["start"].activity_id if "start" in by_role else None,
        "stopped_by": by_role["stop"].url or by_role["stop"].activity_id if "stop" in by_role else None,
    }


CLOCK_COLUMNS = ["id", "kind", "client", "source", "work_item", "title", "url", "developer", "developer_name",
                 "state", "started_at", "stopped_at", "elapsed_seconds", "elapsed", "target_seconds", "target",
                 "deadline", "started_by", "stopped_by", "notes"]


class PersonOut(BaseModel):
    id: str = Field(examples=["olena"])
    name: str = Field(examples=["Olena Koval"])
    role: str = Field(examples=["developer"])
    github: str | None = Field(examples=["olena-dev"])
    jira: list[str] = Field(description="Jira account ids.", examples=[["5b10ac8d82e05b22cc7d4ef5"]])
    clients: list[str] = Field(default=[], description="For a client contact, the clients they speak for: only "
                               "those clients' surveys ask them. Empty for staff.", examples=[[]])
    roles: dict[str, str] = Field(default={}, description="The role this person plays at a client, where it differs "
                                  "from `role`.", examples=[{}])
    in_roster: bool = Field(description="Listed in the contracts file (false for people seen only in clocks).",
                            examples=[True])


class ClientPromisesInWords(BaseModel):
    responsiveness: str = Field(examples=["answer within 30 minutes, Mon–Fri 09:00–18:00 Europe/Kyiv time, "
                                          "public holidays of UA"])
    bug_fix: str = Field(examples=["fix production bugs within 3 hours, Mon–Fri 09:00–18:00 Europe/Kyiv time, "
                                   "public holidays of UA"])


class ClientOut(BaseModel):
    name: str = Field(examples=["acme"])
    promises: ClientPromisesInWords
    response_target_seconds: int = Field(examples=[1800])
    bug_fix_target_seconds: int = Field(examples=[10800])
    github_repos: list[str] = Field(examples=[["acme/shop"]])
    jira_projects: list[str] = Field(examples=[["SHOP"]])


WeekTimeZone = Annotated[str, Field(
    description="The IANA time zone the weeks run Monday to Sunday in: the client's contract calendar when the "
    "figures are one client's, UTC when they span several clients.", examples=["Asia/Tokyo"])]


class _Week(BaseModel):
    week: str = Field(description="ISO week in `week_time_zone`, by clock start.", examples=["2026-W10"])
    starts_on: date = Field(description="The Monday of that week (a local date in `week_time_zone`).",
                            examples=["2026-03-02"])


class WeekFigures(Promises, _Week):
    """One week's figures."""


class DeveloperSummary(Promises, PersonOut):
    open_clocks: int = Field(description="Clocks credited to them that are not stopped yet, right now.",
                             examples=[2])


class DeveloperList(BaseModel):
    since: UTCTime
    until: UTCTime
    developers: list[DeveloperSummary]
