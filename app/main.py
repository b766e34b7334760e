"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

from app.api import alignment as alignment_api
from app.api import clients, clocks, contracts, developers, health, metrics, webhooks, work_items
from app.api import feedback as feedback_api
from app.api import plain_language as plain_language_api
from app.api import sync as sync_api
from app.api.audience import resolve_audience
from app.api.docs import install_docs
from app.api.limits import BodyLimit, redact_access_log
from app.api.problems import install_problem_handlers, install_problem_schema
from app.api.prometheus import install_metrics
from app.api.prometheus import router as prometheus_router
from app.contracts import Contracts, ContractsSpec, load_contracts
from app.core.db import make_engine, make_sessionmaker
from app.core.tokens import SignInLimiter, configured_tokens
from app.dashboard import install_dashboard
from app.intake.group_commit import GroupCommitter
from app.intake.processor import IntakeProcessor
from app.settings import Settings
from app.surveys import links_from

log = logging.getLogger("pulse")
SHUTDOWN_SECONDS = 20.0  # time to finish the deliveries in hand; what is left stays queued, never lost

DESCRIPTION = """Delivery Pulse measures the promises an outstaffing team makes to its clients: every client message
answered within the contract's target, production bugs fixed within theirs, and plain language, per developer and
per client, from Jira and GitHub.

**Authentication.** Send `Authorization: Bearer <token>` on every `/v1` request. A token is an entry of
`PULSE_API_TOKENS` (comma-separated; a plain entry may do everything, `read:<token>` may only read,
`client:<name>:<token>` shows one client its own promises) or one made with
`pulse token create --name X --scope read|admin|client:<name>`. Missing or wrong token: 401; a read token on an admin
endpoint: 403.

**Client tokens** (`client:<name>`) see that client only: `/v1/clients`, `/v1/contracts`, `/v1/clocks`,
`/v1/metrics/responsiveness`, `/v1/metrics/bug-fix` (grouped by week, work_item or client), `/v1/work-items` and
`GET /v1/feedback`, each narrowed to the client; internal notes, holders' shares and per-developer figures are left
out. Naming another client, filtering by developer, and every other route answer 403; another client's work item
answers 404 like one never received.
Health, `/metrics` and the webhooks are outside bearer auth (webhooks check their own signatures).

**Times.** Parameters are ISO 8601 with an offset (`2026-03-02T09:00:00+02:00`, `...Z`; encode `+` as `%2B`);
times without one are refused. Results are UTC with `Z`. Durations come in seconds and in words (`"median": "12 min"`).

**Errors** are RFC 9457 problem details (`application/problem+json`). **CSV**: the metrics and clock listings answer
`format=csv` or `Accept: text/csv`."""

TAGS = [
    {"name": "metrics", "description": "Figures per developer, client, work item or week."},
    {"name": "clocks", "description": "Every clock with the activities that started and stopped it."},
    {"name": "developers", "description": "Scorecards per developer."},
    {"name": "clients", "description": "Scorecards per client, with the contract in plain words."},
    {"name": "work items", "description": "One issue or pull request with its full audit trail."},
    {"name": "contracts", "description": "What each client was promised; reload after editing the file."},
    {"name": "webhooks", "description": "Deliveries from GitHub and Jira, verified by signature."},
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics (no token needed)."},
]
_PUBLIC_ROUTERS = (health.router, prometheus_router, webhooks.router)
# Every /v1 router gets the audience check: a client token reaches only the routes app.api.audience allows it.
_V1_ROUTERS = (metrics.router, clocks.router, developers.router, clients.router, work_items.router, contracts.router,
               feedback_api.router, alignment_api.router, plain_language_api.router, sync_api.router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start, process deliveries a stopped server left queued; at shutdown, finish the ones in hand."""
    processor: IntakeProcessor = app.state.intake_processor
    processor.recover()
    yield
    if not await run_in_threadpool(processor.close, SHUTDOWN_SECONDS):
        log.warning("shutting down with %s deliveries still queued; they are processed at the next start",
                    processor.queued)


def create_app(settings: Settings, *, contracts: Contracts | None = None, warn: bool = True) -> FastAPI:
    """Build the application for these settings (engine, contracts and routes; nothing global)."""
    app = FastAPI(title="Delivery Pulse", version="0.1.0", description=DESCRIPTION, openapi_tags=TAGS,
                  lifespan=_lifespan, docs_url=None, redoc_url=None)
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.contracts = contracts if contracts is not None else load_contracts(settings.contracts)
    links_from(settings, app.state.contracts)  # surveys switched on without a secret to sign links: refuse to start
    app.state.api_tokens = configured_tokens(settings.bearer_tokens(), app.state.contracts.clients)
    app.state.sign_in_limiter = SignInLimiter()  # wrong tokens, counted per address for the pages and the API
    # Read at each use, not bound now: a reload replaces the contracts, and tests point a built app elsewhere.
    processor = IntakeProcessor(sessions=lambda: app.state.sessionmaker, contracts=lambda: app.state.contracts)
    committer = GroupCommitter(sessions=lambda: app.state.sessionmaker, hand_over=processor.hand_over)
    intake = webhooks.WebhookIntake(settings=lambda: app.state.settings, committer=committer)
    app.state.intake_processor = processor
    app.state.webhook_intake = intake
    install_problem_handlers(app)
    app.add_middleware(webhooks.WebhookFastPath, intake=intake)  # inside the request metrics and the body limit
    install_metrics(app)
    app.add_middleware(BodyLimit, webhook_limit=settings.max_webhook_bytes,
                       in_flight_limit=settings.max_body_bytes_in_flight, body_seconds=settings.body_timeout_seconds)
    redact_access_log()
    for router in _PUBLIC_ROUTERS:
        app.include_router(router)
    for router in _V1_ROUTERS:
        app.include_router(router, dependencies=[Depends(resolve_audience)])
    install_problem_schema(app)
    install_docs(app)
    install_dashboard(app)
    if warn:
        _warn_about_gaps(settings)
    return app


def openapi_schema() -> dict[str, Any]:
    """Return the OpenAPI schema, the same whatever the environment holds."""
    settings = Settings(_env_file=None, database_url="sqlite://")  # type: ignore[call-arg]
    app = create_app(settings, contracts=Contracts(ContractsSpec(), "none"), warn=False)
    schema = app.openapi()
    app.state.engine.dispose()
    return schema


def _warn_about_gaps(settings: Settings) -> None:
    if not settings.bearer_tokens():
        log.warning("PULSE_API_TOKENS is not set: /v1 accepts only tokens made with 'pulse token create'.")
    if settings.insecure_webhooks:
        log.warning("PULSE_INSECURE_WEBHOOKS is on: webhooks are accepted without a signature. Never in production.")
        return
    if settings.github_webhook_secret is None:
        log.warning("PULSE_GITHUB_WEBHOOK_SECRET is not set: /webhooks/github refuses every delivery.")
    if settings.jira_webhook_secret is None and settings.jira_webhook_token is None:
        log.warning("Neither PULSE_JIRA_WEBHOOK_SECRET nor PULSE_JIRA_WEBHOOK_TOKEN is set: "
                    "/webhooks/jira refuses every delivery.")
