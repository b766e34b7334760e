"""Webhook intake over HTTP: every real payload accepted, every bad one refused clearly, nothing half-stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.db import make_engine, make_sessionmaker
from app.core.tables import ActivityRow, RawDelivery, WorkItemRow
from tests.conftest import FIXTURES, post_github, post_jira, sign
from tests.payloads import issue, issue_event

GITHUB = FIXTURES / "github" / "webhooks"
JIRA = FIXTURES / "jira" / "webhooks"


def _fixtures(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.json")) if folder.is_dir() else []


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.skipif(not GITHUB.is_dir(), reason="../shared/fixtures is not available")
def test_every_github_fixture_is_signed_posted_and_accepted(client, factory):
    stored = 0
    for path in _fixtures(GITHUB):
        event = path.parent.name
        r = post_github(client, event, path.read_bytes(), delivery=f"fixture-{event}-{path.stem}")
        assert r.status_code == 202, (path, r.text)
        expected = "ignored" if event == "ping" or path.stem in ("synchronize", "review_requested") else "accepted"
        assert r.json()["status"] == expected, path
        stored += expected == "accepted"
    assert _count(factory, RawDelivery) == stored
    assert _count(factory, WorkItemRow) > 0 and _count(factory, ActivityRow) > 0


@pytest.mark.skipif(not JIRA.is_dir(), reason="../shared/fixtures is not available")
def test_every_jira_fixture_is_signed_posted_and_accepted(client, factory):
    for path in _fixtures(JIRA):
        r = post_jira(client, path.read_bytes())
        assert r.status_code == 202, (path, r.text)
        assert r.json()["status"] == "accepted", path
    assert _count(factory, RawDelivery) == len(_fixtures(JIRA))


@pytest.mark.skipif(not JIRA.is_dir(), reason="../shared/fixtures is not available")
@pytest.mark.parametrize("order", ["comment_first", "issue_first"])
def test_a_data_center_comment_sent_twice_is_counted_once_under_its_real_key(client, factory, order):
    bare = JIRA / "comment_created" / "webhook-server-comment-created.json"
    full = JIRA / "jira_issue_updated" / "webhook-server-issue-updated-commented-1.json"
    for path in ([bare, full] if order == "comment_first" else [full, bare]):
        assert post_jira(client, path.read_bytes()).status_code == 202
    with factory() as s:
        rows = s.scalars(select(ActivityRow).where(ActivityRow.external_id == "comment:10082")).all()
    assert [r.item_key for r in rows] == ["PRJX-14"]


def test_jira_redelivery_is_deduplicated_by_its_identifier(client, factory):
    payload = {"timestamp": 1700000000000, "webhookEvent": "comment_deleted",
               "comment": {"id": "1", "self": "https://x.atlassian.net/rest/api/2/issue/10/comment/1",
                           "author": {"accountId": "acc-alice"}, "body": "x",
                           "created": "2023-11-14T22:13:20.000+0000", "updated": "2023-11-14T22:13:20.000+0000"},
               "issue": {"id": "10", "key": "SHOP-1", "self": "https://x.atlassian.net/rest/api/2/issue/10"}}
    assert post_jira(client, payload, delivery="abc").status_code == 202
    r = post_jira(client, payload, delivery="abc", headers={"X-Atlassian-Webhook-Retry": "1"})
    assert r.status_code == 200 and r.json()["status"] == "duplicate"
    assert _count(factory, RawDelivery) == 1


def _opened() -> dict:
    from datetime import UTC, datetime

    return issue_event("opened", issue(1, "alice-acme", datetime(2026, 3, 2, 10, tzinfo=UTC)), "alice-acme")


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"", 400, "empty"),
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({"action": "opened", "repository": {"full_name": "acme/shop"}}).encode(), 400, "issue"),
    ],
)
def test_bad_github_bodies_get_a_clear_400_and_store_nothing(client, factory, body, status, words):
    r = post_github(client, "issues", body)
    assert r.status_code == status
    assert words in r.json()["detail"]
    assert _count(factory, RawDelivery) == 0


def test_unknown_events_are_acknowledged_as_ignored(client, factory):
    r = post_github(client, "deployment", {"action": "created"})
    assert r.status_code == 202 and r.json()["status"] == "ignored"
    assert _count(factory, RawDelivery) == 0


def test_missing_event_header_is_a_400(client):
    body = json.dumps(_opened()).encode()
    r = client.post("/webhooks/github", content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert r.status_code == 400 and "X-GitHub-Event" in r.json()["detail"]


def test_legacy_sha1_signature_alone_is_refused(client, factory):
    r = post_github(client, "issues", _opened(), headers={"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=00"})
    assert r.status_code == 401
    assert _count(factory, RawDelivery) == 0


def test_oversized_body_is_refused_with_413(app, client, factory):
    app.state.settings = app.state.settings.model_copy(update={"max_webhook_bytes": 1000})
    r = post_github(client, "issues", {"pad": "x" * 2000})
    assert r.status_code == 413
    assert _count(factory, RawDelivery) == 0


def test_without_a_secret_nothing_is_accepted_and_the_answer_says_why(app, client, factory):
    app.state.settings = app.state.settings.model_copy(update={"github_webhook_secret": None})
    r = post_github(client, "issues", _opened())
    assert r.status_code == 401
    assert "PULSE_GITHUB_WEBHOOK_SECRET" in r.json()["detail"]
    app.state.settings = app.state.settings.model_copy(update={"insecure_webhooks": True})
    assert post_github(client, "issues", _opened(), headers={"X-Hub-Signature-256": ""}).status_code == 202


def test_jira_url_token_is_the_documented_alternative(app, client):
    from pydantic import SecretStr

    token = "t" * 40
    app.state.settings = app.state.settings.model_copy(
        update={"jira_webhook_secret": None, "jira_webhook_token": SecretStr(token)})
    payload = {"timestamp": 1700000000000, "webhookEvent": "jira:issue_deleted",
               "issue": {"id": "10", "key": "SHOP-1", "self": "https://x.atlassian.net/rest/api/2/issue/10",
                         "fields": {}}}
    body = json.dumps(payload).encode()
    assert client.post("/webhooks/jira?token=wrong", content=body).status_code == 401
    assert client.post(f"/webhooks/jira?token={token}", content=body).status_code == 202


def test_database_down_answers_503_so_the_sender_retries(app, client):
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_pre_ping=False)
    app.state.sessionmaker = make_sessionmaker(dead)
    r = post_github(client, "issues", _opened())
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "nothing was stored" in r.json()["detail"]
