"""Request dependencies: database session, contracts, authentication with read and admin scopes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.api.problems import ProblemError
from app.contracts.roster import Contracts
from app.core.tokens import Caller, KnownToken, match_configured, match_stored
from app.settings import Settings

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token: an entry of PULSE_API_TOKENS (`read:<token>` for read-only) or one made with "
    "`pulse token create --name X --scope read|admin`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_contracts(request: Request) -> Contracts:
    return request.app.state.contracts


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
    token = credentials.credentials
    known: list[KnownToken] = request.app.state.api_tokens
    caller = match_configured(token, known)
    if caller is None:
        with request.app.state.sessionmaker() as session:
            caller = match_stored(session, token)
    if caller is None:
        raise ProblemError(401, "This API token is not valid or was revoked. Ask an administrator for a current one.",
                           headers=_CHALLENGE)
    return caller


def require_admin(caller: Annotated[Caller, Depends(require_token)]) -> Caller:
    """Accept only a token with the admin scope."""
    if not caller.is_admin:
        raise ProblemError(403, "This token may only read. Changing things needs an admin token: a plain entry "
                                "of PULSE_API_TOKENS, or one made with 'pulse token create --scope admin'.")
    return caller


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ContractsDep = Annotated[Contracts, Depends(get_contracts)]
ReadDep = Annotated[Caller, Depends(require_token)]
AdminDep = Annotated[Caller, Depends(require_admin)]
# Kept for routers written before scopes existed: any valid token.
TokenDep = ReadDep
