"""The Jira webhook Delivery Pulse needs, from the settings and contracts: one admin webhook for every project.

Signed with PULSE_JIRA_WEBHOOK_SECRET when set (Jira sends ``X-Hub-Signature``); otherwise its URL carries
PULSE_JIRA_WEBHOOK_TOKEN as ``?token=``. One webhook covers the projects of every client (``project in (...)``), so
ours is found by its URL alone. `pulse connect jira` registers it; `pulse doctor` compares it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.settings import Settings
from connectors.jira.hooks import JiraWebhook, wanted_webhook


@dataclass(frozen=True)
class JiraWebhookPlan:
    """The webhook to register, with the secret Jira signs it with (None when the URL carries a token)."""

    webhook: JiraWebhook
    secret: str | None
    secret_setting: str  # the variable that holds the secret or the token, to name it without showing it


def jira_webhook_plan(settings: Settings, projects: list[str], url: str | None = None) -> JiraWebhookPlan | None:
    """Return the webhook for these projects at ``url`` (default PULSE_JIRA_WEBHOOK_URL); None without a URL."""
    target = (url or settings.jira_webhook_url or "").rstrip("/")
    if not target:
        return None
    if settings.jira_webhook_secret is not None:
        secret = settings.jira_webhook_secret.get_secret_value()
        return JiraWebhookPlan(wanted_webhook(target, projects), secret, "PULSE_JIRA_WEBHOOK_SECRET")
    if settings.jira_webhook_token is not None:
        token = settings.jira_webhook_token.get_secret_value()
        with_token = str(httpx.URL(target).copy_merge_params({"token": token}))
        return JiraWebhookPlan(wanted_webhook(with_token, projects), None, "PULSE_JIRA_WEBHOOK_TOKEN")
    return JiraWebhookPlan(wanted_webhook(target, projects), None, "PULSE_JIRA_WEBHOOK_SECRET")
