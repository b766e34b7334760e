"""The tokens `pulse serve` starts with: a check of PULSE_API_TOKENS, or fresh ones for this run when it is unset."""

from __future__ import annotations

from pydantic import SecretStr

from app.cli.common import err, fail
from app.contracts import Contracts
from app.core.tokens import CLIENT_PREFIX, ScopeInvalid, configured_tokens, new_token
from app.settings import Settings


def check_configured_tokens(settings: Settings, contracts: Contracts) -> None:
    """Stop with one sentence when a PULSE_API_TOKENS entry is malformed or names a client not in the contracts."""
    try:
        configured_tokens(settings.bearer_tokens(), contracts.clients)
    except ScopeInvalid as exc:
        raise fail(f"{exc}.") from None


def run_tokens(settings: Settings, contracts: Contracts, host: str, port: int) -> Settings:
    """Make an admin token for this run, and a client token for the first client; print both with curl lines."""
    admin = new_token()
    entries = [admin]
    err.print(f"No PULSE_API_TOKENS set; this run accepts the token: [bold]{admin}[/bold]\n"
              f"  curl -H 'Authorization: Bearer {admin}' "
              f"'http://{host}:{port}/v1/metrics/responsiveness?group_by=developer'",
              highlight=False, soft_wrap=True)
    if contracts.clients:
        client = sorted(contracts.clients)[0]
        token = new_token()
        entries.append(f"{CLIENT_PREFIX}{client}:{token}")
        err.print(f"and a token that shows {client} its own promises only: [bold]{token}[/bold]\n"
                  f"  sign in with it at http://{host}:{port}/ , or\n"
                  f"  curl -H 'Authorization: Bearer {token}' 'http://{host}:{port}/v1/clients/{client}'",
                  highlight=False, soft_wrap=True)
    return settings.model_copy(update={"api_tokens": SecretStr(",".join(entries))})
