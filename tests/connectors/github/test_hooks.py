"""Webhook administration through PyGithub against a stand-in GitHub on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from github import Auth, GithubIntegration

from connectors.github.hooks import (
    HOOK_EVENTS,
    Change,
    Delivery,
    HookError,
    HookOwner,
    admin_github,
    app_hook_config,
    app_subscription,
    ensure_hook,
    find_hook,
    list_app_deliveries,
    list_deliveries,
    list_hooks,
    redeliver,
    redeliver_app,
    to_redeliver,
)
from connectors.github.webhook import SUPPORTED_EVENTS
from tests.connectors.github.fake_github_admin import APP_ID, PERSONAL_TOKEN, FakeGitHubAdmin

URL = "https://pulse.example.com/webhooks/github"
SHOP = HookOwner.repo("acme/shop")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    fake = FakeGitHubAdmin()
    fake.add_repo("acme/shop")
    fake.add_org("acme")
    with fake.running():
        yield fake


def gh(fake: FakeGitHubAdmin, token: str = PERSONAL_TOKEN):
    return admin_github(token, base_url=fake.base_url, seconds_between_writes=0)


def app(fake: FakeGitHubAdmin) -> GithubIntegration:
    return GithubIntegration(auth=Auth.AppAuth(APP_ID, fake.private_key), base_url=fake.base_url, retry=0,
                             seconds_between_writes=0)


def test_the_events_are_the_webhook_tables_and_nothing_else():
    assert set(HOOK_EVENTS) == set(SUPPORTED_EVENTS)
    assert list(HOOK_EVENTS) == sorted(HOOK_EVENTS)


def test_ensure_creates_then_changes_nothing(fake):
    created = ensure_hook(gh(fake), SHOP, URL, "s3cret")
    assert created.change is Change.CREATED
    assert created.hook.url == URL and created.hook.events == HOOK_EVENTS and created.hook.content_type == "json"
    assert created.hook.has_secret and not created.hook.differences()
    sent = fake.hooks["repos/acme/shop"][created.hook.id]
    assert sent["config"]["secret"] == "********" and sent["active"] is True
    assert fake.secrets[created.hook.id] == "s3cret"
    writes = [r for r in fake.requests if r[0] != "GET"]

    again = ensure_hook(gh(fake), SHOP, URL + "/", "s3cret")
    assert again.change is Change.UNCHANGED and again.hook.id == created.hook.id
    assert [r for r in fake.requests if r[0] != "GET"] == writes  # no write the second time
    assert len(fake.hooks["repos/acme/shop"]) == 1
    assert {path for _, path, _ in fake.requests} == {"/repos/acme/shop/hooks"}  # no GET of the repository itself


def test_ensure_fixes_wrong_events_and_content_type(fake):
    other = fake.add_hook("repos/acme/shop", "https://ci.example.com/hook", ["push"])
    ours = fake.add_hook("repos/acme/shop", URL, ["issues", "push"], content_type="form", secret=False)
    result = ensure_hook(gh(fake), SHOP, URL, "s3cret")
    assert result.change is Change.UPDATED and result.hook.id == ours
    assert any("events missing: issue_comment" in f for f in result.fixed)
    assert "events not used: push" in result.fixed
    assert "content type is form, not json" in result.fixed and "no secret set" in result.fixed
    row = fake.hooks["repos/acme/shop"][ours]
    assert sorted(row["events"]) == list(HOOK_EVENTS) and row["config"]["content_type"] == "json"
    assert row["config"]["secret"] == "********" and fake.secrets[ours] == "s3cret"
    assert fake.hooks["repos/acme/shop"][other]["events"] == ["push"]  # someone else's hook is left alone
    assert ensure_hook(gh(fake), SHOP, URL, "s3cret").change is Change.UNCHANGED


def test_org_hooks(fake):
    org = HookOwner.org("acme")
    assert ensure_hook(gh(fake), org, URL, "s3cret").change is Change.CREATED
    assert [h.url for h in list_hooks(gh(fake), org)] == [URL]
    assert fake.hooks["repos/acme/shop"] == {}
    assert find_hook(gh(fake), org, URL).owner == org
    assert find_hook(gh(fake), org, "https://elsewhere.example.com/") is None


def test_errors_are_plain_and_say_what_to_do(fake):
    with pytest.raises(HookError, match="acme/missing.*404.*Check the name") as missing:
        list_hooks(gh(fake), HookOwner.repo("acme/missing"))
    assert missing.value.permanent
    with pytest.raises(HookError, match="401.*token") as bad:
        list_hooks(gh(fake, "wrong"), SHOP)
    assert "wrong" not in str(bad.value)
    with pytest.raises(HookError, match="PULSE_GITHUB_WEBHOOK_SECRET"):
        ensure_hook(gh(fake), SHOP, URL, "")


def test_unreachable_github_is_a_temporary_error():
    with pytest.raises(HookError, match="could not be reached") as error:
        list_hooks(admin_github("t", base_url="http://127.0.0.1:9", timeout=2), SHOP)
    assert not error.value.permanent


def test_repo_deliveries_and_redelivery(fake):
    hook = fake.add_hook("repos/acme/shop", URL, list(HOOK_EVENTS))
    recent = datetime.now(UTC) - timedelta(hours=1)
    for n in range(130):  # more than one page of 100
        fake.add_delivery(hook, status_code=200 if n % 2 else 502, at=recent - timedelta(minutes=n))
    old = fake.add_delivery(hook, status_code=500, at=datetime.now(UTC) - timedelta(days=4))
    found = list_deliveries(gh(fake), SHOP, hook)
    assert len(found) == 130 and old not in {d.id for d in found}
    assert found[0].delivered_at > found[-1].delivered_at and found[0].delivered_at.tzinfo is UTC
    assert sum(not d.ok for d in found) == 65
    redeliver(gh(fake), SHOP, hook, found[1].id)
    assert fake.attempts == [(hook, found[1].id)]
    with pytest.raises(HookError, match="404"):
        redeliver(gh(fake), SHOP, hook, 999_999)


def test_app_hook_config_deliveries_and_redelivery_use_the_apps_jwt(fake):
    fake.app_config["url"] = URL
    config = app_hook_config(app(fake))
    assert config.url == URL and config.has_secret and not config.differences(URL)
    fake.app_config.update(content_type="form", secret=None)
    assert app_hook_config(app(fake)).differences("https://other.example.com/webhooks/github") == [
        f"webhook URL is {URL}, not https://other.example.com/webhooks/github",
        "content type is form, not json", "no webhook secret set"]
    delivery = fake.add_delivery(0, status_code=503, at=datetime.now(UTC) - timedelta(minutes=5))
    assert [d.id for d in list_app_deliveries(app(fake))] == [delivery]
    redeliver_app(app(fake), delivery)
    assert fake.attempts == [(0, delivery)]
    with pytest.raises(HookError, match="401"):
        list_app_deliveries(GithubIntegration(auth=Auth.AppAuth(APP_ID + 1, fake.private_key),
                                              base_url=fake.base_url, retry=0))


def test_app_subscription_names_the_missing_events_and_permissions(fake):
    fake.app_events = list(HOOK_EVENTS)
    assert app_subscription(app(fake)).differences() == []
    fake.app_events = ["issues", "push"]
    fake.app_permissions = {"issues": "write", "metadata": "read"}
    assert app_subscription(app(fake)).differences() == [
        "events not ticked: issue_comment, pull_request, pull_request_review, pull_request_review_comment",
        "events ticked but not used: push", "permissions missing (read is enough): pull_requests"]


def _d(ident: int, guid: str, code: int | None, minutes_ago: float, redelivery: bool = False) -> Delivery:
    return Delivery(ident, guid, NOW - timedelta(minutes=minutes_ago), code, redelivery, "issues", "opened")


def test_to_redeliver_picks_each_undelivered_event_once():
    deliveries = [
        _d(1, "ok", 202, 10),
        _d(2, "failed", 500, 20),
        _d(3, "fixed", 502, 30), _d(4, "fixed", 200, 25, redelivery=True),
        _d(5, "twice", 0, 40), _d(6, "twice", 504, 35, redelivery=True),
        _d(7, "pending", None, 1),
        _d(8, "too-old", 500, 3 * 24 * 60 + 1),
        _d(9, "refused", 401, 50),
    ]
    assert [d.id for d in to_redeliver(deliveries, NOW)] == [9, 6, 2]
