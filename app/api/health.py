"""Liveness and readiness: outside bearer auth, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.core.migrate import schema_status

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    detail: str | None = None


@router.get("/healthz", summary="Is the process up", response_model=Health, response_model_exclude_none=True)
def read_healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Is the database reachable and its schema current",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready: the detail says why."}},
)
def read_readyz(request: Request) -> Health | JSONResponse:
    ok, detail = schema_status(request.app.state.engine)
    if not ok:
        return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)
    return Health(status="ok", detail=detail)
