"""Who may see what: every /v1 route is classified here, and one dependency applies it to every request.

A read or admin token sees every client. A client token (`client:<name>`) sees that client's own promises only:
the routes marked ``OWN_CLIENT`` answer it narrowed to its client, every other route refuses it. The dependency
``resolve_audience`` is attached to every /v1 router (``app.main``), so a route is refused to client tokens until
it is classified here; ``tests/api/test_client_scope.py`` walks the route table and fails on an unclassified one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from app.api.deps import ContractsDep, ReadDep
from app.api.errors import ProblemError
from app.core.tokens import Caller
from app.reports.schemas import ClockOut


class RouteAccess(StrEnum):
    OWN_CLIENT = "own_client"  # a client token is answered with its own client's data only
    STAFF_ONLY = "staff_only"  # the company's own use: per-developer figures, plain language, operations, admin


ROUTE_ACCESS: dict[str, RouteAccess] = {
    "GET /v1/metrics/responsiveness": RouteAccess.OWN_CLIENT,
    "GET /v1/metrics/bug-fix": RouteAccess.OWN_CLIENT,
    "GET /v1/metrics/alignment": RouteAccess.STAFF_ONLY,  # the company's reading of the client's own mood
    "GET /v1/metrics/plain-language": RouteAccess.STAFF_ONLY,  # scores of individual developers' messages
    "GET /v1/clocks": RouteAccess.OWN_CLIENT,
    "GET /v1/developers": RouteAccess.STAFF_ONLY,
    "GET /v1/developers/{developer_id}": RouteAccess.STAFF_ONLY,
    "GET /v1/clients": RouteAccess.OWN_CLIENT,
    "GET /v1/clients/{client_name}": RouteAccess.OWN_CLIENT,
    "GET /v1/work-items/{source}/{key:path}": RouteAccess.OWN_CLIENT,
    "GET /v1/contracts": RouteAccess.OWN_CLIENT,
    "GET /v1/contracts/{client_name}": RouteAccess.OWN_CLIENT,
    "POST /v1/contracts/reload": RouteAccess.STAFF_ONLY,
    "GET /v1/feedback": RouteAccess.OWN_CLIENT,
    "POST /v1/feedback": RouteAccess.STAFF_ONLY,
    "POST /v1/sync": RouteAccess.STAFF_ONLY,
    "GET /v1/sync/runs": RouteAccess.STAFF_ONLY,
}

# Metric routes whose default grouping is per developer: a client token must choose week, client or work_item.
_GROUPED_BY_DEVELOPER_BY_DEFAULT = frozenset({"GET /v1/metrics/responsiveness", "GET /v1/metrics/bug-fix"})
_CLIENT_PARAMS = ("client", "client_name")

STAFF_ONLY_TEXT = ("A client token shows that client's own promises only; this is for the team's own use. "
                   "Ask your account manager if you need it.")
OTHER_CLIENT_TEXT = "A client token shows its own client only; leave out the client or name your own."
PER_DEVELOPER_TEXT = ("Figures per developer are for the team's own use. Leave out 'developer', and group "
                      "figures by week, work_item or client (for example group_by=week).")
GONE_TEXT = ("This token's client is no longer in the contracts, so it shows nothing. "
             "Ask your account manager for a current token.")


@dataclass(frozen=True, slots=True)
class Audience:
    """The clients a caller may see: every client (``client`` None) or one client's own view."""

    caller: Caller
    client: str | None = None

    @property
    def is_client(self) -> bool:
        return self.client is not None

    def narrow(self, requested: str | None) -> str | None:
        """Return the client an answer is about: the caller's own for a client token, else the one asked for."""
        return self.client if self.client is not None else requested

    def sees(self, client: str | None) -> bool:
        return self.client is None or client == self.client

    def clock(self, clock: ClockOut) -> ClockOut:
        """Show a clock to this audience: a client sees who was credited, not each holder's share of a bug."""
        return clock.model_copy(update={"holders": []}) if self.is_client else clock


def route_key(method: str, path: str) -> str:
    return f"{method} {path}"


def route_keys(route: Any) -> list[str]:
    """Name a route (an APIRoute, or a route context of the app's table) once per method, as ROUTE_ACCESS does."""
    return [route_key(method, route.path) for method in sorted(route.methods or ())]


def resolve_audience(request: Request, caller: ReadDep, contracts: ContractsDep) -> Audience:
    """Resolve which clients the caller may see, refusing a client token what is not classified for it."""
    if not caller.is_client:
        return Audience(caller)
    route = request.scope.get("route")
    key = route_key(request.method, route.path) if isinstance(route, APIRoute) else ""
    if ROUTE_ACCESS.get(key) is not RouteAccess.OWN_CLIENT:
        raise ProblemError(403, STAFF_ONLY_TEXT)
    own = caller.client
    if own is None or own not in contracts.clients:
        raise ProblemError(403, GONE_TEXT)
    named = [request.path_params.get(p) or request.query_params.get(p) for p in _CLIENT_PARAMS]
    # The same answer for a client that exists and one that does not: a client token learns nothing of others.
    if any(name is not None and name != own for name in named):
        raise ProblemError(403, OTHER_CLIENT_TEXT)
    if "developer" in request.query_params:
        raise ProblemError(403, PER_DEVELOPER_TEXT)
    if key in _GROUPED_BY_DEVELOPER_BY_DEFAULT and request.query_params.get("group_by", "developer") == "developer":
        raise ProblemError(403, PER_DEVELOPER_TEXT)
    return Audience(caller, own)


AudienceDep = Annotated[Audience, Depends(resolve_audience)]
