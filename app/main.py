"""The FastAPI application factory."""

from __future__ import annotations

import hashlib
import logging

from fastapi import FastAPI

from app.api import health, metrics, webhooks
from app.api import sync as sync_api
from app.api.problems import install_problem_handlers
from app.contracts import Contracts, load_contracts
from app.db import make_engine, make_sessionmaker
from app.settings import Settings

log = logging.getLogger("pulse")

DESCRIPTION = """Delivery Pulse measures the promises an outstaffing team makes to its clients: every client message
answered within the contract's target, production bugs fixed within theirs, and plain language, per developer and
per client, from Jira and GitHub. Authenticate with `Authorization: Bearer <token>`."""


def create_app(settings: Settings, *, contracts: Contracts | None = None) -> FastAPI:
    """Build the application for these settings (engine, contracts and routes; nothing global)."""
    app = FastAPI(title="Delivery Pulse", version="0.1.0", description=DESCRIPTION)
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.contracts = contracts if contracts is not None else load_contracts(settings.contracts)
    app.state.token_digests = [hashlib.sha256(t.encode()).digest() for t in settings.bearer_tokens()]
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(webhooks.router)
    app.include_router(metrics.router)
    app.include_router(sync_api.router)
    _warn_about_gaps(settings)
    return app


def _warn_about_gaps(settings: Settings) -> None:
    if settings.insecure_webhooks:
        log.warning("PULSE_INSECURE_WEBHOOKS is on: webhooks are accepted without a signature. Never in production.")
        return
    if settings.github_webhook_secret is None:
        log.warning("PULSE_GITHUB_WEBHOOK_SECRET is not set: /webhooks/github refuses every delivery.")
    if settings.jira_webhook_secret is None and settings.jira_webhook_token is None:
        log.warning("Neither PULSE_JIRA_WEBHOOK_SECRET nor PULSE_JIRA_WEBHOOK_TOKEN is set: "
                    "/webhooks/jira refuses every delivery.")
    if not settings.bearer_tokens():
        log.warning("PULSE_API_TOKENS is not set: every /v1 request is refused.")
