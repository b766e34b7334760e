"""GitHub App authentication against a stand-in GitHub that checks the JWT with the App's public key."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import respx

from connectors.github.app_auth import InstallationTokens, app_integration, check_private_key
from connectors.github.client import GitHubClient, GitHubError
from tests.connectors.github.fake_github_admin import APP_ID, FakeGitHubAdmin, rsa_key_pair


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake(clock):
    fake = FakeGitHubAdmin(installations={"acme": 11, "olena-dev": 22}, now=clock)
    fake.add_org("acme")
    with fake.running():
        yield fake


def tokens(fake: FakeGitHubAdmin, clock: Clock, key: str | None = None) -> InstallationTokens:
    return InstallationTokens(app_integration(APP_ID, key or fake.private_key, base_url=fake.base_url), now=clock)


def test_the_jwt_is_signed_with_the_apps_key_and_names_the_app(fake, clock):
    app = app_integration(APP_ID, fake.private_key, base_url=fake.base_url)
    claims = jwt.decode(app.auth.token, fake.public_key, algorithms=["RS256"])
    assert claims["iss"] == str(APP_ID) and claims["exp"] - claims["iat"] <= 10 * 60
    tokens(fake, clock).token_for("acme")
    jwts = [token for _, path, token in fake.requests if path.startswith(("/app/", "/orgs/"))]
    assert jwts and all(jwt.decode(t, fake.public_key, algorithms=["RS256"])["iss"] == str(APP_ID) for t in jwts)


def test_a_jwt_from_another_key_is_refused(fake, clock):
    other_key, _ = rsa_key_pair()
    with pytest.raises(GitHubError, match="answered 401.*PULSE_GITHUB_APP_PRIVATE_KEY") as error:
        tokens(fake, clock, other_key).token_for("acme")
    assert error.value.permanent and "PRIVATE KEY-----" not in str(error.value)


def test_installation_per_owner_token_minted_cached_and_refreshed_before_expiry(fake, clock):
    provider = tokens(fake, clock)
    org_token = provider.token_for("acme")
    user_token = provider.token_for("olena-dev")  # a user account: /orgs/ answers 404, /users/ finds it
    assert [installation for installation, _ in fake.minted] == [11, 22]
    assert org_token != user_token and org_token.startswith("ghs_installation_11_")
    assert provider.token_for("ACME") == org_token  # cached, and owners are case-insensitive
    clock.now += timedelta(minutes=54)  # expires in 6 minutes: still handed out
    assert provider.token_for("acme") == org_token and len(fake.minted) == 2
    clock.now += timedelta(minutes=2)  # 4 minutes left: replaced before it expires
    fresh = provider.token_for("acme")
    assert fresh != org_token and [i for i, _ in fake.minted] == [11, 22, 11]
    lookups = [path for _, path, _ in fake.requests if path.endswith("/installation")]
    assert lookups == ["/orgs/acme/installation", "/orgs/olena-dev/installation", "/users/olena-dev/installation"]


def test_many_threads_get_one_token_per_installation(fake, clock):
    provider = tokens(fake, clock)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(provider.token_for("acme"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and len(seen) == 8 and len(fake.minted) == 1


def test_an_owner_without_the_app_says_to_install_it(fake, clock):
    with pytest.raises(GitHubError, match="not installed on globex: install it") as error:
        tokens(fake, clock).token_for("globex")
    assert error.value.permanent


def test_the_sync_client_sends_each_owners_installation_token_asked_per_request():
    asked: list[str | None] = []

    def provider(owner: str | None) -> str:
        asked.append(owner)
        return f"token-of-{owner}-{len(asked)}"

    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(url__regex=r"https://api\.github\.com/.*").mock(return_value=httpx.Response(200, json=[]))
        with GitHubClient(provider, sleep=lambda s: None) as client:
            client.get_page("/repos/acme/shop/issues")
            client.get_page("/repos/globex/api/issues")
            client.get_page("/repositories/42/issues?page=2")  # a next link: same owner as the listing before
    sent = [call.request.headers["authorization"] for call in route.calls]
    assert sent == ["Bearer token-of-acme-1", "Bearer token-of-globex-2", "Bearer token-of-globex-3"]


@pytest.mark.parametrize(("text", "problem"), [
    ("not a key", "is not a PEM private key"),
    ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "is not a PEM private key"),
])
def test_a_bad_key_is_named_in_plain_words_without_its_text(text, problem):
    with pytest.raises(ValueError, match=problem) as error:
        check_private_key(text)
    assert "AAAA" not in str(error.value)


def test_a_real_key_passes():
    private, _ = rsa_key_pair()
    check_private_key(private)
