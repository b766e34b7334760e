"""One work item with its activities and clocks: the audit trail behind any number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.api.deps import ContractsDep, ReadDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.reports.work_items import Source, WorkItemDetail, normalize_key, work_item_detail

router = APIRouter(prefix="/v1/work-items", tags=["work items"])


@router.get(
    "/{source}/{key:path}",
    summary="One work item with its activities and clocks",
    description="The audit trail behind any figure. GitHub keys contain `#`: encode it as `%23` "
    "(`/v1/work-items/github/acme/shop%23123`) or write `acme/shop/123`. Jira keys are plain (`SHOP-45`).",
    response_model=WorkItemDetail,
    responses=problem_responses(401, 404, 422, d404="No such work item has been received."),
)
def read_work_item(
    source: Annotated[Source, Path(description="github or jira.")],
    key: Annotated[str, Path(description="owner/repo#123 (with # as %23) or PROJ-45.", examples=["SHOP-45"])],
    session: SessionDep,
    contracts: ContractsDep,
    _: ReadDep,
) -> Any:
    key = normalize_key(source, key)
    detail = work_item_detail(session, contracts, source, key, datetime.now(UTC))
    if detail is None:
        raise ProblemError(404, f"No {source.value} work item {key!r} has been received. GitHub keys look like "
                                "owner/repo%23123 in a URL, Jira keys like PROJ-45.")
    return detail
