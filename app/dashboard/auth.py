"""Sign-in for the dashboard: an API token kept in an HTTP-only cookie, checked exactly as the API checks it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.core.tokens import Caller, KnownToken, match_configured, match_stored

COOKIE = "pulse_session"
COOKIE_DAYS = 14
MAX_TOKEN = 512
MAX_FORM_BYTES = 4096


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in viewer; answered with a redirect to /login."""

    def __init__(self, target: str, *, expired: bool) -> None:
        super().__init__(target)
        self.target = target
        self.expired = expired


def check_token(app: FastAPI, token: str) -> Caller | None:
    """Return who a token belongs to (any scope), or None: PULSE_API_TOKENS first, then created tokens."""
    if not token or len(token) > MAX_TOKEN:
        return None
    known: list[KnownToken] = app.state.api_tokens
    caller = match_configured(token, known)
    if caller is None:
        with app.state.sessionmaker() as session:
            caller = match_stored(session, token)
    return caller


def require_viewer(request: Request) -> Caller:
    """Accept a request whose cookie holds a valid token; otherwise send the browser to sign in.

    Checked once per request: the page check (app.dashboard.audience) and the page itself share the answer.
    """
    known = getattr(request.state, "viewer", None)
    if isinstance(known, Caller):
        return known
    token = request.cookies.get(COOKIE)
    caller = check_token(request.app, token) if token else None
    if caller is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target, expired=token is not None)
    request.state.viewer = caller
    return caller


ViewerDep = Annotated[Caller, Depends(require_viewer)]


def safe_target(target: str | None) -> str:
    """Keep a post-sign-in target only when it is a path on this site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    if any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def login_url(target: str, *, expired: bool = False) -> str:
    url = "/login"
    params = []
    if target != "/":
        params.append(f"next={quote(target, safe='/')}")
    if expired:
        params.append("expired=1")
    return url + ("?" + "&".join(params) if params else "")


def redirect_to_login(request: Request, exc: Exception) -> Response:
    """Answer SignInRequired: see-other to /login, dropping a cookie that no longer signs anyone in."""
    assert isinstance(exc, SignInRequired)
    response = RedirectResponse(login_url(safe_target(exc.target), expired=exc.expired), status_code=303)
    if exc.expired:
        forget(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def same_origin(request: Request) -> bool:
    """Tell whether a form was posted from this site (browsers send Origin on every cross-site POST)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def remember(response: Response, request: Request, token: str) -> None:
    """Store the token in the cookie: HTTP-only, SameSite=Lax, Secure over https."""
    response.set_cookie(COOKIE, token, max_age=COOKIE_DAYS * 86400, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


async def read_form(request: Request) -> dict[str, str]:
    """Read a small url-encoded form body (the sign-in form) without a multipart parser."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items() if values}
