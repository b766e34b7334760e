"""`pulse doctor`: check settings, database, contracts, GitHub, Jira, webhooks, clock, queue and worker at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import console
from app.sync.doctor import DEFAULT_TIMEOUT, Check, Doctor, Finding, Status, all_well, problem, run_checks

if TYPE_CHECKING:
    import httpx

    from app.contracts import Contracts
    from app.settings import Settings

EXIT_OK, EXIT_PROBLEM = 0, 1
_STYLE = {Status.OK: "green", Status.WARNING: "yellow", Status.PROBLEM: "bold red"}


def doctor(
    timeout: Annotated[float, typer.Option(min=1, help="Seconds each check may take.")] = DEFAULT_TIMEOUT,
) -> None:
    """Check that everything is in place and working; exit 0 when nothing is a problem (warnings allowed), else 1."""
    from app.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        show([problem("Settings", str(exc), "Correct the variable it names and run pulse doctor again.")])
        raise typer.Exit(EXIT_PROBLEM) from None
    findings = diagnose(settings, timeout=timeout)
    show(findings)
    raise typer.Exit(EXIT_OK if all_well(findings) else EXIT_PROBLEM)


def all_checks() -> tuple[Check, ...]:
    """Return every check, in the order of the table (their modules load the database, GitHub and Jira clients)."""
    from app.sync.doctor_clock import CLOCK_CHECKS
    from app.sync.doctor_github import GITHUB_CHECKS
    from app.sync.doctor_jira import JIRA_CHECKS
    from app.sync.doctor_local import LOCAL_CHECKS

    return (*LOCAL_CHECKS, *GITHUB_CHECKS, *JIRA_CHECKS, *CLOCK_CHECKS)


def diagnose(settings: Settings, *, timeout: float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None,
             checks: Sequence[Check] | None = None) -> list[Finding]:
    """Run every check (or only ``checks``) against this installation and return the findings."""
    from app.contracts import ContractsError, load_contracts
    from app.core.db import make_engine, make_sessionmaker

    contracts: Contracts | None = None
    error = None
    try:
        contracts = load_contracts(settings.contracts)
    except ContractsError as exc:
        error = str(exc)
    engine = make_engine(settings.database_url)
    try:
        doc = Doctor(settings, contracts, engine, make_sessionmaker(engine), contracts_error=error, timeout=timeout,
                     transport=transport)
        return run_checks(doc, all_checks() if checks is None else checks)
    finally:
        engine.dispose()


def show(findings: Sequence[Finding]) -> None:
    """Print the findings as a table, then one line saying whether all is well."""
    out = console()
    table = Table(show_lines=False)
    for column in ("Check", "Status", "Found", "What to do"):
        table.add_column(column, overflow="fold")
    for f in findings:
        table.add_row(escape(f.check), f"[{_STYLE[f.status]}]{f.status.value}[/]", escape(f.detail), escape(f.todo))
    out.print(table)
    problems = sum(f.status is Status.PROBLEM for f in findings)
    warnings = sum(f.status is Status.WARNING for f in findings)
    if problems:
        out.print(f"[bold red]{problems} problem(s)[/] and {warnings} warning(s): see 'What to do'.")
    elif warnings:
        out.print(f"[green]No problem[/]; {warnings} warning(s) worth a look.")
    else:
        out.print("[green]All is well.[/]")


def register(cli: typer.Typer) -> None:
    cli.command("doctor")(doctor)
