"""The API's one error type and its answer: RFC 9457 problem details, in words a delivery manager understands.

A leaf module: routers, dependencies and the handlers in ``app.api.problems`` all raise or send these.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.reports.schemas import TIME_HINT

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Format not available",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported content type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Temporarily unavailable",
}

DESCRIPTIONS = {
    401: "Missing, wrong or revoked API token.",
    403: "The token may only read; this needs an admin token.",
    404: "Nothing with that name or id.",
    422: "A parameter is wrong; `errors` lists each one.",
    429: "Too many wrong API tokens from this address; retry after the Retry-After seconds.",
    503: "The database is unavailable; retry after the Retry-After seconds.",
}

class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No developer with id 'x'. GET /v1/developers lists them."])
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Each problem with the request: the field and what is wrong with it.",
        examples=[[{"field": "since", "problem": f"has no time zone; {TIME_HINT}"}]],
    )


class ProblemError(Exception):
    """Raise to answer with a problem details response."""

    def __init__(
        self, status: int, detail: str, *, headers: dict[str, str] | None = None, errors: list[Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.errors = errors


def problem_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """Describe problem answers for the OpenAPI schema (media type application/problem+json)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {
            "description": descriptions.get(f"d{code}", DESCRIPTIONS.get(code, TITLES.get(code, "Error"))),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


def problem_response(
    status: int, detail: str, *, headers: dict[str, str] | None = None, errors: list[Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)
