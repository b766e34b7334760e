"""API-side commands of `pulse`: report, token, openapi (registered on the root command)."""

from __future__ import annotations

import typer


def register(cli: typer.Typer) -> None:
    """Add the API-side commands to the root `pulse` command."""
