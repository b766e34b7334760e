"""Webhook endpoints: verify the signature on the raw body, store durably, then acknowledge."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import Problem, ProblemError, problem_response
from app.intake.deliveries import Delivery, IntakeResult, content_id
from app.intake.errors import IntakeError, intake_error
from app.intake.group_commit import GroupCommitter
from app.intake.normalize import normalized
from app.settings import Settings
from connectors.github import webhook as github_webhook
from connectors.jira import webhook as jira_webhook
from connectors.records import PayloadError

log = logging.getLogger("pulse.webhooks")
router = APIRouter(tags=["webhooks"])
MAX_DELIVERY_ID = 200  # raw_deliveries.delivery_id

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not valid JSON or lacks a required field."},
    401: {"model": Problem, "description": "The signature is missing or wrong; nothing was stored."},
    413: {"model": Problem, "description": "The body is larger than the limit."},
    503: {"model": Problem, "description": "The database is unavailable; retry later."},
}


ACK_DESCRIPTION = (
    "Answers once the delivery is checked (signature, JSON, the fields the metrics need) and its raw body is "
    "committed: 202 `accepted`, or 200 `duplicate` for a delivery id seen before. Its work items, activities "
    "and clocks are stored right after, usually within a second; a delivery is never lost in between (it is "
    "processed again from its stored body after a restart). An event the metrics do not use is answered "
    "202 `ignored` and not stored."
)


class WebhookAnswer(BaseModel):
    status: str  # accepted | duplicate | ignored
    delivery_id: str
    detail: str | None = None


@dataclass(frozen=True)
class WebhookIntake:
    """What a webhook delivery needs: the settings of the moment and the group commit that stores it."""

    settings: Callable[[], Settings]  # read per delivery: tests change a built app's settings
    committer: GroupCommitter


def get_webhook_intake(request: Request) -> WebhookIntake:
    return request.app.state.webhook_intake


WebhookIntakeDep = Annotated[WebhookIntake, Depends(get_webhook_intake)]


def _parse_json(body: bytes, content_type: str = "") -> Mapping[str, Any]:
    if not body:
        raise ProblemError(400, "The body is empty; a webhook delivery must be a JSON object.")
    if content_type.startswith("application/x-www-form-urlencoded"):
        raise ProblemError(400, "The webhook sends form data, not JSON: set its content type to "
                                "application/json in the webhook settings.")
    try:
        payload = orjson.loads(body)  # about 3x faster than json on a 15 KB delivery; the intake's hottest step
    except (ValueError, RecursionError) as exc:
        raise ProblemError(400, f"The body is not valid JSON: {exc}.") from None
    if not isinstance(payload, dict):
        raise ProblemError(400, "The body must be a JSON object.")
    return payload


def _unsigned_allowed(settings: Settings, source: str) -> bool:
    if settings.insecure_webhooks:
        return True
    raise ProblemError(
        401,
        f"The {source} webhook secret is not configured, so no delivery can be verified; set "
        f"PULSE_{source.upper()}_WEBHOOK_SECRET (and the same secret in {source.capitalize()}'s webhook settings).",
    )


async def _accept(committer: GroupCommitter, delivery: Delivery) -> WebhookAnswer:
    if len(delivery.delivery_id) > MAX_DELIVERY_ID:
        raise ProblemError(400, f"The delivery id is longer than {MAX_DELIVERY_ID} characters; nothing was stored.")
    try:
        batch = normalized(delivery, received_at=delivery.received_at)
        if batch is None:
            return WebhookAnswer(status="ignored", delivery_id=delivery.delivery_id,
                                 detail=f"Event {delivery.event!r} {delivery.action or ''} is not used."
                                 .replace(" .", "."))
        result: IntakeResult = await committer.submit(delivery, batch)
    except IntakeError as exc:
        raise _refusal(delivery, exc) from None
    except SQLAlchemyError as exc:
        raise _refusal(delivery, intake_error(exc, stage="storing", source=delivery.source)) from None
    return WebhookAnswer(status=result.status, delivery_id=result.delivery_id)


def _refusal(delivery: Delivery, error: IntakeError) -> ProblemError:
    """400 for a delivery at fault (sending it again cannot help), 503 with Retry-After for the database away."""
    if not error.permanent:
        log.warning("delivery %s not stored: %s", delivery.delivery_id, error.reason)
        return ProblemError(503, error.detail, headers={"Retry-After": "5"})
    if not isinstance(error.__cause__, PayloadError):  # the checks name what is wrong; anything else needs a look
        log.warning("delivery %s refused: %s", delivery.delivery_id, error.reason, exc_info=error.__cause__)
    return ProblemError(400, error.detail)


async def github_delivery(intake: WebhookIntake, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
    """Verify, check and durably store one GitHub delivery (raises ProblemError with the answer otherwise)."""
    settings = intake.settings()
    secret = settings.github_webhook_secret
    if secret is None:
        _unsigned_allowed(settings, "github")
    elif not github_webhook.verify_signature(
        secret.get_secret_value(), body, headers.get(github_webhook.SIGNATURE_HEADER)
    ):
        raise ProblemError(401, "The X-Hub-Signature-256 signature is missing or does not match the secret; "
                                "nothing was stored.")
    event = headers.get(github_webhook.EVENT_HEADER)
    if not event:
        raise ProblemError(400, "The X-GitHub-Event header is missing.")
    payload = _parse_json(body, headers.get("content-type", ""))
    guid = headers.get(github_webhook.DELIVERY_HEADER) or content_id(body)
    hook = headers.get("X-GitHub-Hook-ID", "")
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    return await _accept(intake.committer, Delivery("github", f"{hook}:{guid}", event, action, body, payload))


async def jira_delivery(
    intake: WebhookIntake, headers: Mapping[str, str], body: bytes, token: str | None
) -> WebhookAnswer:
    """Verify, check and durably store one Jira delivery (raises ProblemError with the answer otherwise)."""
    settings = intake.settings()
    secret, url_token = settings.jira_webhook_secret, settings.jira_webhook_token
    signature = headers.get("X-Hub-Signature")
    if secret is None and url_token is None:
        _unsigned_allowed(settings, "jira")
    elif not (
        (secret is not None and jira_webhook.verify_signature(secret.get_secret_value(), body, signature))
        or (url_token is not None and jira_webhook.verify_url_token(url_token.get_secret_value(), token))
    ):
        raise ProblemError(401, "The X-Hub-Signature signature (or the ?token= in the URL) is missing or wrong; "
                                "nothing was stored.")
    payload = _parse_json(body, headers.get("content-type", ""))
    try:
        event = jira_webhook.event_name(payload)
    except PayloadError:
        event = None
    if not event:
        raise ProblemError(400, "The payload has no webhookEvent field (text naming the Jira event).")
    delivery = Delivery("jira", jira_webhook.delivery_id(headers, body), event,
                        payload.get("issue_event_type_name"), body, payload)
    return await _accept(intake.committer, delivery)


_ROUTE: dict[str, Any] = {
    "description": ACK_DESCRIPTION, "status_code": 202, "response_model": WebhookAnswer,
    "responses": {200: {"model": WebhookAnswer, "description": "A delivery seen before; nothing counted twice."},
                  **_ERRORS},
}

# The routes below describe the endpoints (OpenAPI) and serve them when the app runs without WebhookFastPath;
# in the app as built, WebhookFastPath answers these two paths before FastAPI's routing (see its docstring).


@router.post("/webhooks/github", summary="Receive a GitHub webhook delivery", **_ROUTE)
async def create_github_delivery(request: Request, intake: WebhookIntakeDep) -> Any:
    body = await _receive_body(request.receive, intake.settings().max_webhook_bytes)
    return _answer(await github_delivery(intake, request.headers, body))


@router.post("/webhooks/jira", summary="Receive a Jira webhook delivery", **_ROUTE)
async def create_jira_delivery(
    request: Request,
    intake: WebhookIntakeDep,
    token: Annotated[str | None, Query(
        description="For Jira webhooks that cannot be signed: the PULSE_JIRA_WEBHOOK_TOKEN, as the documented "
        "alternative to the X-Hub-Signature header.")] = None,
) -> Any:
    body = await _receive_body(request.receive, intake.settings().max_webhook_bytes)
    return _answer(await jira_delivery(intake, request.headers, body, token))


def _answer(answer: WebhookAnswer) -> Response:
    """202 for a delivery stored (or ignored), 200 for one seen before."""
    return Response(orjson.dumps(answer.model_dump(exclude_none=True)), media_type="application/json",
                    status_code=200 if answer.status == "duplicate" else 202)


class WebhookFastPath:
    """Answer POST /webhooks/github and /webhooks/jira ahead of FastAPI's routing, as plain ASGI.

    A webhook storm is the one place where the framework's per-request work (matching some forty routes,
    solving dependencies, validating the answer) costs more than the delivery itself; the checks and the
    durable store are the same functions the routes call. Everything else goes on to the app.
    """

    def __init__(self, app: ASGIApp, *, intake: WebhookIntake) -> None:
        self.app = app
        self.intake = intake
        self.routes = {"/webhooks/github": SimpleNamespace(path="/webhooks/github"),
                       "/webhooks/jira": SimpleNamespace(path="/webhooks/jira")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # names the route in the request metrics, as routing would
        headers = Headers(scope=scope)
        try:
            body = await _receive_body(receive, self.intake.settings().max_webhook_bytes)
            if route.path == "/webhooks/github":
                answer = await github_delivery(self.intake, headers, body)
            else:
                token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[-1]
                answer = await jira_delivery(self.intake, headers, body, token)
        except ProblemError as exc:
            await problem_response(exc.status, exc.detail, headers=exc.headers, errors=exc.errors)(scope, receive, send)
            return
        await _answer(answer)(scope, receive, send)


async def _receive_body(receive: Receive, limit: int) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ProblemError(400, "The sender closed the connection before the whole body arrived; "
                                    "nothing was stored.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProblemError(413, f"The body is larger than {limit // (1024 * 1024)} MB; nothing was stored.")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)
