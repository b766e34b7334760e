"""The dashboard's pages: sign-in, the overview, a developer, a client, a work item's evidence, and a client's own
promises page (on screen and printable). Every route passes the page check of app.dashboard.audience first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.core.tokens import Caller, SignInLimiter
from app.core.web import ContractsDep, SessionDep
from app.dashboard.audience import check_page
from app.dashboard.auth import (
    COOKIE,
    ViewerDep,
    check_token,
    forget,
    read_form,
    remember,
    safe_target,
    same_origin,
)
from app.dashboard.client import client_page
from app.dashboard.developer import developer_page
from app.dashboard.evidence import evidence_page
from app.dashboard.filters import PERIOD_WORDS, Filters, developer_choices, read_filters
from app.dashboard.overview import overview
from app.dashboard.promises import LATE_PRINTED, Rating, promises_page, rating_slot
from app.dashboard.rendering import PAGE_HEADERS, render
from app.dashboard.survey import survey_links
from app.reports.clocks import has_clocks, person_name, storable
from metrics.wording import wait_in_words

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_page)])
PROMISES = "/promises"


def _is_developer(session: Session, contracts: Contracts, person_id: str) -> bool:
    """Accept the ids the API accepts: a roster developer, or anyone credited with a clock."""
    person = contracts.people.get(person_id)
    return contracts.is_developer(person_id) if person else storable(person_id) and has_clocks(session, person_id)


def _filters(request: Request, session: Session, contracts: Contracts) -> Filters:
    return read_filters(request.query_params, contracts, lambda pid: _is_developer(session, contracts, pid))


def _page(request: Request, viewer: Caller, contracts: Contracts, filters: Filters, **context: Any) -> dict[str, Any]:
    """Return what every signed-in page shows: who is signed in, the filters and their choices."""
    clients = [viewer.client] if viewer.client is not None else sorted(contracts.clients)
    return {
        "viewer": viewer, "filters": filters, "periods": PERIOD_WORDS, "clients": clients,
        "developers": developer_choices(contracts, filters.developer), "path": request.url.path,
        "developer_name": person_name(filters.developer, contracts) if filters.developer else None,
        "show_filters": True, **context,
    }


def _not_found(request: Request, viewer: Caller, contracts: Contracts, filters: Filters, what: str) -> HTMLResponse:
    context = _page(request, viewer, contracts, filters, title="Not found", missing=what, show_filters=False)
    return render(request, "not_found.html", context, status_code=404)


@router.get("/login", response_class=HTMLResponse)
def read_login(request: Request, target: Annotated[str | None, Query(alias="next")] = None,
               expired: str | None = None, signed_out: str | None = None) -> Response:
    token = request.cookies.get(COOKIE)
    if token and check_token(request.app, token) is not None:
        return RedirectResponse(safe_target(target), status_code=303)
    notice = ("Your sign-in has ended: the token was revoked or changed. Sign in again." if expired else
              "You are signed out." if signed_out else None)
    context = {"title": "Sign in", "target": safe_target(target), "notice": notice, "error": None}
    return render(request, "login.html", context)


@router.post("/login", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    token = form.get("token", "").strip()
    target = safe_target(form.get("next"))
    if not same_origin(request):
        # Another site posting its own token would sign this browser in as someone else.
        context = {"title": "Sign in", "target": "/", "notice": None,
                   "error": "This sign-in came from another site. Sign in from this page instead."}
        return render(request, "login.html", context, status_code=403)
    limiter: SignInLimiter = request.app.state.sign_in_limiter
    address = request.client.host if request.client else "unknown"
    wait = limiter.wait_seconds(address)
    if wait:
        context = {"title": "Sign in", "target": target, "notice": None,
                   "error": f"Too many wrong tokens from this address. Try again in {wait_in_words(wait)}."}
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    caller = await run_in_threadpool(check_token, request.app, token) if token else None
    if caller is None:
        if token:
            limiter.failed(address)
        error = ("Enter an API token." if not token else
                 "This API token is not valid or was revoked. Ask an administrator for a current one.")
        context = {"title": "Sign in", "target": target, "notice": None, "error": error}
        return render(request, "login.html", context, status_code=401)
    limiter.succeeded(address)
    response = RedirectResponse(target, status_code=303)
    remember(response, request, token)
    response.headers.update(PAGE_HEADERS)
    return response


@router.post("/logout")
def sign_out(request: Request) -> Response:
    if not same_origin(request):  # another site must not sign people out (a GET link or a cross-site form)
        return RedirectResponse("/", status_code=303)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    forget(response)
    response.headers.update(PAGE_HEADERS)
    return response


@router.get("/", response_class=HTMLResponse)
def read_overview(request: Request, viewer: ViewerDep, session: SessionDep, contracts: ContractsDep) -> Response:
    if viewer.is_client:
        return RedirectResponse(PROMISES, status_code=303)
    filters = _filters(request, session, contracts)
    model = overview(session, contracts, filters, datetime.now(UTC))
    return render(request, "overview.html", _page(request, viewer, contracts, filters, title="Overview", page=model))


@router.get("/developers/{person_id}", response_class=HTMLResponse)
def read_developer_page(person_id: str, request: Request, viewer: ViewerDep, session: SessionDep,
                        contracts: ContractsDep) -> Response:
    filters = _filters(request, session, contracts)
    if not _is_developer(session, contracts, person_id):
        return _not_found(request, viewer, contracts, filters, f"There is no developer with id {person_id!r}.")
    model = developer_page(session, contracts, person_id, filters, datetime.now(UTC))
    context = _page(request, viewer, contracts, filters, title=model.person["name"], page=model)
    return render(request, "developer.html", context)


@router.get("/clients/{name}", response_class=HTMLResponse)
def read_client_page(name: str, request: Request, viewer: ViewerDep, session: SessionDep, contracts: ContractsDep,
                     breaches: str | None = None) -> Response:
    if viewer.is_client:  # its own name: the page check refused any other
        return RedirectResponse(PROMISES, status_code=303)
    filters = _filters(request, session, contracts)
    if name not in contracts.clients:
        return _not_found(request, viewer, contracts, filters, f"There is no client named {name!r}.")
    try:
        model = client_page(session, contracts, name, filters, datetime.now(UTC), cursor=breaches)
    except ValueError:
        return RedirectResponse(f"{request.url.path}{filters.query()}", status_code=303)
    return render(request, "client.html", _page(request, viewer, contracts, filters, title=name, page=model))


@router.get("/items/{source}/{key:path}", response_class=HTMLResponse)
def read_evidence(source: str, key: str, request: Request, viewer: ViewerDep, session: SessionDep,
                  contracts: ContractsDep) -> Response:
    filters = _filters(request, session, contracts)
    model = evidence_page(session, contracts, source, key, client=viewer.client)
    if model is None:
        return _not_found(request, viewer, contracts, filters, f"No {source} work item {key!r} has been received.")
    title = model.item.title or model.item.key
    context = _page(request, viewer, contracts, filters, title=title, page=model, show_filters=False)
    return render(request, "evidence.html", context)


def _promises_client(request: Request, viewer: Caller, contracts: Contracts) -> str | None:
    """Return whose promises to show: a client token's own; for the team, the client chosen with ?client=."""
    return viewer.client if viewer.client is not None else request.query_params.get("client") or None


def _rating(request: Request, viewer: Caller, contracts: Contracts, name: str, now: datetime) -> Rating | None:
    """Offer the client's own token a signed link to rate its current survey period (surveys on only)."""
    return rating_slot(request.app.state.sessionmaker, contracts, survey_links(request), name, now,
                       own_client=viewer.client == name)


@router.get(PROMISES, response_class=HTMLResponse)
def read_promises(request: Request, viewer: ViewerDep, session: SessionDep, contracts: ContractsDep,
                  late: str | None = None) -> Response:
    filters = _filters(request, session, contracts)
    name = _promises_client(request, viewer, contracts)
    if name is None or name not in contracts.clients:
        return _not_found(request, viewer, contracts, filters, "Choose a client: /promises?client=<name> shows the "
                                                               "page that client sees.")
    now = datetime.now(UTC)
    try:
        model = promises_page(session, contracts, name, now, cursor=late,
                              rating=_rating(request, viewer, contracts, name, now))
    except ValueError:
        return RedirectResponse(request.url.path, status_code=303)
    context = _page(request, viewer, contracts, filters, title=f"{name}: your promises", page=model,
                    show_filters=False)
    return render(request, "promises.html", context)


@router.get(f"{PROMISES}/print", response_class=HTMLResponse)
def read_promises_print(request: Request, viewer: ViewerDep, session: SessionDep, contracts: ContractsDep) -> Response:
    filters = _filters(request, session, contracts)
    name = _promises_client(request, viewer, contracts)
    if name is None or name not in contracts.clients:
        return _not_found(request, viewer, contracts, filters, "Choose a client: /promises/print?client=<name>.")
    now = datetime.now(UTC)
    model = promises_page(session, contracts, name, now, limit=LATE_PRINTED,
                          rating=_rating(request, viewer, contracts, name, now))
    context = _page(request, viewer, contracts, filters, title=f"{name}: your promises", page=model,
                    show_filters=False, printed_at=now)
    return render(request, "promises_print.html", context)
