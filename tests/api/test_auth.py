"""Bearer tokens: configured and created ones, read and admin scopes, and what stays outside auth."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.db import transaction
from app.core.tokens import Scope, configured_tokens, create_token, match_configured, revoke_token
from tests.api.conftest import ADMIN, READ, READ_TOKEN

V1_GETS = ["/v1/metrics/responsiveness", "/v1/metrics/bug-fix", "/v1/clocks", "/v1/developers",
           "/v1/developers/olena", "/v1/clients", "/v1/clients/acme", "/v1/work-items/github/acme/shop%231",
           "/v1/contracts", "/v1/contracts/acme"]


@pytest.mark.parametrize("path", V1_GETS)
def test_every_v1_endpoint_refuses_a_request_without_a_token(client, path):
    r = client.get(path)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in r.json()["detail"]


def test_a_wrong_token_is_refused_with_a_clear_message(client):
    r = client.get("/v1/clocks", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.json()["detail"] == "This API token is not valid or was revoked. Ask an administrator for a current one."
    assert client.get("/v1/clocks", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def test_a_read_token_reads_but_may_not_reload_the_contracts(client):
    assert client.get("/v1/contracts", headers=READ).status_code == 200
    r = client.post("/v1/contracts/reload", headers=READ)
    assert r.status_code == 403
    assert r.json()["title"] == "Not allowed"
    assert "admin token" in r.json()["detail"]


def test_a_created_token_works_until_it_is_revoked(client, factory):
    with transaction(factory) as session:
        _, token = create_token(session, name="billing-sheet", scope=Scope.READ)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/contracts", headers=headers).status_code == 200
    assert client.post("/v1/contracts/reload", headers=headers).status_code == 403
    with transaction(factory) as session:
        assert [t.name for t in revoke_token(session, "billing-sheet", datetime.now(UTC))] == ["billing-sheet"]
    assert client.get("/v1/contracts", headers=headers).status_code == 401


def test_a_created_admin_token_may_reload(client, factory, tmp_path, contracts_file):
    client.app.state.settings = client.app.state.settings.model_copy(update={"contracts": contracts_file})
    with transaction(factory) as session:
        row, token = create_token(session, name="ops", scope=Scope.ADMIN)
        assert len(row.token_hash) == 64 and token not in row.token_hash
    assert client.post("/v1/contracts/reload", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_health_metrics_and_webhooks_stay_outside_bearer_auth(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    r = client.post("/webhooks/github", content=b"{}", headers={"X-GitHub-Event": "ping"})
    assert r.status_code == 401  # refused by its signature check, not by bearer auth
    assert "X-Hub-Signature-256" in r.json()["detail"]


def test_configured_entries_plain_are_admin_and_read_prefix_is_read_only():
    known = configured_tokens(["alpha", f"read:{READ_TOKEN}", "read:"])
    assert [(k.scope, k.name) for k in known] == [(Scope.ADMIN, "PULSE_API_TOKENS entry 1"),
                                                   (Scope.READ, "PULSE_API_TOKENS entry 2")]
    assert match_configured("alpha", known).scope is Scope.ADMIN
    assert match_configured(READ_TOKEN, known).scope is Scope.READ
    assert match_configured(f"read:{READ_TOKEN}", known) is None
    assert match_configured("", known) is None


def test_admin_env_token_reads_too(client):
    assert client.get("/v1/contracts", headers=ADMIN).status_code == 200
