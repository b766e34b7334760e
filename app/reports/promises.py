"""What each client was promised, in plain words and in figures: for the API, the pages and reports."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.contracts import Client
from app.reports.schemas import ClientPromisesInWords
from metrics.model import ClockKind
from metrics.wording import describe_duration


def calendar_words(client: Client, kind: ClockKind) -> str:
    """Say which time counts for a promise, e.g. 'Mon–Fri 09:00–18:00 Europe/Kyiv time'."""
    text = client.policy.calendar_for(kind).describe()
    return "around the clock" if text == "24/7" else text


def promise_words(client: Client) -> dict[str, str]:
    """Say a client's promises in plain words, one sentence per promise."""
    targets = client.spec.targets
    return {
        "responsiveness": f"answer within {describe_duration(targets.response_time)}, "
        f"{calendar_words(client, ClockKind.RESPONSE)}",
        "bug_fix": f"fix production bugs within {describe_duration(targets.production_bug_fix)}, "
        f"{calendar_words(client, ClockKind.BUG_FIX)}",
    }


class CalendarOut(BaseModel):
    timezone: str = Field(examples=["Europe/Kyiv"])
    working_hours: str = Field(examples=["Mon-Fri 09:00-18:00"])
    holidays: str | None = Field(description="Country (and region) whose public holidays are days off.",
                                 examples=["UA"])
    holiday_dates: list[str] = Field(description="Extra days off (ISO dates).", examples=[["2026-12-31"]])
    description: str = Field(examples=["Mon–Fri 09:00–18:00 Europe/Kyiv time, public holidays of UA"])


class TargetsOut(BaseModel):
    response_seconds: int = Field(examples=[1800])
    response: str = Field(examples=["30 minutes"])
    bug_fix_seconds: int = Field(examples=[10800])
    bug_fix: str = Field(examples=["3 hours"])
    at_risk: float = Field(description="Share of a target after which a running clock is at risk.",
                           examples=[0.75])


class ProductionBugOut(BaseModel):
    labels: list[str] = Field(examples=[["production"]])
    jira_issue_types: list[str] = Field(examples=[["Bug"]])
    jira_priorities: list[str] = Field(examples=[["Highest", "High"]])


class ContractOut(BaseModel):
    client: str = Field(examples=["acme"])
    promises: ClientPromisesInWords
    github_repos: list[str] = Field(examples=[["acme/shop"]])
    jira_projects: list[str] = Field(examples=[["SHOP"]])
    unknown_authors: str = Field(description="How people missing from the roster count: client, developer or "
                                             "ignore.", examples=["client"])
    calendar: CalendarOut
    bug_fix_calendar: str = Field(description="business (the calendar above) or 24/7.", examples=["business"])
    bug_fix_hours: str = Field(description="Which time counts for bug fixes, in words.",
                               examples=["Mon–Fri 09:00–18:00 Europe/Kyiv time, public holidays of UA"])
    targets: TargetsOut
    production_bug: ProductionBugOut
    pause_statuses: list[str] = Field(examples=[["Waiting for customer"]])


def contract_out(client: Client) -> ContractOut:
    spec = client.spec
    return ContractOut(
        client=spec.name, promises=ClientPromisesInWords(**promise_words(client)),
        github_repos=list(spec.github_repos), jira_projects=list(spec.jira_projects),
        unknown_authors=spec.unknown_authors,
        calendar=CalendarOut(timezone=spec.calendar.timezone, working_hours=spec.calendar.working_hours,
                             holidays=spec.calendar.holidays,
                             holiday_dates=[d.isoformat() for d in spec.calendar.holiday_dates],
                             description=calendar_words(client, ClockKind.RESPONSE)),
        bug_fix_calendar=spec.bug_fix_calendar, bug_fix_hours=calendar_words(client, ClockKind.BUG_FIX),
        targets=TargetsOut(response_seconds=spec.targets.response_time,
                           response=describe_duration(spec.targets.response_time),
                           bug_fix_seconds=spec.targets.production_bug_fix,
                           bug_fix=describe_duration(spec.targets.production_bug_fix), at_risk=spec.targets.at_risk),
        production_bug=ProductionBugOut(**spec.production_bug.model_dump()),
        pause_statuses=list(spec.pause_statuses),
    )
