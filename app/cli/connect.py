"""`pulse connect`: set up the webhooks that feed Delivery Pulse (`connect github`; one command per source)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from app.cli import connect_jira
from app.cli.common import console, contracts_or_exit, err, fail, session_factory, settings_or_exit
from connectors.github.hooks import (
    HOOK_EVENTS,
    Change,
    HookError,
    HookOwner,
    HookResult,
    app_hook_config,
    app_subscription,
    ensure_hook,
)

if TYPE_CHECKING:
    from app.settings import Settings
    from app.sync.runner import Connectors

connect_cli = typer.Typer(help="Connect Delivery Pulse to GitHub and Jira: create or fix the webhooks it reads.",
                          no_args_is_help=True)
EXIT_FAILED = 1
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_DONE = {Change.CREATED: "created", Change.UPDATED: "updated", Change.UNCHANGED: "already right, nothing changed"}


def webhook_url_or_exit(url: str | None, settings: Settings, path: str) -> str:
    """Return the webhook URL (option, else PULSE_GITHUB_WEBHOOK_URL); refuse plain http but on this machine."""
    url = (url or settings.github_webhook_url or "").strip()
    if not url:
        raise fail(f"Give the public address of Delivery Pulse's webhook endpoint with --url https://…{path} "
                   "(or set PULSE_GITHUB_WEBHOOK_URL).")
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise fail(f"{url} is not a web address; give one like https://pulse.example.com{path}.")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise fail(f"{url} is plain http: GitHub would send the deliveries unencrypted. Use an https address "
                   "(plain http is accepted only for localhost, for testing).")
    return url


@connect_cli.command("github")
def connect_github(
    url: Annotated[str | None, typer.Option(help="Public address of /webhooks/github, e.g. "
                                                 "https://pulse.example.com/webhooks/github.")] = None,
    repo: Annotated[list[str] | None, typer.Option("--repo", help="A repository (OWNER/NAME); repeat for more. "
                                                   "Default: every github_repos of the contracts.")] = None,
    org: Annotated[str | None, typer.Option(help="Set one webhook on this organisation instead of per "
                                                 "repository.")] = None,
) -> None:
    """Create or fix the GitHub webhook with exactly the events Delivery Pulse reads; safe to run again."""
    from app.sync.runner import Connectors
    from connectors.github.client import GitHubError

    settings = settings_or_exit()
    if repo and org:
        raise fail("Give --repo or --org, not both: an organisation webhook already covers its repositories.")
    target = webhook_url_or_exit(url, settings, "/webhooks/github")
    if settings.github_webhook_secret is None or not settings.github_webhook_secret.get_secret_value():
        raise fail("PULSE_GITHUB_WEBHOOK_SECRET is not set: set it to a long random text first; GitHub signs every "
                   "delivery with it and Delivery Pulse refuses unsigned ones.")
    if note := settings.github_auth_note():
        err.print(note, highlight=False)
    connectors = Connectors(settings, session_factory(settings))
    if settings.github_app and not repo and not org:
        _check_app(connectors, target)
        return
    if not settings.github_app and settings.github_token is None:
        raise fail("No GitHub credentials: set PULSE_GITHUB_TOKEN (a token that may administer webhooks: "
                   "admin:repo_hook, or admin:org_hook for --org) or a GitHub App (PULSE_GITHUB_APP_ID and its key).")
    owners = [HookOwner.org(org)] if org else [HookOwner.repo(r) for r in (repo or _contract_repos(settings))]
    secret = settings.github_webhook_secret.get_secret_value()
    table = Table(title=f"GitHub webhooks to {target}")
    for label in ("Where", "What was done", "Details"):
        table.add_column(label)
    failed = changed = 0
    for owner in owners:
        try:
            result = ensure_hook(connectors.github_admin(owner.name.split("/")[0]), owner, target, secret)
        except (HookError, GitHubError) as exc:
            failed += 1
            table.add_row(owner.label, "[red]failed[/red]", escape(str(exc)))
            continue
        changed += result.change is not Change.UNCHANGED
        table.add_row(owner.label, _DONE[result.change], escape(_details(result)))
    console().print(table)
    if failed:
        err.print(f"{failed} of {len(owners)} webhook(s) could not be set up; the table says why.", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    err.print("Nothing changed: every webhook was already right." if not changed else
              f"Done: {changed} webhook(s) created or updated; GitHub sends a ping to each new one.", highlight=False)


def _details(result: HookResult) -> str:
    if result.change is Change.UPDATED:
        return "fixed: " + "; ".join(result.fixed)
    if result.change is Change.CREATED:
        return f"hook {result.hook.id}: {len(HOOK_EVENTS)} events, JSON, signed with the secret"
    return f"hook {result.hook.id}"


def _contract_repos(settings: Settings) -> list[str]:
    repos = list(dict.fromkeys(r for _, r in contracts_or_exit(settings).repositories()))
    if not repos:
        raise fail("The contracts file lists no github_repos; add them to a client, or give --repo or --org.")
    return repos


def _check_app(connectors: Connectors, url: str) -> None:
    """With a GitHub App the events are the App's: print the list to tick and check the App's hook config."""
    err.print("A GitHub App is configured: its webhook and events are set on the App itself (GitHub: Settings, "
              "Developer settings, GitHub Apps, the App, General and Permissions & events).", highlight=False)
    table = Table(title="Tick exactly these events under 'Subscribe to events'")
    table.add_column("Event")
    for event in HOOK_EVENTS:
        table.add_row(event.replace("_", " ").capitalize() + f" ({event})")
    console().print(table)
    app = connectors.github_app()
    assert app is not None  # settings.github_app says the App is configured
    try:
        hook_problems = app_hook_config(app).differences(url)
        subscription_problems = app_subscription(app).differences()
    except HookError as exc:
        err.print(f"The App's webhook settings could not be checked: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    if hook_problems:
        err.print("The App's webhook needs fixing on its General page: " + "; ".join(hook_problems) +
                  f". Webhook URL: {url}; content type: application/json; secret: the value of "
                  "PULSE_GITHUB_WEBHOOK_SECRET.", highlight=False, soft_wrap=True)
    if subscription_problems:
        err.print("The App's Permissions & events page needs fixing: " + "; ".join(subscription_problems) + ".",
                  highlight=False, soft_wrap=True)
    if hook_problems or subscription_problems:
        raise typer.Exit(EXIT_FAILED)
    err.print(f"The App is set up right: webhook {url}, JSON, with a secret, exactly these events and the "
              "permissions it needs; nothing to change.", highlight=False)


def register(cli: typer.Typer) -> None:
    """Add `connect` to the root `pulse` command; each source adds its own `connect <source>` command here."""
    connect_jira.register_on(connect_cli)
    cli.add_typer(connect_cli, name="connect")
