"""What every `pulse` command shares: errors in plain words on stderr, settings, contracts, logging.

The command modules import only typer and rich at the top; what a command needs (settings, the database, the
contracts) is imported when it runs, so that `pulse --help` and a mistyped command answer at once.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.contracts import Contracts
    from app.settings import Settings

err = Console(stderr=True)
EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_CONFIG) -> typer.Exit:
    """Print an error for people (no markup from the message is interpreted) and return the exit to raise."""
    err.print(f"[red]Error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings_or_exit(**overrides: object) -> Settings:
    from app.settings import SettingsError, load_settings

    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise fail(str(exc)) from None


def contracts_or_exit(settings: Settings, demo: bool = False) -> Contracts:
    """Load the contracts file; with ``demo``, the bundled demo contracts when no file exists."""
    from app.contracts import ContractsError, load_contracts
    from app.demo import demo_contracts

    if demo and not settings.contracts.exists():
        return demo_contracts()
    try:
        return load_contracts(settings.contracts)
    except ContractsError as exc:
        raise fail(str(exc)) from None


def session_factory(settings: Settings) -> sessionmaker[Session]:
    from app.core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.database_url))


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if level != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API request drowns the summary


def console() -> Console:
    """Return a console for tables: as wide as the terminal, or 120 columns when printing to a file."""
    console = Console()
    # Piped into a file or a pager, rich would assume 80 columns and squash the names.
    return console if console.is_terminal else Console(width=max(console.width, 120))
