"""Security: every /v1 endpoint (enumerated from the OpenAPI schema) refuses missing and wrong tokens; no secret
reaches the logs of a real server run at DEBUG; request size limits hold on a real socket."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.db import make_engine
from app.core.migrate import upgrade
from app.core.tokens import SignInLimiter
from app.main import openapi_schema
from tests.conftest import GITHUB_SECRET, JIRA_SECRET, TOKEN, sign
from tests.reliability.bad_inputs import OVER_LIMIT, github, jira_created, jira_sent, opened
from tests.reliability.live import LiveServer, post_raw, pulse_serve
from tests.reliability.secrets import JIRA_URL_TOKEN, SECRETS, WRONG_TOKEN, leaked

CREDENTIALS = {
    "no Authorization header": {},
    "a wrong token": {"Authorization": f"Bearer {WRONG_TOKEN}"},
    "an empty bearer token": {"Authorization": "Bearer"},
    "Basic instead of Bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "the token as a Basic password": {"Authorization": f"Basic {TOKEN}"},
    "a webhook secret as a token": {"Authorization": f"Bearer {GITHUB_SECRET}"},
    "the token with a read: prefix": {"Authorization": f"Bearer read:{TOKEN}"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # path parameters filled in
    has_body: bool


def v1_operations() -> list[Operation]:
    """Return every /v1 operation the OpenAPI schema lists, with its path parameters filled in."""
    out = []
    for path, operations in openapi_schema()["paths"].items():
        if path.startswith("/v1"):
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            out += [Operation(m.upper(), concrete, "requestBody" in op) for m, op in operations.items()]
    return out


OPERATIONS = v1_operations()
WITH_BODY = [op for op in OPERATIONS if op.has_body]


def test_every_v1_endpoint_refuses_missing_and_wrong_tokens(client):
    assert len(OPERATIONS) >= 17, OPERATIONS
    client.app.state.sign_in_limiter = SignInLimiter(attempts=10**6)  # the pause after wrong tokens: test_hardening
    wrong = []
    for op in OPERATIONS:
        for name, headers in CREDENTIALS.items():
            r = client.request(op.method, op.path, headers=headers, json={} if op.has_body else None)
            if r.status_code != 401 or r.headers.get("www-authenticate") != "Bearer":
                wrong.append(f"{op.method} {op.path} with {name}: {r.status_code}")
            elif leaked(r.text + str(r.headers), SECRETS | {"wrong token": WRONG_TOKEN}):
                wrong.append(f"{op.method} {op.path} with {name}: the answer repeats a secret")
    assert wrong == []


@pytest.mark.parametrize("op", WITH_BODY, ids=[f"{o.method} {o.path}" for o in WITH_BODY])
def test_a_v1_request_without_a_token_is_refused_whatever_its_body(client, op):
    r = client.request(op.method, op.path, content=b'{"client": "acme", ', headers={"Content-Type": "application/json"})
    assert r.status_code == 401, r.text


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real `pulse serve` on SQLite, logging at DEBUG, with every kind of secret configured."""
    workdir = tmp_path_factory.mktemp("security")
    url = f"sqlite:///{workdir / 'pulse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with pulse_serve(url, workdir, PULSE_LOG_LEVEL="DEBUG", PULSE_JIRA_WEBHOOK_TOKEN=JIRA_URL_TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def logged_run(live: LiveServer) -> tuple[str, str]:
    """Use every secret, right and wrong, against the live server; return (its whole log, every answer)."""
    answers = []
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        for sent in (github("issues", opened()), github("issues", opened(), secret="wrong"),
                     jira_sent(jira_created()), jira_sent(jira_created(), secret="wrong"),
                     jira_sent(jira_created(), signature="", query=f"?token={JIRA_URL_TOKEN}"),
                     jira_sent(jira_created(), signature="", query="?token=wrong")):
            r = http.post(sent.path, content=sent.body, headers=sent.headers)  # type: ignore[arg-type]
            answers.append(f"{r.status_code} {r.headers} {r.text}")
    # A delivery without webhookEvent (it used to fail with a logged traceback, see test_bad_input.py);
    # uvicorn may close the connection after a 500, so it goes on a connection of its own.
    broken = jira_sent({"timestamp": 1})
    with contextlib.suppress(httpx.TransportError):
        httpx.post(f"{live.base_url}{broken.path}", content=broken.body, headers=broken.headers, timeout=30)
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        for headers in ({"Authorization": f"Bearer {TOKEN}"}, *CREDENTIALS.values()):
            for path in ("/v1/clocks", "/v1/developers", "/v1/contracts/acme"):
                r = http.get(path, headers=headers)
                answers.append(f"{r.status_code} {r.headers} {r.text}")
    assert any(a.startswith("202 ") for a in answers) and any(a.startswith("200 ") for a in answers)
    return live.log(), "\n".join(answers)


def test_no_secret_sent_in_headers_or_signatures_reaches_the_log_or_an_answer(logged_run):
    log, answers = logged_run
    header_secrets = {k: v for k, v in SECRETS.items() if v != JIRA_URL_TOKEN} | {"a presented token": WRONG_TOKEN}
    assert "202 Accepted" in log and "401 Unauthorized" in log, "the log holds the run's deliveries and refusals"
    assert leaked(log, header_secrets) == []
    assert leaked(answers, SECRETS | {"a presented token": WRONG_TOKEN}) == []


def test_the_jira_url_token_never_reaches_the_log(logged_run):
    log, _ = logged_run
    assert leaked(log, {"Jira URL token": JIRA_URL_TOKEN}) == []


def _head(path: str, *headers: str) -> str:
    return "".join(f"{h}\r\n" for h in (f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers)) + "\r\n"


def _blocks(size: int, chunked: bool) -> Iterator[bytes]:
    block = b"x" * 65536
    for _ in range(size // len(block) + 1):
        yield b"%x\r\n%b\r\n" % (len(block), block) if chunked else block
    if chunked:
        yield b"0\r\n\r\n"


@pytest.mark.parametrize("path", ["/webhooks/github", "/webhooks/jira"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_webhook_body_over_the_limit_is_refused_413_without_reading_it_all(live, path, chunked):
    # Chunked, the server must read up to the limit before it knows; the body is twice the limit so that
    # what the kernel's socket buffers take does not look like the server reading it all.
    size = 2 * OVER_LIMIT if chunked else OVER_LIMIT + 1024 * 1024
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    signature = f"X-Hub-Signature-256: {sign(b'{}')}"
    blocks = list(_blocks(size, chunked))
    answer = post_raw(live.base_url, _head(path, length, "X-GitHub-Event: issues", signature), blocks)
    assert answer.status == 413
    assert answer.sent < sum(map(len, blocks)), "the server answered before taking the whole body"
    assert httpx.get(f"{live.base_url}/healthz").status_code == 200


@pytest.mark.parametrize("op", WITH_BODY, ids=[f"{o.method} {o.path}" for o in WITH_BODY])
def test_a_v1_body_over_the_limit_is_refused_413(live, op):
    size = OVER_LIMIT + 1024 * 1024
    head = _head(op.path, f"Content-Length: {size}", f"Authorization: Bearer {TOKEN}", "Content-Type: application/json")
    answer = post_raw(live.base_url, head, _blocks(size, chunked=False))
    assert answer.status == 413


def test_the_log_secrets_list_is_what_the_server_runs_with():
    assert {GITHUB_SECRET, JIRA_SECRET, TOKEN, JIRA_URL_TOKEN} == set(SECRETS.values())
    assert Path(__file__).with_name("secrets.py").exists()
