"""Errors as RFC 9457 problem details, in words a delivery manager understands."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"

_TITLES = {
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


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


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


def problem_response(
    status: int, detail: str, *, headers: dict[str, str] | None = None, errors: list[Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _explain_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header")]
        errors.append({"field": ".".join(loc) or "request", "problem": str(err.get("msg", "is invalid"))})
    first = errors[0] if errors else {"field": "request", "problem": "is invalid"}
    return f"The parameter {first['field']!r} is wrong: {first['problem']}.", errors


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem details."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.detail, headers=exc.headers, errors=exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = _explain_validation(exc)
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address. See /docs for the available endpoints."
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))
