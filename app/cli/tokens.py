"""`pulse token`: create, list and revoke API tokens (only their SHA-256 hash is stored)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from app.cli.common import console, contracts_or_exit, err, fail, session_factory, settings_or_exit
from app.reports.formats import utc_text

token_cli = typer.Typer(help="Create, list and revoke API tokens (only their SHA-256 hash is stored).",
                        no_args_is_help=True)


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who uses it, e.g. billing-sheet.")],
    scope: Annotated[str, typer.Option(help="read: GET only; admin: also reload contracts; client:<name>: that "
                                            "client's own promises only (e.g. client:acme).")] = "read",
) -> None:
    """Create a token and print it once; only its hash is stored."""
    from app.core.db import transaction
    from app.core.tokens import ScopeInvalid, create_token, parse_access

    settings = settings_or_exit()
    try:
        access = parse_access(scope)
    except ScopeInvalid as exc:
        raise fail(f"The scope is wrong: {exc}.") from None
    if access.client is not None:
        try:
            parse_access(scope, contracts_or_exit(settings).clients)
        except ScopeInvalid as exc:
            raise fail(f"The scope is wrong: {exc}.") from None
    try:
        with transaction(session_factory(settings)) as session:
            row, token = create_token(session, name=name, scope=access)
            ident = row.id
    except ValueError as exc:
        raise fail(str(exc)) from None
    err.print(f"Created token {ident} '{name.strip()}' ({access.text}). This is the only time it is shown: "
              "store it now.", highlight=False)
    typer.echo(token)


@token_cli.command("revoke")
def token_revoke(ident: Annotated[str, typer.Argument(help="The token's id or name ('pulse token list').")]) -> None:
    """Revoke a token at once; requests with it get 401."""
    from app.core.db import transaction
    from app.core.tokens import revoke_token

    settings = settings_or_exit()
    with transaction(session_factory(settings)) as session:
        rows = revoke_token(session, ident, datetime.now(UTC))
        revoked = [f"{r.id} '{r.name}'" for r in rows]
    if not revoked:
        raise fail(f"No active token with id or name {ident!r}; 'pulse token list' shows them.")
    err.print(f"Revoked token {', '.join(revoked)}.", highlight=False)


@token_cli.command("list")
def token_list() -> None:
    """List created tokens (names, scopes, dates; never the tokens)."""
    from app.core.tokens import list_tokens

    settings = settings_or_exit()
    with session_factory(settings)() as session:
        rows = list_tokens(session)
    table = Table(title="API tokens (PULSE_API_TOKENS entries are not listed)")
    for label in ("Id", "Name", "Scope", "Created", "Revoked"):
        table.add_column(label)
    for row in rows:
        table.add_row(str(row.id), row.name, row.scope, utc_text(row.created_at) or "",
                      utc_text(row.revoked_at) or "–")
    console().print(table)


def register(cli: typer.Typer) -> None:
    """Add `token` to the root `pulse` command."""
    cli.add_typer(token_cli, name="token")
