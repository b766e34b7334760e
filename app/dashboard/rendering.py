"""Templates and the headers every dashboard page is sent with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from starlette.templating import Jinja2Templates

from app.reports.formats import utc_text
from metrics.calendar import local_date, local_time_text

# The pages need no script and nothing from elsewhere; the policy says so, so an injected tag would do nothing.
CONTENT_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                  "frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(moment: datetime | None) -> str:
    """Say a moment briefly in UTC: 'Mon 2 Mar 09:14 UTC'."""
    if moment is None:
        return "–"
    at = moment.astimezone(UTC)
    return f"{at:%a} {at.day} {at:%b %H:%M} UTC"


@pass_context
def when_at(context: Any, moment: datetime | None, client: str) -> str:
    """Say a moment in the client's own time, then in UTC: 'Mon 2 Mar 10:05 Europe/Kyiv time (08:05 UTC)'."""
    spec = context["request"].app.state.contracts.clients.get(client)
    if moment is None or spec is None or spec.calendar.timezone == "UTC":
        return when(moment)
    calendar = spec.calendar
    utc = when(moment)
    same_day = local_date(moment, calendar) == moment.astimezone(UTC).date()
    return f"{local_time_text(moment, calendar)} ({f'{moment.astimezone(UTC):%H:%M} UTC' if same_day else utc})"


def day(value: date | datetime) -> str:
    """Say a day: '2 Mar 2026'."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return f"{value.day} {value:%b %Y}"


def sentence(text: str) -> str:
    """Start a phrase with a capital letter, leaving the rest as written (time zones, holidays)."""
    return text[:1].upper() + text[1:]


def make_templates() -> Jinja2Templates:
    """Load the dashboard's templates, escaping every value unless a view marks it safe (the SVG charts)."""
    env = Environment(loader=PackageLoader("app.dashboard", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=when, when_at=when_at, iso=utc_text, day=day, sentence=sentence)
    return Jinja2Templates(env=env)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the dashboard's headers."""
    templates: Jinja2Templates = request.app.state.dashboard_templates
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response
