"""Bad input catalogue (bad_inputs.py): each kind gets a clear 4xx, or a documented 2xx, on SQLite and PostgreSQL.

Every case leaves every table as it was (or, for odd but legitimate text, adds exactly that delivery's rows
and stores the text as sent), never answers 5xx, and the service accepts a good delivery right after it.
tests/app/test_intake.py holds the first, smaller set of these; this catalogue extends it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, or_, select

from app.contracts import parse_contracts
from app.core.db import make_engine, make_sessionmaker
from app.core.migrate import upgrade
from app.core.tables import ActivityRow, WorkItemRow
from app.main import create_app
from tests.conftest import (
    AUTH,
    CONTRACTS_YAML,
    _drop_schema,
    _postgres_engine,
    _require_postgres,
    make_settings,
    settle,
)
from tests.reliability.bad_inputs import CASES, KNOWN_BUGS, Case, Sent, github, opened
from tests.reliability.secrets import JIRA_URL_TOKEN
from tests.reliability.snapshot import RECORD_TABLES, row_counts

PROBLEM_JSON = "application/problem+json"


@dataclass
class Service:
    dialect: str
    client: TestClient
    engine: Engine


def _engine(dialect: str, folder: Path) -> tuple[Engine, str | None]:
    if dialect == "sqlite":
        return make_engine(f"sqlite:///{folder / 'catalogue.db'}"), None
    _require_postgres()
    schema = f"b_{uuid.uuid4().hex[:12]}"
    return _postgres_engine(schema), schema


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One app and database per dialect for the whole catalogue: each case compares row counts around itself."""
    engine, schema = _engine(request.param, tmp_path_factory.mktemp("catalogue"))
    upgrade(engine)
    settings = make_settings(jira_webhook_token=SecretStr(JIRA_URL_TOKEN))
    app = create_app(settings, contracts=parse_contracts(CONTRACTS_YAML), warn=False)
    app.state.engine.dispose()
    app.state.engine, app.state.sessionmaker = engine, make_sessionmaker(engine)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Service(request.param, client, engine)
    finally:
        engine.dispose()
        if schema:
            _drop_schema(schema)


def send(client: TestClient, sent: Sent) -> httpx.Response:
    """Send a request; for a webhook, return once what it acknowledged has its records stored."""
    body = sent.body() if callable(sent.body) else sent.body
    response = client.request(sent.method, sent.path, content=body, headers=sent.headers)
    if sent.path.startswith("/webhooks/"):
        settle(client.app)
    return response


def _stored_texts(engine: Engine, variants: tuple[str, ...]) -> list[str]:
    with engine.connect() as conn:
        bodies = conn.scalars(select(ActivityRow.body).where(ActivityRow.body.in_(variants))).all()
        titles = conn.scalars(select(WorkItemRow.title).where(or_(*(WorkItemRow.title == v for v in variants)))).all()
    return [*bodies, *titles]


def check_refused(case: Case, r: httpx.Response, before: dict[str, int], after: dict[str, int]) -> None:
    assert r.status_code in case.codes, r.text[:500]
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert case.words in r.json()["detail"], r.json()["detail"]
    assert after == before, "a refused delivery stores nothing"


def check_stored(case: Case, r: httpx.Response, engine: Engine, before: dict[str, int], after: dict[str, int]) -> None:
    assert r.status_code == 202 and r.json()["status"] == "accepted", r.text[:500]
    records = {t.name for t in RECORD_TABLES}
    assert {t: n for t, n in after.items() if t not in records} == {t: n for t, n in before.items() if t not in records}
    assert after["raw_deliveries"] == before["raw_deliveries"] + 1
    if case.stored_as:
        assert _stored_texts(engine, case.stored_as), "the text is stored exactly as sent"


def check(case: Case, r: httpx.Response, service: Service, before: dict[str, int], after: dict[str, int]) -> None:
    assert r.status_code < 500, f"{case.name}: {r.status_code} {r.text[:500]}"
    if case.expect == "refused":
        check_refused(case, r, before, after)
    elif case.expect == "stored":
        check_stored(case, r, service.engine, before, after)
    else:
        code = 202 if case.expect == "ignored" else 200
        assert (r.status_code, r.json()["status"]) == (code, case.expect), r.text[:500]
        assert after == before, f"an {case.expect} delivery stores nothing"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bad_input_gets_a_clear_answer_and_changes_nothing(service: Service, case: Case,
                                                                request: pytest.FixtureRequest):
    if case.bug and service.dialect in case.bug_on:
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_BUGS[case.bug]))
    if case.first is not None:
        assert send(service.client, case.first()).status_code == 202
    before = row_counts(service.engine)
    answer = send(service.client, case.build())
    after = row_counts(service.engine)
    good = send(service.client, github("issues", opened()))
    assert (good.status_code, good.json().get("status")) == (202, "accepted"), "the service keeps serving"
    check(case, answer, service, before, after)


def test_the_catalogue_covers_at_least_thirty_kinds():
    assert len({c.name for c in CASES}) == len(CASES) >= 30
    assert {c.expect for c in CASES} == {"refused", "ignored", "duplicate", "stored"}


def test_a_malformed_v1_body_is_explained_as_not_json(service: Service):
    headers = AUTH | {"Content-Type": "application/json"}
    r = service.client.post("/v1/feedback", content=b'{"client": "acme", ', headers=headers)
    assert r.status_code in (400, 422)
    assert "'19'" not in r.json()["detail"] and "JSON" in r.json()["detail"], r.json()["detail"]
