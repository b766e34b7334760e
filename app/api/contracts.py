"""The contracts: each client's promises in plain words, and a validated reload that recomputes clocks."""

from __future__ import annotations

import logging
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from app.api.audience import AudienceDep
from app.api.deps import AdminDep, ContractsDep, SettingsDep
from app.api.errors import ProblemError, problem_responses
from app.contracts import Contracts, ContractsError, load_contracts
from app.core.db import transaction
from app.reports.promises import ContractOut, contract_out
from app.reports.schemas import PersonOut
from app.store.recompute import recompute_all

log = logging.getLogger("pulse.api")
router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


class ContractsOut(BaseModel):
    source: str = Field(description="The contracts file these were read from: its name, or its full path for an "
                                    "admin token.", examples=["pulse.yaml"])
    clients: list[ContractOut]
    people: list[PersonOut]


class ReloadResult(BaseModel):
    status: str = Field(examples=["reloaded"])
    source: str = Field(examples=["/etc/pulse/pulse.yaml"])
    clients: int = Field(examples=[2])
    people: int = Field(examples=[8])
    clocks: int = Field(description="Clocks recomputed under the new contracts.", examples=[1460])


def _people(contracts: Contracts) -> list[PersonOut]:
    return [PersonOut(id=p.id, name=p.name, role=p.role, github=p.github, jira=p.jira_ids, clients=p.clients,
                      roles=dict(p.roles), in_roster=True)
            for p in contracts.spec.people]


@router.get(
    "",
    summary="List every client's contract and the roster",
    description="What each client was promised, in plain words and in figures, and the people the metrics know "
    "(e-mail addresses left out). A client token gets its own contract only, and no roster.",
    response_model=ContractsOut,
    responses=problem_responses(401),
)
def read_contracts(contracts: ContractsDep, audience: AudienceDep) -> ContractsOut:
    # Where the file lives on the server is for administrators; a read token sees its name only.
    source = contracts.source if audience.caller.is_admin else PurePath(contracts.source).name
    names = [n for n in sorted(contracts.clients) if audience.sees(n)]
    # The roster names other clients' staff: a client token gets none of it.
    people = [] if audience.is_client else _people(contracts)
    return ContractsOut(source=source, clients=[contract_out(contracts.clients[n]) for n in names], people=people)


@router.post(
    "/reload",
    summary="Re-read the contracts file and recompute every clock (admin)",
    description="Validates the file at PULSE_CONTRACTS. A bad file is refused with each problem listed and "
    "nothing changes; a good one replaces the contracts and recomputes all clocks in one transaction.",
    response_model=ReloadResult,
    responses=problem_responses(401, 403, 422, d422="The file is missing or invalid; `errors` lists each problem. "
                                                     "Nothing changed."),
)
def reload_contracts(request: Request, settings: SettingsDep, caller: AdminDep) -> ReloadResult:
    path = settings.contracts
    try:
        fresh = load_contracts(path)
    except ContractsError as exc:
        errors = _errors(str(exc), str(path))
        raise ProblemError(422, f"The contracts file {path} was not loaded: {len(errors)} problem"
                                f"{'s' if len(errors) != 1 else ''}, listed in 'errors'. Nothing changed.",
                           errors=errors) from None
    with transaction(request.app.state.sessionmaker) as session:
        clocks = recompute_all(session, fresh)
    request.app.state.contracts = fresh
    log.info("contracts reloaded from %s by %s: %d clocks recomputed", path, caller.name, clocks)
    return ReloadResult(status="reloaded", source=str(path), clients=len(fresh.clients), people=len(fresh.people),
                        clocks=clocks)


def _errors(message: str, source: str) -> list[dict[str, str]]:
    lines = message.splitlines()
    if not lines or not all(line.startswith(f"{source}: ") for line in lines):
        return [{"field": "file", "problem": message.removeprefix(f"{source}: ")}]
    out = []
    for line in lines:
        field, _, problem = line.removeprefix(f"{source}: ").partition(": ")
        out.append({"field": field, "problem": problem} if problem else {"field": "file", "problem": field})
    return out


@router.get(
    "/{client_name}",
    summary="One client's contract",
    response_model=ContractOut,
    responses=problem_responses(401, 404, d404="No client with that name."),
)
def read_contract(
    client_name: Annotated[str, Path(description="The client's name in the contracts file.", examples=["acme"])],
    contracts: ContractsDep, _: AudienceDep,
) -> ContractOut:
    client = contracts.clients.get(client_name)
    if client is None and client_name == "reload":
        raise ProblemError(405, "GET is not available at this address; it answers POST (reload the contracts).",
                           headers={"Allow": "POST"})
    if client is None:
        raise ProblemError(404, f"No client named {client_name!r} in the contracts. GET /v1/contracts lists them.")
    return contract_out(client)
