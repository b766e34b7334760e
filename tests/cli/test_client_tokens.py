"""`pulse token create --scope client:<name>` and the tokens `pulse serve` prints: a client token for a client in
the contracts only, seeing that client only."""

from __future__ import annotations

import pytest
import typer
from pydantic import SecretStr

from app.cli.run_tokens import check_configured_tokens, run_tokens
from app.contracts import parse_contracts
from app.core.tokens import Scope, configured_tokens
from tests.cli.test_report_and_tokens import pulse  # noqa: F401 - the fixture
from tests.conftest import CONTRACTS_YAML, make_settings


def test_a_client_token_is_created_for_a_client_in_the_contracts(pulse):  # noqa: F811
    run, http, _ = pulse
    created = run("token", "create", "--name", "acme-portal", "--scope", "client:acme")
    assert created.exit_code == 0, created.output
    assert "(client:acme)" in created.output
    token = created.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert [c["name"] for c in http.get("/v1/clients", headers=headers).json()["clients"]] == ["acme"]
    assert http.get("/v1/developers", headers=headers).status_code == 403
    assert "client:acme" in run("token", "list").output


@pytest.mark.parametrize("scope, words", [("client:nope", "no client named 'nope'"), ("client:", "names its client"),
                                          ("owner", "is not a scope")])
def test_a_wrong_scope_is_refused_in_plain_words(pulse, scope, words):  # noqa: F811
    run, _, _ = pulse
    result = run("token", "create", "--name", "portal", "--scope", scope)
    assert result.exit_code == 2 and words in result.output
    assert "portal" not in run("token", "list").output


def test_serve_without_tokens_makes_an_admin_and_a_client_token():
    contracts = parse_contracts(CONTRACTS_YAML)
    settings = run_tokens(make_settings(api_tokens=None), contracts, "127.0.0.1", 8000)
    known = configured_tokens(settings.bearer_tokens(), contracts.clients)
    assert [(k.scope, k.client) for k in known] == [(Scope.ADMIN, None), (Scope.CLIENT, "acme")]
    tokens = [entry.rsplit(":", 1)[-1] for entry in settings.bearer_tokens()]
    assert all(t.startswith("pls_") and len(t) > 40 for t in tokens)  # never "-..." pasted after a shell option
    assert len(set(tokens)) == 2


def test_serve_refuses_a_client_entry_for_an_unknown_client():
    contracts = parse_contracts(CONTRACTS_YAML)
    check_configured_tokens(make_settings(api_tokens=SecretStr("admin-1,client:acme:tok-2")), contracts)
    with pytest.raises(typer.Exit):
        check_configured_tokens(make_settings(api_tokens=SecretStr("client:globex:tok-2")), contracts)
