"""The contracts file's schema: what pulse.yaml may say, checked key by key, with durations in plain words."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.contracts.survey_spec import SurveySpec

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PersonRole = Literal["developer", "client", "bot"]
NO_FIX_RESOLUTIONS = ("Won't Do", "Won't Fix", "Duplicate", "Cannot Reproduce", "Declined")
ALWAYS_ON = "24/7"


class PersonSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    role: PersonRole
    roles: dict[str, PersonRole] = {}  # client name -> the role this person plays there, instead of role
    clients: list[str] = []  # the clients this contact works for: only their surveys ask this person
    github: str | None = None
    jira: str | list[str] | None = None
    emails: list[str] = []

    @property
    def jira_ids(self) -> list[str]:
        if self.jira is None:
            return []
        return [self.jira] if isinstance(self.jira, str) else list(self.jira)

    def role_at(self, client: str) -> PersonRole:
        """Return the role this person plays for one client."""
        return self.roles.get(client, self.role)

    def is_contact_of(self, client: str) -> bool:
        """Tell whether this person is one of the client's own contacts: a client person there who names it."""
        return self.role_at(client) == "client" and client in self.clients

    def identities(self) -> list[tuple[str, str]]:
        """Return (kind, identity) for every identity listed, compared as the roster compares them."""
        found = [("github", self.github.lower())] if self.github else []
        found += [("jira", jira_id) for jira_id in self.jira_ids]
        found += [("email", email.lower()) for email in self.emails]
        return list(dict.fromkeys(found))


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
    no_fix_resolutions: list[str] = list(NO_FIX_RESOLUTIONS)  # Jira resolutions that close a bug without a fix
    reopen: Literal["resume", "new_cycle"] = "resume"  # a reopened bug resumes its clock or starts a new one

    @field_validator("no_fix_resolutions")
    @classmethod
    def _resolution_names(cls, value: list[str]) -> list[str]:
        if any(not name.strip() for name in value):
            raise ValueError("a resolution name is empty; write the names as Jira shows them, like Won't Fix")
        return value


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


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ReportChannel = Literal["email", "slack_webhook"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def is_email(text: str) -> bool:
    """Tell whether a recipient is written as an e-mail address (else it names a person id)."""
    return bool(_EMAIL.match(text))


class ReportSpec(_Strict):
    """Who gets the weekly one-on-one report and the disagreement warnings, on which day and how."""

    enabled: bool = False
    to: list[str] = []  # person ids (their first e-mail is used) or e-mail addresses
    day: str = "monday"  # the day of the week the report of the week before is sent, in the client's time zone
    channel: list[ReportChannel] = ["email"]
    slack_webhook: str | None = Field(default=None, pattern=r"^https?://")
    disagreement_warnings: bool = True

    @field_validator("day", mode="before")
    @classmethod
    def _weekday(cls, value: Any) -> Any:
        day = str(value).strip().lower()
        if day not in WEEKDAYS:
            raise ValueError(f"{value!r} is not a day of the week; write one of {', '.join(WEEKDAYS)}")
        return day

    @field_validator("channel", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        chosen = [value] if isinstance(value, str) else value
        if isinstance(chosen, list) and not chosen:
            raise ValueError("names no channel; write email, slack_webhook, or both as [email, slack_webhook]")
        if isinstance(chosen, list):
            for name in chosen:
                if name not in ("email", "slack_webhook"):
                    raise ValueError(f"{name!r} is not a channel; write email, slack_webhook, or both")
            return list(dict.fromkeys(chosen))
        return value

    @field_validator("to", mode="before")
    @classmethod
    def _recipients(cls, value: Any) -> Any:
        chosen = [value] if isinstance(value, str) else value
        if isinstance(chosen, list):
            for entry in chosen:
                text = str(entry).strip()
                if not (is_email(text) or _PERSON_ID.match(text)):
                    raise ValueError(f"{entry!r} is neither a person id from people: nor an e-mail address "
                                     "like anna@example.com")
            return [str(entry).strip() for entry in chosen]
        return value

    @model_validator(mode="after")
    def _can_be_sent(self) -> ReportSpec:
        if not self.enabled:
            return self
        if "email" in self.channel and not self.to:
            raise ValueError("the report is switched on for e-mail but to: names nobody; list person ids or "
                             "e-mail addresses, or set enabled: false")
        if "slack_webhook" in self.channel and self.slack_webhook is None:
            raise ValueError("the report is sent to slack_webhook but no slack_webhook: address is given; add the "
                             "channel's incoming-webhook URL")
        return self


class ClientSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    github_repos: list[str] = []
    jira_projects: list[str] = []
    unknown_authors: Literal["client", "developer", "ignore"] = "client"
    since: date | None = None  # the contract's first day, in the client's time zone: nothing earlier counts
    effective_from: date | None = None  # the day these terms took effect (default: when first loaded)
    calendar: CalendarSpec = CalendarSpec()
    targets: TargetsSpec = TargetsSpec()
    production_bug: ProductionBugSpec = ProductionBugSpec()
    pause_statuses: list[str] = []
    bug_fix_calendar: Literal["business", "24/7"] = "business"
    glossary: list[str] = []  # words this client knows: never flagged as jargon
    plain_words: dict[str, str] = {}  # term -> the plain alternative to suggest
    alignment: AlignmentSpec = AlignmentSpec()
    alerts: AlertsSpec = AlertsSpec()
    report: ReportSpec = ReportSpec()
    survey: SurveySpec = SurveySpec()

    @field_validator("since", "effective_from", mode="before")
    @classmethod
    def _a_day(cls, value: Any) -> Any:
        if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
            return value
        if isinstance(value, datetime):
            raise ValueError("must be a day without a time of day; write it like 2026-03-01")
        if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        shown = f"{value!r} " if isinstance(value, str | int) else ""
        raise ValueError(f"{shown}is not a day; write it like 2026-03-01")

    @field_validator("calendar", mode="before")
    @classmethod
    def _always_on(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip() == ALWAYS_ON:
            return CalendarSpec(timezone="UTC", working_hours=ALWAYS_ON)
        raise ValueError(f"{value!r} is not a calendar; write 24/7, or give timezone:, working_hours: and holidays:")

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

    @model_validator(mode="after")
    def _one_identity_per_person(self) -> ContractsSpec:
        owners: dict[tuple[str, str], str] = {}
        for person in self.people:
            for kind, identity in person.identities():
                first = owners.setdefault((kind, identity), person.id)
                if first != person.id:
                    raise ValueError(
                        f"people: the {_IDENTITY_WORDS[kind]} {identity!r} is listed for both {first!r} and "
                        f"{person.id!r}; list it once. A person with a different role at different clients is "
                        "one entry with roles: per client"
                    )
        return self

    @model_validator(mode="after")
    def _roles_name_clients(self) -> ContractsSpec:
        known = [c.name for c in self.clients]
        for person in self.people:
            for key, names in (("roles", list(person.roles)), ("clients", person.clients)):
                unknown = [name for name in names if name not in known]
                if unknown:
                    raise ValueError(
                        f"people[{person.id}].{key}: {', '.join(map(repr, unknown))} "
                        f"{'is not a client' if len(unknown) == 1 else 'are not clients'} in this file; "
                        f"known clients: {', '.join(known) or 'none'}"
                    )
            for name in person.clients:
                if person.role_at(name) != "client":
                    raise ValueError(
                        f"people[{person.id}].clients: {person.id!r} is a {person.role_at(name)} at {name}, but "
                        f"clients: lists the clients a client contact works for; take {name} out, or write "
                        f"roles: {{{name}: client}} if {person.id!r} is {name}'s own person"
                    )
        return self

    @model_validator(mode="after")
    def _surveys_reach_someone(self) -> ContractsSpec:
        people = {p.id: p for p in self.people}
        for client in self.clients:
            survey = client.survey
            if not survey.enabled:
                continue
            where = f"clients[{client.name}].survey"
            for pid in survey.people:
                problem = _not_a_contact(people.get(pid), pid, client.name)
                if problem:
                    raise ValueError(f"{where}.people: {problem}")
            asked = survey_contacts(self.people, client)
            if not asked:
                raise ValueError(f"{where}: surveys are on but {client.name} has no contact to ask; write "
                                 f"clients: [{client.name}] on each of its people with role client, or list them "
                                 "in survey.people:")
            if survey.email and not survey.slack_webhook and not any(p.emails for p in asked):
                raise ValueError(f"{where}: surveys go by e-mail but no client contact of {client.name} has an "
                                 "e-mail; add emails: to them, or give slack_webhook:")
        return self

    @model_validator(mode="after")
    def _report_recipients_are_reachable(self) -> ContractsSpec:
        people = {p.id: p for p in self.people}
        for client in self.clients:
            for entry in client.report.to:
                if is_email(entry):
                    continue
                person = people.get(entry)
                if person is None:
                    raise ValueError(f"clients[{client.name}].report.to: {entry!r} is not a person id in people:; "
                                     "add the person with an e-mail, or write the e-mail address itself")
                # Another client's contact must never read this client's report, whatever their role here.
                elsewhere = [n for n in person.clients if n != client.name and person.is_contact_of(n)]
                if elsewhere or person.role_at(client.name) == "client":
                    whose = (f"a client contact of {', '.join(elsewhere)}" if elsewhere
                             else f"a client person at {client.name}")
                    raise ValueError(f"clients[{client.name}].report.to: {entry!r} is {whose}; the weekly report "
                                     "is internal, so send it to an account manager")
                if not person.emails and "email" in client.report.channel:
                    raise ValueError(f"clients[{client.name}].report.to: {entry!r} has no e-mail in people:; "
                                     "add emails: to that person, or write the e-mail address itself")
        return self


def survey_contacts(people: list[PersonSpec], client: ClientSpec) -> list[PersonSpec]:
    """Return whom the client's survey asks: those in survey.people, else its people who name it in clients:.

    A person with role client who names no client is asked by no survey: role client alone would make them a
    contact of every client, and a client's people must never be asked about, or learn of, another client.
    """
    if client.survey.people:
        listed = set(client.survey.people)
        return [p for p in people if p.id in listed]
    return [p for p in people if p.is_contact_of(client.name)]


def _not_a_contact(person: PersonSpec | None, pid: str, client: str) -> str | None:
    """Say why a survey.people entry cannot be asked for this client, or None when it can."""
    if person is None:
        return f"{pid!r} is not a person in people:; list the ids of {client}'s own contacts"
    if person.role_at(client) != "client":
        return (f"{pid!r} is not a person with role client at {client} (a {person.role_at(client)}); list "
                f"{client}'s own contacts only")
    if person.clients and client not in person.clients:
        return (f"{pid!r} is a contact of {', '.join(person.clients)}, not of {client}; add {client} to their "
                f"clients: if they work for {client} too, or leave them out")
    return None


_IDENTITY_WORDS = {"github": "GitHub login", "jira": "Jira account id", "email": "e-mail"}


def _no_repeats(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what}: {value!r} is listed twice; each must appear once")
        seen.add(value)
