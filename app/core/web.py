"""What every request reads from the application: its settings, a database session and the contracts.

Shared by the API routers and the dashboard pages, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.contracts import Contracts
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        yield session


def get_contracts(request: Request) -> Contracts:
    return request.app.state.contracts


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ContractsDep = Annotated[Contracts, Depends(get_contracts)]
