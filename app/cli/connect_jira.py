"""`pulse connect jira`: register the Jira admin webhook for every client's projects, or print it to enter by hand.

Why not the ``jira`` library: it has no call for admin webhooks (``/rest/webhooks/1.0/webhook``), and its
requests session cannot take the sync's retry policy or the tests' stand-in; the calls go through the sync's
JiraClient (httpx), like every other Jira call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import console, contracts_or_exit, err, fail, session_factory, settings_or_exit

if TYPE_CHECKING:
    from app.sync.jira_setup import JiraWebhookPlan
    from connectors.jira.hooks import Registration

EXIT_FAILED = 1
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_DONE = {"created": "created", "updated": "updated", "unchanged": "already right, nothing changed"}


def connect_jira(
    url: Annotated[str | None, typer.Option(help="Public address of /webhooks/jira, e.g. "
                                                 "https://pulse.example.com/webhooks/jira (default: "
                                                 "PULSE_JIRA_WEBHOOK_URL).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Update the webhook even when it looks right (to set the "
                                                        "secret again: Jira never shows it back).")] = False,
    show_secret: Annotated[bool, typer.Option("--show-secret", help="When it must be entered by hand, print the "
                                                                    "secret itself, not only its variable.")] = False,
) -> None:
    """Register or fix the Jira admin webhook for every client's projects; safe to run again."""
    from app.sync.jira_setup import jira_webhook_plan
    from app.sync.runner import Connectors
    from connectors.jira.client import JiraError
    from connectors.jira.hooks import register

    settings = settings_or_exit()
    contracts = contracts_or_exit(settings)
    projects = list(dict.fromkeys(k.upper() for c in contracts.spec.clients for k in c.jira_projects))
    if not projects:
        raise fail("The contracts file lists no jira_projects; add them to a client first.")
    if url is not None:
        _check_url(url)
    elif settings.jira_webhook_url:
        _check_url(settings.jira_webhook_url)
    plan = jira_webhook_plan(settings, projects, url)
    if plan is None:
        raise fail("Give the public address of Delivery Pulse's Jira endpoint with --url "
                   "https://…/webhooks/jira (or set PULSE_JIRA_WEBHOOK_URL).")
    if plan.secret is None and settings.jira_webhook_token is None:
        raise fail("PULSE_JIRA_WEBHOOK_SECRET is not set: set it to a long random text first; Jira signs every "
                   "delivery with it and Delivery Pulse refuses unsigned ones.")
    if not settings.jira_url:
        print_manual(plan, show_secret, "PULSE_JIRA_URL is not set, so Jira cannot be asked")
        raise typer.Exit(EXIT_FAILED)
    try:
        with Connectors(settings, session_factory(settings)).jira() as client:
            result = register(client, plan.webhook, plan.secret, force=force)
    except JiraError as exc:
        raise fail(f"Jira did not register the webhook: {exc.message}", EXIT_FAILED) from None
    if result.action == "manual":
        print_manual(plan, show_secret, f"the account may not register webhooks ({result.reason})")
        raise typer.Exit(EXIT_FAILED)
    _print_done(result, plan)


def _check_url(url: str) -> None:
    from connectors.jira.hooks import masked

    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http") or parts.query:
        raise fail(f"{masked(url)} is not the endpoint's address; give one like "
                   "https://pulse.example.com/webhooks/jira (without ?token=: it is added from "
                   "PULSE_JIRA_WEBHOOK_TOKEN).")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise fail(f"{url} is plain http: Jira would send the deliveries unencrypted. Use an https address "
                   "(plain http is accepted only for localhost, for testing).")


def _print_done(result: Registration, plan: JiraWebhookPlan) -> None:
    from connectors.jira.hooks import masked

    table = Table(title=f"Jira webhook to {masked(plan.webhook.url)}")
    for label in ("Webhook", "What was done", "Details"):
        table.add_column(label, overflow="fold")
    hook = result.webhook
    if result.action == "updated":
        details = "fixed: " + "; ".join(result.changes)
    else:
        details = f"{len(hook.events)} events, JQL {hook.jql}" + (", signed with the secret" if plan.secret else "")
    table.add_row(escape(f"{hook.name} ({hook.id})" if hook.id else hook.name), _DONE[result.action], escape(details))
    console().print(table)
    err.print("Nothing changed: the webhook was already right." if result.action == "unchanged" else
              f"Done: the webhook was {result.action}. Run pulse doctor to check it end to end.", highlight=False)


def print_manual(plan: JiraWebhookPlan, show_secret: bool, why: str) -> None:
    """Print the exact settings to enter in Jira by hand (the secret only when asked to)."""
    from connectors.jira.hooks import masked

    hook = plan.webhook
    if plan.secret is None:  # the URL carries the token
        url, secret = (hook.url if show_secret else masked(hook.url)), "none (the URL carries PULSE_JIRA_WEBHOOK_TOKEN)"
    else:
        url = hook.url
        secret = plan.secret if show_secret else f"the value of {plan.secret_setting} (--show-secret prints it)"
    err.print(f"The webhook was not registered: {escape(why)}. Ask a Jira administrator to enter it in Jira settings "
              "> System > WebHooks > Create a WebHook:", highlight=False, soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("Setting")
    table.add_column("Value", overflow="fold")
    for label, value in (("Name", hook.name), ("Status", "Enabled"), ("URL", url), ("Secret", secret),
                         ("Issue related events (JQL)", hook.jql), ("Events", ", ".join(sorted(hook.events))),
                         ("Exclude body", "No")):
        table.add_row(label, escape(value))
    console().print(table)


def register_on(group: typer.Typer) -> None:
    """Add `jira` to the `pulse connect` group (once, however often the group is registered)."""
    if not any(command.name == "jira" for command in group.registered_commands):
        group.command("jira")(connect_jira)
