"""Which pages a client token may open: every dashboard route is classified here, and one dependency applies it.

A read or admin token opens every page. A client token (`client:<name>`) opens its own promises page and the
evidence of its own work items; the overview and its own client page send it to its promises page, and every
other page (other clients, developers, anything not classified) answers a plain 403 page.
``tests/dashboard/test_client_pages.py`` walks the route table and fails on an unclassified route.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app.contracts import Contracts
from app.core.tokens import Caller
from app.dashboard.auth import require_viewer
from app.dashboard.filters import DEFAULT_PERIOD, PERIOD_WORDS, Filters
from app.dashboard.rendering import render


class PageAccess(StrEnum):
    PUBLIC = "public"  # signing in and out, and the survey a client opens from its link
    OWN_CLIENT = "own_client"  # a client token sees its own client's part only
    STAFF_ONLY = "staff_only"  # the company's own pages


PAGE_ACCESS: dict[str, PageAccess] = {
    "GET /login": PageAccess.PUBLIC,
    "POST /login": PageAccess.PUBLIC,
    "POST /logout": PageAccess.PUBLIC,
    "GET /": PageAccess.OWN_CLIENT,  # a client token is sent to its promises page
    "GET /clients/{name}": PageAccess.OWN_CLIENT,  # its own name only: sent to its promises page
    "GET /items/{source}/{key:path}": PageAccess.OWN_CLIENT,  # its own items, without internal notes
    "GET /promises": PageAccess.OWN_CLIENT,
    "GET /promises/print": PageAccess.OWN_CLIENT,
    "GET /developers/{person_id}": PageAccess.STAFF_ONLY,
    # A survey link is its own capability (signed, expiring, one request): no sign-in, whoever holds it.
    "GET /survey/{token}": PageAccess.PUBLIC,
    "POST /survey/{token}": PageAccess.PUBLIC,
    "GET /survey/unsubscribe/{token}": PageAccess.PUBLIC,
    "POST /survey/unsubscribe/{token}": PageAccess.PUBLIC,
}

STAFF_PAGE_TEXT = ("This page is for the team's own use. Your sign-in shows your own promises: "
                   "open “Your promises” above.")
OTHER_CLIENT_PAGE_TEXT = "Your sign-in shows your own company's promises only."
PER_DEVELOPER_PAGE_TEXT = "Figures per developer are for the team's own use; your page shows the whole team's."
GONE_PAGE_TEXT = ("Your sign-in no longer shows anything: your company is not in the contracts any more. "
                  "Ask your account manager for a current token.")


class PageRefused(Exception):
    """Raised for a page a client token may not open; answered with a plain 403 page."""

    def __init__(self, message: str, viewer: Caller) -> None:
        super().__init__(message)
        self.message = message
        self.viewer = viewer


def page_key(method: str, path: str) -> str:
    return f"{method} {path}"


def page_keys(route: Any) -> list[str]:
    """Name a route once per method, as PAGE_ACCESS does (HEAD is served with GET)."""
    return [page_key(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]


def check_page(request: Request) -> None:
    """Let a page through, or refuse it to a client token; sign-in is checked here for every non-public page."""
    route = request.scope.get("route")
    key = page_key(request.method if request.method != "HEAD" else "GET", route.path) \
        if isinstance(route, APIRoute) else ""
    access = PAGE_ACCESS.get(key, PageAccess.STAFF_ONLY)
    if access is PageAccess.PUBLIC:
        return
    viewer = require_viewer(request)
    if not viewer.is_client:
        return
    if access is not PageAccess.OWN_CLIENT:
        raise PageRefused(STAFF_PAGE_TEXT, viewer)
    contracts: Contracts = request.app.state.contracts
    if viewer.client not in contracts.clients:
        raise PageRefused(GONE_PAGE_TEXT, viewer)
    named = request.path_params.get("name") or request.query_params.get("client")
    if named is not None and named != viewer.client:
        raise PageRefused(OTHER_CLIENT_PAGE_TEXT, viewer)
    if request.query_params.get("developer"):
        raise PageRefused(PER_DEVELOPER_PAGE_TEXT, viewer)


def answer_refused(request: Request, exc: Exception) -> Response:
    """Answer PageRefused with a plain page that names no other client."""
    assert isinstance(exc, PageRefused)
    own = exc.viewer.client
    context = {"title": "Not available", "viewer": exc.viewer, "filters": Filters(DEFAULT_PERIOD, None, None, ()),
               "periods": PERIOD_WORDS, "clients": [own] if own else [], "path": request.url.path,
               "show_filters": False, "message": exc.message}
    return render(request, "refused.html", context, status_code=403)
