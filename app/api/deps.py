"""Request dependencies: database session, contracts, authentication."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.api.problems import ProblemError
from app.contracts import Contracts
from app.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An API token from PULSE_API_TOKENS.")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_contracts(request: Request) -> Contracts:
    return request.app.state.contracts


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Accept only a known bearer token, compared in constant time."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ProblemError(401, "Sign in with an API token: send the header 'Authorization: Bearer <token>'.",
                           headers=challenge)
    given = _digest(credentials.credentials)
    known: list[bytes] = request.app.state.token_digests
    matched = False
    for digest in known:
        matched |= hmac.compare_digest(given, digest)
    if not matched:
        raise ProblemError(401, "This API token is not valid. Ask an administrator for a current one.",
                           headers=challenge)
    return "admin"


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ContractsDep = Annotated[Contracts, Depends(get_contracts)]
TokenDep = Annotated[str, Depends(require_token)]
