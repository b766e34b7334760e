"""Small protections: secrets kept out of access logs, the API's pages framed by nobody, the server's paths private."""

from __future__ import annotations

import logging

import pytest

from app.api.limits import RedactTokens, redact_query
from app.reports.clocks import decode_cursor
from tests.api.conftest import ADMIN, READ
from tests.payloads import TAMPERED_CURSORS, cursor_of


@pytest.mark.parametrize(("path", "logged"), [
    ("/webhooks/jira?token=s3cret", "/webhooks/jira?token=[redacted]"),
    ("/webhooks/jira?%74oken=s3cret&x=1", "/webhooks/jira?%74oken=[redacted]&x=[redacted]"),
    ("/v1/clocks?api_key=k&client=acme", "/v1/clocks?api_key=[redacted]&client=acme"),
    ("/v1/clocks?key=k&password=p&auth=a&access_token=t", "/v1/clocks?key=[redacted]&password=[redacted]&"
                                                            "auth=[redacted]&access_token=[redacted]"),
    ("/v1/clocks?Access%5FToken=t", "/v1/clocks?Access%5FToken=[redacted]"),
    ("/v1/clocks?client=acme&since=2026-03-02T09%3A00%3A00Z", "/v1/clocks?client=acme&since=2026-03-02T09%3A00%3A00Z"),
    ("/v1/clocks", "/v1/clocks"),
])
def test_query_values_that_may_be_secrets_are_hidden(path, logged):
    assert redact_query(path) == logged


def test_the_access_log_filter_redacts_the_request_line():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/v1/clocks?password=p", "1.1", 200), None)
    RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /v1/clocks?password=[redacted] HTTP/1.1" 200'


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_pages_carry_the_same_protections_as_the_dashboard(client, page):
    r = client.get(page)
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_a_read_token_sees_the_contracts_file_by_name_only(client, tmp_path):
    client.app.state.contracts.source = str(tmp_path / "etc" / "pulse.yaml")
    assert client.get("/v1/contracts", headers=READ).json()["source"] == "pulse.yaml"
    assert client.get("/v1/contracts", headers=ADMIN).json()["source"] == str(tmp_path / "etc" / "pulse.yaml")


def test_an_address_that_sends_many_wrong_tokens_must_wait(client):
    wrong = {"Authorization": "Bearer not-a-token-of-ours"}
    for _ in range(3):
        assert client.get("/v1/clocks").status_code == 401  # no token at all is not a guess
    for _ in range(10):
        assert client.get("/v1/clocks", headers=wrong).status_code == 401
    paused = client.get("/v1/clocks", headers=wrong)
    assert paused.status_code == 429 and int(paused.headers["retry-after"]) > 0
    assert "Too many wrong API tokens from this address" in paused.json()["detail"]
    assert client.get("/v1/clocks", headers=ADMIN).status_code == 429  # even a right one, until the pause ends
    client.app.state.sign_in_limiter.succeeded("testclient")
    assert client.get("/v1/clocks", headers=ADMIN).status_code == 200


@pytest.mark.parametrize("what", sorted(TAMPERED_CURSORS))
def test_a_tampered_cursor_is_a_clear_422_not_a_500(client, what):
    r = client.get("/v1/clocks", params={"cursor": TAMPERED_CURSORS[what]}, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert "is not a cursor this API gave out" in r.json()["detail"]


def test_a_cursor_nested_past_the_parser_depth_is_refused_as_any_other():
    with pytest.raises(ValueError, match="is not a cursor this API gave out"):
        decode_cursor(cursor_of(b"[" * 100_000 + b"]" * 100_000))
