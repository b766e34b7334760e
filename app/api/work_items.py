"""One work item with its activities and clocks: the audit trail behind any number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Response

from app.api.audience import AudienceDep
from app.api.deps import ContractsDep, SessionDep
from app.api.errors import ProblemError, problem_responses
from app.reports.work_items import Source, WorkItemDetail, client_view, normalize_key, work_item_detail

router = APIRouter(prefix="/v1/work-items", tags=["work items"])

_MOVED = {
    "headers": {
        "Content-Location": {
            "description": "Sent when the key asked for is one the item had before a move: the item's own URL.",
            "schema": {"type": "string", "example": "/v1/work-items/jira/SHOP-45"},
        }
    }
}


@router.get(
    "/{source}/{key:path}",
    summary="One work item with its activities and clocks",
    description="The audit trail behind any figure. GitHub keys contain `#`: encode it as `%23` "
    "(`/v1/work-items/github/acme/shop%23123`) or write `acme/shop/123`. Jira keys are plain (`SHOP-45`). "
    "Moves keep history: a key the item had before it moved to another Jira project or GitHub repository "
    "answers 200 with the item under its key now (`key`), the old keys listed in `moved_from`, and a "
    "`Content-Location` header naming the item's own URL.",
    response_model=WorkItemDetail,
    responses={200: _MOVED, **problem_responses(401, 404, 422, d404="No such work item has been received.")},
)
def read_work_item(
    source: Annotated[Source, Path(description="github or jira.")],
    key: Annotated[str, Path(description="owner/repo#123 (with # as %23) or PROJ-45.", examples=["SHOP-45"])],
    session: SessionDep,
    contracts: ContractsDep,
    response: Response,
    audience: AudienceDep,
) -> Any:
    key = normalize_key(source, key)
    detail = work_item_detail(session, contracts, source, key, datetime.now(UTC))
    if detail is not None and audience.client is not None:
        # Another client's item answers exactly as one never received: a client token learns nothing of it.
        detail = client_view(detail, audience.client, contracts) if detail.client == audience.client else None
    if detail is None:
        raise ProblemError(404, f"No {source.value} work item {key!r} has been received. GitHub keys look like "
                                "owner/repo%23123 in a URL, Jira keys like PROJ-45.")
    if detail.key != key:
        response.headers["Content-Location"] = f"{router.prefix}/{source.value}/{quote(detail.key, safe='/')}"
    return detail
