"""The redelivery job against a stand-in GitHub on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.tables import GitHubRedelivery
from app.sync.redelivery import APP_HOOK, redeliver_missed
from app.sync.runner import Connectors
from connectors.github.hooks import HOOK_EVENTS
from tests.conftest import make_settings
from tests.connectors.github.fake_github_admin import APP_ID, PERSONAL_TOKEN, FakeGitHubAdmin

URL = "https://pulse.example.com/webhooks/github"
pytestmark = pytest.mark.postgres


@pytest.fixture
def fake():
    fake = FakeGitHubAdmin(installations={"acme": 5})
    fake.add_repo("acme/shop")
    fake.add_org("acme")
    with fake.running():
        yield fake


def connectors(fake: FakeGitHubAdmin, factory, *, app: bool = False, url: str | None = URL) -> Connectors:
    extra = {"github_app_id": APP_ID, "github_app_private_key": fake.private_key} if app else {}
    settings = make_settings(github_token=PERSONAL_TOKEN, github_api_url=fake.base_url, github_webhook_url=url,
                             **extra)
    return Connectors(settings, factory, write_pause=0)


def run(fake, factory, contracts, *, now=None, limit=50, **kwargs):
    return redeliver_missed(factory=factory, contracts=contracts, connectors=connectors(fake, factory, **kwargs),
                            now=now or datetime.now(UTC), worker="test:1", limit=limit)


def rows(factory) -> dict[str, tuple[str, int, str]]:
    with factory() as session:
        return {r.guid: (r.outcome, r.delivery_id, r.hook) for r in session.scalars(select(GitHubRedelivery))}


def test_asks_once_for_failed_deliveries_never_for_delivered_or_redelivered_ones(fake, factory, contracts):
    hook = fake.add_hook("repos/acme/shop", URL, list(HOOK_EVENTS))
    other = fake.add_hook("repos/acme/shop", "https://ci.example.com/hook", ["push"])
    now = datetime.now(UTC)
    failed = fake.add_delivery(hook, status_code=502, at=now - timedelta(hours=2), guid="lost")
    timeout = fake.add_delivery(hook, status_code=0, at=now - timedelta(hours=1), guid="timed-out")
    fake.add_delivery(hook, status_code=202, at=now - timedelta(hours=3), guid="fine")
    fake.add_delivery(hook, status_code=500, at=now - timedelta(hours=5), guid="healed")
    fake.add_delivery(hook, status_code=200, at=now - timedelta(hours=4), guid="healed", redelivery=True)
    fake.add_delivery(hook, status_code=500, at=now - timedelta(days=3, minutes=1), guid="too-old")
    fake.add_delivery(other, status_code=500, at=now - timedelta(hours=1), guid="not-ours")

    first = run(fake, factory, contracts, now=now)
    assert sorted(fake.attempts) == sorted([(hook, failed), (hook, timeout)])
    assert (first.requested, first.failed, first.errors) == (2, 2, [])
    assert rows(factory) == {"lost": ("requested", failed, "acme/shop"),
                             "timed-out": ("requested", timeout, "acme/shop")}

    # The redelivery failed again (a new attempt, same guid): it is not asked for twice.
    fake.add_delivery(hook, status_code=503, at=now + timedelta(minutes=1), guid="lost", redelivery=True)
    second = run(fake, factory, contracts, now=now + timedelta(minutes=2))
    assert len(fake.attempts) == 2 and second.requested == 0 and second.already == 2


def test_the_apps_hook_is_redelivered_with_the_apps_jwt(fake, factory, contracts):
    now = datetime.now(UTC)
    delivery = fake.add_delivery(0, status_code=401, at=now - timedelta(minutes=30), guid="app-lost")
    fake.add_delivery(0, status_code=202, at=now - timedelta(minutes=20), guid="app-fine")
    result = run(fake, factory, contracts, app=True, url=None, now=now)
    assert fake.attempts == [(0, delivery)] and result.requested == 1
    assert rows(factory) == {"app-lost": ("requested", delivery, APP_HOOK)}


def test_org_hooks_and_the_cap_per_run(fake, factory, contracts):
    hook = fake.add_hook("orgs/acme", URL, list(HOOK_EVENTS))
    now = datetime.now(UTC)
    for n in range(5):
        fake.add_delivery(hook, status_code=500, at=now - timedelta(minutes=10 + n))
    assert run(fake, factory, contracts, now=now, limit=3).requested == 3
    assert run(fake, factory, contracts, now=now, limit=3).requested == 2
    assert len(fake.attempts) == 5 and len(set(fake.attempts)) == 5
    assert {hook_label for _, _, hook_label in rows(factory).values()} == {"organisation acme"}


def test_a_rate_limit_stops_the_pass_and_the_next_one_asks(fake, factory, contracts):
    hook = fake.add_hook("repos/acme/shop", URL, list(HOOK_EVENTS))
    fake.add_delivery(hook, status_code=500, at=datetime.now(UTC) - timedelta(minutes=5), guid="later")
    fake.rate_limited = True
    limited = run(fake, factory, contracts)
    assert limited.stopped and limited.requested == 0 and "rate limit" in limited.errors[0]
    assert rows(factory) == {}  # GitHub did not take it: nothing recorded, so it is asked for again
    fake.rate_limited = False
    assert run(fake, factory, contracts).requested == 1 and len(fake.attempts) == 1


def test_a_refusal_is_recorded_and_not_asked_again(fake, factory, contracts):
    hook = fake.add_hook("repos/acme/shop", URL, list(HOOK_EVENTS))
    delivery = fake.add_delivery(hook, status_code=500, at=datetime.now(UTC) - timedelta(minutes=5), guid="gone")
    fake.refused.add(delivery)
    refused = run(fake, factory, contracts)
    assert refused.refused == 1 and refused.requested == 0
    [(outcome, _, _)] = rows(factory).values()
    assert outcome == "refused"
    assert run(fake, factory, contracts).refused == 0


def test_nothing_to_do_without_a_webhook_url_or_an_app(fake, factory, contracts):
    fake.add_hook("repos/acme/shop", URL, list(HOOK_EVENTS))
    result = run(fake, factory, contracts, url=None)
    assert result.hooks == 0 and fake.requests == []
