"""The roster and each client's terms as the clocks use them: who is who for which client, calendars, policies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.contracts.schema import (
    ClientSpec,
    ContractsError,
    ContractsSpec,
    PersonSpec,
    survey_contacts,
)
from metrics.calendar import Calendar, local_day_start
from metrics.model import ClockPolicy, Role


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
        self._identities = {identity: p for p in spec.people for identity in p.identities()}
        self.clients: dict[str, Client] = {}
        # client -> digest of its terms known to be the latest stored version (app.store.terms), per process
        self.recorded_terms: dict[str, str] = {}
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
            return Resolved(person.id, Role(person.role_at(client.name)))
        raw = f"{source}:{actor_id}" if actor_id else None
        if is_bot or actor_id is None:
            return Resolved(raw, Role.BOT if is_bot else Role.IGNORE)
        return Resolved(raw, {"client": Role.CLIENT, "developer": Role.DEVELOPER}.get(
            client.spec.unknown_authors, Role.IGNORE))

    def developers(self, client: str | None = None) -> list[PersonSpec]:
        """Return the roster's developers for one client, or everyone who develops for any client."""
        return [p for p in self.spec.people if self._develops(p, client)]

    def is_developer(self, person_id: str) -> bool:
        """Tell whether a roster id is a developer for at least one client."""
        person = self.people.get(person_id)
        return person is not None and self._develops(person, None)

    def _develops(self, person: PersonSpec, client: str | None) -> bool:
        clients = [client] if client is not None else list(self.clients)
        return "developer" in ({person.role_at(c) for c in clients} or {person.role})

    def survey_contacts(self, client: str) -> list[PersonSpec]:
        """Return whom a client's survey asks (app.contracts.schema.survey_contacts), in roster order."""
        known = self.clients.get(client)
        return survey_contacts(self.spec.people, known.spec) if known is not None else []

    def repositories(self) -> list[tuple[str, str]]:
        """Return (client, repo) for every GitHub repository in the contracts."""
        return [(c.name, r) for c in self.spec.clients for r in c.github_repos]

    def jira_projects(self) -> list[tuple[str, str]]:
        """Return (client, project) for every Jira project in the contracts."""
        return [(c.name, p) for c in self.spec.clients for p in c.jira_projects]


def build_client(spec: ClientSpec, source: str = "stored contract terms") -> Client:
    """Build a client's calendar and clock policy from its terms (the file's, or a stored earlier version)."""
    return _build_client(spec, source)


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
        no_fix_resolutions=frozenset(r.strip().lower() for r in spec.production_bug.no_fix_resolutions),
        reopen_new_cycle=spec.production_bug.reopen == "new_cycle",
        since=local_day_start(spec.since, calendar) if spec.since is not None else None,
    )
    return Client(spec=spec, policy=policy, calendar=calendar)


def parse_contracts(text: str, source: str = "pulse.yaml") -> Contracts:
    """Validate contracts text; raise ContractsError naming the file, key and problem."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ContractsError(f"{source}: not valid YAML: {exc}") from None
    except ValueError as exc:  # PyYAML builds dates itself and lets a day like 2026-02-30 raise ValueError
        raise ContractsError(f"{source}: a date in the file does not exist ({exc}); check every date") from None
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
        # A check across entries (loc is empty) names its own key at the start of its message.
        lines.append(f"{source}: {path}: {msg}" if path else f"{source}: {msg}")
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
