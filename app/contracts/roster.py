"""The contracts file (pulse.yaml): the roster of people and each client's promises in plain words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from metrics.calendar import Calendar
from metrics.model import ClockPolicy, Role

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


class ContractsError(ValueError):
    """The contracts file is missing or wrong; the message names the file, the key and the problem."""


def parse_duration(text: str | int) -> int:
    """Parse a duration like ``30m``, ``3h``, ``1h30m`` or ``2d`` into seconds."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()) or not str(text).strip():
        raise ValueError(f"{text!r} is not a duration; write it like 30m, 3h, 1h30m or 2d")
    d, h, m, s = (int(g or 0) for g in match.groups())
    seconds = d * 86400 + h * 3600 + m * 60 + s
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero; write it like 30m, 3h, 1h30m or 2d")
    return seconds


def describe_duration(seconds: int) -> str:
    """Say a duration in plain words: 1800 -> '30 minutes'."""
    if seconds % 86400 == 0:
        n, unit = seconds // 86400, "day"
    elif seconds % 3600 == 0:
        n, unit = seconds // 3600, "hour"
    elif seconds % 60 == 0:
        n, unit = seconds // 60, "minute"
    else:
        n, unit = seconds, "second"
    return f"{n} {unit}{'' if n == 1 else 's'}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    role: Literal["developer", "client", "bot"]
    github: str | None = None
    jira: str | list[str] | None = None
    emails: list[str] = []

    @property
    def jira_ids(self) -> list[str]:
        if self.jira is None:
            return []
        return [self.jira] if isinstance(self.jira, str) else list(self.jira)


class CalendarSpec(_Strict):
    timezone: str = "UTC"
    working_hours: str = "Mon-Fri 09:00-18:00"
    holidays: str | None = None
    holiday_dates: list[date] = []


class TargetsSpec(_Strict):
    response_time: int = 1800
    production_bug_fix: int = 3 * 3600
    at_risk: float = Field(default=0.75, gt=0, lt=1)

    @field_validator("response_time", "production_bug_fix", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> int:
        return parse_duration(value)


class ProductionBugSpec(_Strict):
    labels: list[str] = ["production"]
    jira_issue_types: list[str] = ["Bug"]
    jira_priorities: list[str] = ["Highest", "High"]


class AlignmentSpec(_Strict):
    """When delivery figures and the client's own scores (1-5) count as agreeing or not."""

    good_attainment: float = Field(default=0.9, ge=0, le=1)  # delivery looks fine at or above this
    poor_attainment: float = Field(default=0.7, ge=0, le=1)  # delivery looks poor below this
    happy_score: float = Field(default=4.0, ge=1, le=5)  # the client is content at or above this
    unhappy_score: float = Field(default=3.0, ge=1, le=5)  # the client is unhappy at or below this
    plain_pass_share: float = Field(default=0.8, ge=0, le=1)  # plain language looks fine at or above this


class AlertsSpec(_Strict):
    """Where warnings about at-risk and breached clocks go."""

    slack_webhook: str | None = Field(default=None, pattern=r"^https?://")
    webhook: str | None = Field(default=None, pattern=r"^https?://")
    at_risk: bool = True
    breached: bool = True
    daily_digest: bool = False
    quiet_outside_working_hours: bool = True


class ClientSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    github_repos: list[str] = []
    jira_projects: list[str] = []
    unknown_authors: Literal["client", "developer", "ignore"] = "client"
    calendar: CalendarSpec = CalendarSpec()
    targets: TargetsSpec = TargetsSpec()
    production_bug: ProductionBugSpec = ProductionBugSpec()
    pause_statuses: list[str] = []
    bug_fix_calendar: Literal["business", "24/7"] = "business"
    glossary: list[str] = []  # words this client knows: never flagged as jargon
    plain_words: dict[str, str] = {}  # term -> the plain alternative to suggest
    alignment: AlignmentSpec = AlignmentSpec()
    alerts: AlertsSpec = AlertsSpec()

    @field_validator("github_repos")
    @classmethod
    def _repo_names(cls, value: list[str]) -> list[str]:
        for repo in value:
            if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
                raise ValueError(f"{repo!r} is not a repository; write it as owner/name")
        return value


class ContractsSpec(_Strict):
    people: list[PersonSpec] = []
    clients: list[ClientSpec] = []

    @model_validator(mode="after")
    def _unique(self) -> ContractsSpec:
        _no_repeats("people", [p.id for p in self.people])
        _no_repeats("clients", [c.name for c in self.clients])
        _no_repeats("github_repos", [r.lower() for c in self.clients for r in c.github_repos])
        _no_repeats("jira_projects", [p.upper() for c in self.clients for p in c.jira_projects])
        return self


def _no_repeats(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what}: {value!r} is listed twice; each must appear once")
        seen.add(value)


@dataclass(frozen=True)
class Client:
    spec: ClientSpec
    policy: ClockPolicy
    calendar: Calendar

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Resolved:
    """Who an actor is, for one client: a person id (or raw identity) and a role."""

    person: str | None
    role: Role


class Contracts:
    """The loaded, validated contracts: people by identity, clients by repository/project."""

    def __init__(self, spec: ContractsSpec, source: str = "pulse.yaml") -> None:
        self.spec = spec
        self.source = source
        self.people = {p.id: p for p in spec.people}
        self._identities: dict[tuple[str, str], PersonSpec] = {}
        for person in spec.people:
            if person.github:
                self._identities[("github", person.github.lower())] = person
            for jira_id in person.jira_ids:
                self._identities[("jira", jira_id)] = person
            for email in person.emails:
                self._identities[("email", email.lower())] = person
        self.clients: dict[str, Client] = {}
        self._containers: dict[tuple[str, str], str] = {}
        for cspec in spec.clients:
            self.clients[cspec.name] = _build_client(cspec, source)
            for repo in cspec.github_repos:
                self._containers[("github", repo.lower())] = cspec.name
            for project in cspec.jira_projects:
                self._containers[("jira", project.upper())] = cspec.name

    def client_for(self, source: str, container: str) -> Client | None:
        """Return the client whose contract lists this repository or project."""
        norm = container.lower() if source == "github" else container.upper()
        name = self._containers.get((source, norm))
        return self.clients.get(name) if name else None

    def person_for(self, source: str, actor_id: str | None, email: str | None = None) -> PersonSpec | None:
        """Return the roster entry for an identity, if listed."""
        if actor_id:
            norm = actor_id.lower() if source == "github" else actor_id
            person = self._identities.get((source, norm))
            if person:
                return person
        if email:
            return self._identities.get(("email", email.lower()))
        return None

    def resolve(
        self, client: Client, source: str, actor_id: str | None, *, email: str | None = None, is_bot: bool = False
    ) -> Resolved:
        """Decide who an actor is and which role they play for this client."""
        person = self.person_for(source, actor_id, email)
        if person is not None:
            return Resolved(person.id, Role(person.role))
        raw = f"{source}:{actor_id}" if actor_id else None
        if is_bot or actor_id is None:
            return Resolved(raw, Role.BOT if is_bot else Role.IGNORE)
        return Resolved(raw, {"client": Role.CLIENT, "developer": Role.DEVELOPER}.get(
            client.spec.unknown_authors, Role.IGNORE))

    def repositories(self) -> list[tuple[str, str]]:
        """Return (client, repo) for every GitHub repository in the contracts."""
        return [(c.name, r) for c in self.spec.clients for r in c.github_repos]

    def jira_projects(self) -> list[tuple[str, str]]:
        """Return (client, project) for every Jira project in the contracts."""
        return [(c.name, p) for c in self.spec.clients for p in c.jira_projects]


def _build_client(spec: ClientSpec, source: str) -> Client:
    cal = spec.calendar
    try:
        calendar = Calendar.parse(
            timezone=cal.timezone,
            working_hours=cal.working_hours,
            holidays=cal.holidays,
            holiday_dates=cal.holiday_dates,
        )
    except ValueError as exc:
        raise ContractsError(f"{source}: clients[{spec.name}].calendar: {exc}") from None
    bug_calendar = Calendar.always_on() if spec.bug_fix_calendar == "24/7" else calendar
    policy = ClockPolicy(
        response_target_seconds=spec.targets.response_time,
        bug_fix_target_seconds=spec.targets.production_bug_fix,
        at_risk=spec.targets.at_risk,
        response_calendar=calendar,
        bug_fix_calendar=bug_calendar,
        bug_labels=frozenset(label.lower() for label in spec.production_bug.labels),
        jira_issue_types=frozenset(spec.production_bug.jira_issue_types),
        jira_priorities=frozenset(spec.production_bug.jira_priorities),
        pause_statuses=frozenset(s.lower() for s in spec.pause_statuses),
    )
    return Client(spec=spec, policy=policy, calendar=calendar)


def parse_contracts(text: str, source: str = "pulse.yaml") -> Contracts:
    """Validate contracts text; raise ContractsError naming the file, key and problem."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ContractsError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ContractsError(f"{source}: the file must hold the keys people: and clients:")
    try:
        spec = ContractsSpec.model_validate(data)
    except ValidationError as exc:
        raise ContractsError(_explain(exc, data, source)) from None
    return Contracts(spec, source)


def _explain(exc: ValidationError, data: dict[str, Any], source: str) -> str:
    lines = []
    for err in exc.errors():
        path = _path_text(err["loc"], data)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "is not a known key (check the spelling)"
        lines.append(f"{source}: {path or 'top level'}: {msg}")
    return "\n".join(lines)


def _path_text(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = item
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                label = node[item].get("id") or node[item].get("name") or item
            parts[-1:] = [f"{parts[-1]}[{label}]"] if parts else [f"[{label}]"]
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def load_contracts(path: Path) -> Contracts:
    """Read and validate the contracts file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractsError(
            f"{path}: contracts file not found; set PULSE_CONTRACTS to its path or run with --demo"
        ) from None
    return parse_contracts(text, str(path))
