"""The contract's survey: keys: whom of the client's people to ask, when, how, and for how long a link works."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_UNITS = {"day": "d", "days": "d", "hour": "h", "hours": "h", "minute": "m", "minutes": "m"}
_SPAN = re.compile(r"^\s*(\d+)\s*(d|h|m|days?|hours?|minutes?)\s*$", re.IGNORECASE)
_SPAN_HINT = "write it like 3 days, 36 hours or 3d"


def parse_span(value: Any, *, off_allowed: bool) -> int | None:
    """Read a span like ``3 days``, ``36 hours`` or ``3d`` as seconds; ``off`` (or false) is None when allowed."""
    if off_allowed and (value is None or value is False or (isinstance(value, str) and value.strip() == "off")):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if value is False or value is None:
        raise ValueError(f"cannot be off: a link must stop working some day; {_SPAN_HINT}")
    match = _SPAN.match(str(value)) if isinstance(value, str) else None
    if not match or int(match[1]) <= 0:
        hint = f"{_SPAN_HINT}{', or off' if off_allowed else ''}"
        raise ValueError(f"{value!r} is not a length of time; {hint}")
    unit = _UNITS.get(match[2].lower(), match[2].lower())
    return int(match[1]) * {"d": 86400, "h": 3600, "m": 60}[unit]


class SurveySpec(BaseModel):
    """Ask the client's own people how the team is doing: off unless after_bug_fix or every is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after_bug_fix: bool = False  # ask once a production bug's clock stops as met or missed
    every: Literal["week", "month"] | None = None  # and/or ask about each whole week or month
    email: bool = True  # to each client contact's first e-mail address
    slack_webhook: str | None = Field(default=None, pattern=r"^https://")  # a channel shared with the client
    people: list[str] = []  # only these contacts (person ids); empty: the people who name this client in clients:
    remind_after: int | None = 3 * 86400  # seconds; None: no reminder
    link_lifetime: int = 14 * 86400  # seconds a link can be answered for

    @property
    def enabled(self) -> bool:
        return self.after_bug_fix or self.every is not None

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if value is None or value in ("week", "month"):
            return value
        raise ValueError(f"{value!r} is not how often to ask; write week or month, or leave it out")

    @field_validator("remind_after", mode="before")
    @classmethod
    def _remind(cls, value: Any) -> int | None:
        return parse_span(value, off_allowed=True)

    @field_validator("link_lifetime", mode="before")
    @classmethod
    def _lifetime(cls, value: Any) -> int | None:
        seconds = parse_span(value, off_allowed=False)
        if seconds is not None and seconds > 90 * 86400:
            raise ValueError(f"{value!r} is longer than 90 days; a survey link works for at most 90 days")
        return seconds

    @model_validator(mode="after")
    def _reachable(self) -> SurveySpec:
        if self.enabled and not self.email and not self.slack_webhook:
            raise ValueError("surveys are on but go nowhere: keep email: true or give slack_webhook:")
        if self.remind_after is not None and self.remind_after >= self.link_lifetime:
            raise ValueError("remind_after must be shorter than link_lifetime, or the reminder comes after the "
                             "link stopped working")
        return self
