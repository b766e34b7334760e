"""Request dependencies of the API: the shared ones (``app.core.web``) and bearer tokens with read, admin and
client scopes (what a client token may reach is decided in ``app.api.audience``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ProblemError
from app.core.tokens import Caller, KnownToken, SignInLimiter, match_configured, match_stored
from app.core.web import ContractsDep, SessionDep, SettingsDep
from metrics.wording import wait_in_words

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token: an entry of PULSE_API_TOKENS (`read:<token>` for read-only, `client:<name>:<token>` "
    "for one client's own view) or one made with `pulse token create --name X --scope read|admin|client:<name>`. "
    "A client token sees that client's promises only: its contract, figures, clocks and work items (no internal "
    "notes, no per-developer figures); every other route answers it 403.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    """Accept only a known, unrevoked bearer token."""
    return check_bearer(request, credentials)


def check_bearer(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """Return who the bearer token belongs to, or raise a 401 problem."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ProblemError(401, "Sign in with an API token: send the header 'Authorization: Bearer <token>'.",
                           headers=_CHALLENGE)
    limiter: SignInLimiter = request.app.state.sign_in_limiter
    address = request.client.host if request.client else "unknown"
    wait = limiter.wait_seconds(address)
    if wait:
        raise ProblemError(429, f"Too many wrong API tokens from this address. Try again in {wait_in_words(wait)}.",
                           headers={"Retry-After": str(wait)})
    token = credentials.credentials
    known: list[KnownToken] = request.app.state.api_tokens
    caller = match_configured(token, known)
    if caller is None:
        with request.app.state.sessionmaker() as session:
            caller = match_stored(session, token)
    if caller is None:
        limiter.failed(address)
        raise ProblemError(401, "This API token is not valid or was revoked. Ask an administrator for a current one.",
                           headers=_CHALLENGE)
    return caller


def require_admin(caller: Annotated[Caller, Depends(require_token)]) -> Caller:
    """Accept only a token with the admin scope."""
    if not caller.is_admin:
        raise ProblemError(403, "This token may only read. Changing things needs an admin token: a plain entry "
                                "of PULSE_API_TOKENS, or one made with 'pulse token create --scope admin'.")
    return caller


ReadDep = Annotated[Caller, Depends(require_token)]
AdminDep = Annotated[Caller, Depends(require_admin)]

__all__ = ["AdminDep", "ContractsDep", "ReadDep", "SessionDep", "SettingsDep", "bearer_scheme", "check_bearer"]
