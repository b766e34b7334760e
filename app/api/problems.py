"""Answer every error as problem details (see ``app.api.errors``), and publish their schema in OpenAPI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.deps import bearer_scheme, check_bearer
from app.api.errors import (
    DESCRIPTIONS,
    PROBLEM_JSON,
    TIME_HINT,
    TITLES,
    Problem,
    ProblemError,
    problem_response,
    problem_responses,
)

log = logging.getLogger("pulse.api")

_FRIENDLIER = {
    "timezone_aware": f"has no time zone; {TIME_HINT}",
    "datetime_from_date_parsing": f"is not a time; {TIME_HINT}",
    "datetime_parsing": f"is not a time; {TIME_HINT}",
    "datetime_type": f"is not a time; {TIME_HINT}",
    "missing": "is required",
}


def _explain_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header")]
        problem = _FRIENDLIER.get(str(err.get("type")), str(err.get("msg", "is invalid")))
        if str(err.get("type")) == "value_error":
            problem = str(err.get("msg", "")).removeprefix("Value error, ")
        errors.append({"field": ".".join(loc) or "request", "problem": problem})
    if any(str(err.get("type")) == "json_invalid" for err in exc.errors()):
        return "The body is not valid JSON; send a JSON object as the endpoint describes.", errors
    first = errors[0] if errors else {"field": "request", "problem": "is invalid"}
    return f"The parameter {first['field']!r} is wrong: {first['problem']}.", errors


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem details."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.status, exc.detail, headers=exc.headers, errors=exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI reads the body before it checks the token: say "sign in" first, not what the body lacks.
        if request.url.path.startswith("/v1"):
            try:
                await run_in_threadpool(check_bearer, request, await bearer_scheme(request))
            except ProblemError as problem:
                return problem_response(problem.status, problem.detail, headers=problem.headers)
        detail, errors = _explain_validation(exc)
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address. See /docs for the available endpoints."
        elif exc.status_code == 405:
            allow = _allowed_methods(request) or (getattr(exc, "headers", None) or {}).get("Allow", "")
            detail = f"{request.method} is not available at this address; it answers {allow or 'nothing'}."
            return problem_response(405, detail, headers={"Allow": allow})
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            return problem_response(422, "The body is not valid JSON text (UTF-8); send a JSON object as the "
                                         "schema shows.", errors=[{"field": "body", "problem": "is not valid JSON"}])
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return problem_response(503, "The database is unavailable right now. Retry in a few seconds.",
                                headers={"Retry-After": "5"})

    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError) -> JSONResponse:
        return problem_response(422, "A parameter holds a value the database cannot compare (for example a NUL "
                                     "character); remove it and try again.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(500, "Something went wrong on our side; the error is logged. Try again, and tell "
                                     "the Delivery Pulse maintainers if it keeps happening.")


def _routes(app: FastAPI) -> list[Any]:
    try:  # FastAPI >= 0.150 nests included routers; this flattens them
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def _allowed_methods(request: Request) -> str:
    # Starlette names only the first route that matches the path; a path served by several routes
    # (GET and POST apart) answers every method they serve.
    # A fixed path (/v1/contracts/reload) outranks a template that also matches it (/v1/contracts/{name}).
    fixed: set[str] = set()
    templated: set[str] = set()
    for route in _routes(request.app):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.scope["path"]):
            into = templated if "{" in (getattr(route, "path", "") or "") else fixed
            into |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(fixed or templated))


def install_problem_schema(app: FastAPI) -> None:
    """Publish the Problem schema in the OpenAPI components, where problem responses refer to it."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    _as_problem(code, response)
                if path.startswith("/v1/"):  # every /v1 request checks a token: it reads the database, and
                    # an address that sent too many wrong ones must wait
                    operation["responses"].setdefault("429", problem_responses(429)[429])
                    operation["responses"].setdefault("503", problem_responses(503)[503])
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_PROBLEM_REFS = {f"#/components/schemas/{name}" for name in ("Problem", "HTTPValidationError")}


def _as_problem(code: str, response: dict[str, Any]) -> None:
    # Errors are always sent as application/problem+json (the handlers above), whatever a route declared.
    content = response.get("content", {})
    declared = content.get("application/json", {}).get("schema", {}).get("$ref")
    if declared in _PROBLEM_REFS:
        del content["application/json"]
        content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}
        if code == "422" and declared.endswith("HTTPValidationError"):
            response["description"] = DESCRIPTIONS[422]
