"""The `pulse` command: migrate, serve, and the jobs ops run.

Each command imports what it needs when it runs (see app.cli.common): `pulse --help` loads no database, web
framework, GitHub client or language model.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import configure_logging, contracts_or_exit, err, fail, session_factory, settings_or_exit

if TYPE_CHECKING:
    from app.contracts import Contracts
    from app.settings import Settings

cli = typer.Typer(
    help="Delivery Pulse: measure response time, production-bug fix time and plain language against each "
    "client's contract.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@cli.command()
def migrate() -> None:
    """Create the database schema, or upgrade it to the newest version."""
    from app.core.db import make_engine
    from app.core.migrate import upgrade

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    upgrade(make_engine(settings.database_url))
    err.print("The database schema is up to date.")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load the bundled demo contracts and history first.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Server processes on this port (each stateless; they share "
                                                     "the database).")] = 1,
) -> None:
    """Run the API (and the webhook endpoints) with uvicorn."""
    import uvicorn

    from app.cli.run_tokens import check_configured_tokens, run_tokens
    from app.cli.serving import freeze_startup_objects, server_options
    from app.core.db import make_engine
    from app.core.migrate import upgrade
    from app.main import create_app
    from app.settings import SettingsError

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    contracts = contracts_or_exit(settings, demo)
    engine = make_engine(settings.database_url)
    if settings.is_sqlite or demo:
        upgrade(engine)
    if demo:
        settings = _demo_mail_settings(settings, host, port)
        _load_demo(settings, contracts)
    if not settings.bearer_tokens():
        settings = run_tokens(settings, contracts, host, port)
    check_configured_tokens(settings, contracts)
    if workers > 1:
        # Each process builds its own app from the environment: hand it what this one decided.
        os.environ["PULSE_CONTRACTS"] = contracts.source
        os.environ["PULSE_API_TOKENS"] = settings.api_tokens.get_secret_value() if settings.api_tokens else ""
        if settings.survey_secret is not None:
            os.environ["PULSE_SURVEY_SECRET"] = settings.survey_secret.get_secret_value()
        uvicorn.run("app.cli.serving:app_for_server_process", factory=True, workers=workers, host=host, port=port,
                    **server_options(settings.log_level))
        return
    try:
        app = create_app(settings, contracts=contracts)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    freeze_startup_objects()
    uvicorn.run(app, host=host, port=port, **server_options(settings.log_level))


EXIT_OK, EXIT_PARTIAL, EXIT_CONFIG, EXIT_BUSY = 0, 1, 2, 75


@cli.command()
def sync(
    source: Annotated[str | None, typer.Option(help="Only this source: github or jira.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Read everything again, ignoring saved cursors.")] = False,
    reconcile: Annotated[bool, typer.Option("--reconcile", help="Find issues deleted upstream and drop them.")] = False,
) -> None:
    """Run one sync from GitHub and Jira (for cron); exit 0 ok, 1 partly failed, 2 configuration error, 75 busy."""
    from app.cli.sync_progress import SyncProgress, print_summary, stop_on_sigterm
    from app.core.locks import JobBusy
    from app.sync.runner import Connectors, SyncConfigError, run_sync

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    contracts = contracts_or_exit(settings, demo=False)
    factory = session_factory(settings)
    mode = "full" if full else "reconcile" if reconcile else "incremental"
    try:
        with SyncProgress(err) as progress, stop_on_sigterm() as stop:
            summary = run_sync(factory=factory, contracts=contracts, connectors=Connectors(settings, factory),
                               source=source, mode=mode, requested_by="cli", progress=progress, stop=stop)
    except SyncConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    except JobBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    print_summary(err, summary)
    raise typer.Exit(EXIT_OK if summary.status in ("succeeded", "stopped") else EXIT_PARTIAL)


@cli.command()
def worker() -> None:
    """Run the worker: scheduled sync, reconcile, clock checks and alerts, until stopped (SIGTERM or Ctrl-C)."""
    import httpx

    from app.cli.sync_progress import stop_on_sigterm
    from app.settings import SettingsError
    from app.sync.runner import Connectors
    from app.sync.worker import Worker

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    contracts = contracts_or_exit(settings, demo=False)
    factory = session_factory(settings)
    err.print(f"Worker started: sync every {settings.sync_interval_seconds} s, clock checks every "
              f"{settings.clock_check_seconds} s. Stop it with Ctrl-C or SIGTERM.")
    with httpx.Client(timeout=settings.http_timeout_seconds) as http, stop_on_sigterm() as stop:
        try:
            w = Worker(settings, factory, contracts, Connectors(settings, factory), http, stop=stop)
        except SettingsError as exc:
            raise fail(str(exc)) from None
        try:
            w.serve_forever()
        except KeyboardInterrupt:
            stop.set()
    err.print("Worker stopped.")


@cli.command()
def replay() -> None:
    """Normalize every stored webhook delivery again and recompute all clocks (after an upgrade or a fix)."""
    from app.intake.replay import replay as run_replay

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    contracts = contracts_or_exit(settings, demo=False)
    factory = session_factory(settings)
    summary = run_replay(factory, contracts)
    err.print(f"Replayed {summary.deliveries} deliveries ({summary.failed} could not be read); "
              f"quarantine: {summary.quarantine_read} record(s) read, {summary.quarantine_left} still unreadable; "
              f"{summary.clocks} clocks computed.")
    if summary.failed or summary.quarantine_left:
        raise typer.Exit(EXIT_PARTIAL)


@cli.command()
def quarantine(
    source: Annotated[str | None, typer.Option(help="Only this source: github or jira.")] = None,
    show: Annotated[int | None, typer.Option("--show", help="Print one record's raw body, by its number.")] = None,
    limit: Annotated[int, typer.Option(help="How many records to list.")] = 50,
) -> None:
    """List the records a sync could not read (kept raw with the reason); `pulse replay` reads them again."""
    from app.cli.quarantine import print_quarantine, print_record

    settings = settings_or_exit()
    factory = session_factory(settings)
    if show is not None:
        if not print_record(factory, show):
            raise fail(f"No quarantined record has number {show}; `pulse quarantine` lists them.", EXIT_CONFIG)
        return
    print_quarantine(factory, source=source, limit=limit)


def _demo_mail_settings(settings: Settings, host: str, port: int) -> Settings:
    """Give the demo what its surveys need when not set: a secret for links, a mail folder, this address."""
    from pydantic import SecretStr

    update: dict[str, object] = {}
    if settings.survey_secret is None:
        update["survey_secret"] = SecretStr(secrets.token_urlsafe(32))  # links of this run work for this database
    if settings.smtp_url is None and not settings.smtp_host and settings.mail_dir is None:
        update["mail_dir"] = (Path.cwd() / "demo-mail").resolve()
    if "PULSE_PUBLIC_URL" not in os.environ:
        update["public_url"] = f"http://{host}:{port}"
    return settings.model_copy(update=update)


def _load_demo(settings: Settings, contracts: Contracts) -> None:
    import httpx

    from app.demo import load_demo
    from app.demo.mail import send_demo_mail
    from app.notify import Senders
    from app.surveys import links_from

    factory = session_factory(settings)
    added, present = load_demo(factory, contracts, datetime.now(UTC))
    if added:
        err.print(f"Loaded the demo history: {added} webhook deliveries.")
    else:
        err.print(f"The demo history is already loaded ({present} deliveries).")
    links = links_from(settings, contracts)
    if links is None:
        return
    with httpx.Client(timeout=settings.http_timeout_seconds) as http:
        mail = send_demo_mail(factory, contracts, links, Senders.from_settings(settings, http), datetime.now(UTC))
    if mail is not None and mail.files:
        err.print(f"E-mails (the surveys, and acme's weekly report to its account manager) are written to "
                  f"{mail.folder} (no PULSE_SMTP_URL set); open the newest in a mail program: {mail.files[-1]}",
                  highlight=False, soft_wrap=True)
    if mail is not None and mail.link:
        err.print(f"A client's survey link (no sign-in needed): {mail.link}", highlight=False, soft_wrap=True)


def main() -> None:
    from app.cli import connect, doctor, language, report, tokens

    for group in (report, tokens, language, connect, doctor):
        group.register(cli)
    cli()


if __name__ == "__main__":
    main()
