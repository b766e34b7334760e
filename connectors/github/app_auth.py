"""GitHub App authentication: the App's JWT, its installation per repository owner, installation tokens.

PyGithub does the signing (``Auth.AppAuth``, RS256 with the App's private key) and the calls
(``GithubIntegration``: ``/orgs/{org}/installation``, ``/users/{user}/installation``,
``/app/installations/{id}/access_tokens``). ``InstallationTokens`` keeps one token per installation and mints a
new one five minutes before the old one expires (GitHub's last an hour), for any number of threads.

PyGithub and cryptography are imported by the functions that use them, not by this module: importing them takes
about a second, and every process reads the settings (which check the App's key here), most without a key to
check or GitHub to call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from connectors.github.client import GitHubError

if TYPE_CHECKING:
    from github import GithubException, GithubIntegration

REFRESH_BEFORE = timedelta(minutes=5)


def check_private_key(pem: str) -> None:
    """Raise ValueError, in plain words and without the key's text, unless ``pem`` is an RSA private key."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("is not a PEM private key: paste the whole .pem file GitHub gave for the App, "
                         "from -----BEGIN RSA PRIVATE KEY----- to its END line") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("is not an RSA private key; GitHub Apps sign with the RSA key GitHub generates")


def app_integration(app_id: int | str, private_key: str, *, base_url: str = "https://api.github.com",
                    timeout: int = 30, seconds_between_writes: float = 1.0) -> GithubIntegration:
    """Return a PyGithub client that authenticates as the App with a JWT signed by ``private_key``."""
    from github import Auth, GithubIntegration

    return GithubIntegration(auth=Auth.AppAuth(app_id, private_key.strip()), base_url=base_url, timeout=timeout,
                             retry=0, seconds_between_writes=seconds_between_writes)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class InstallationTokens:
    """Hand out the installation token for a repository owner, minting and refreshing it as needed."""

    def __init__(self, app: GithubIntegration, *, refresh_before: timedelta = REFRESH_BEFORE,
                 now: Callable[[], datetime] = _utc_now) -> None:
        self.app = app
        self.refresh_before = refresh_before
        self._now = now
        self._lock = threading.Lock()
        self._installations: dict[str, int] = {}  # owner login (lower case) -> installation id
        self._tokens: dict[int, tuple[str, datetime]] = {}  # installation id -> (token, expires at)

    def __call__(self, owner: str | None) -> str:
        return self.token_for(owner)

    def token_for(self, owner: str | None) -> str:
        """Return a token of the installation on ``owner`` that is valid for at least ``refresh_before``."""
        if not owner:
            raise GitHubError("A GitHub App request named no repository owner, so no installation token "
                              "could be chosen.", True)
        with self._lock:
            installation = self._installation(owner)
            cached = self._tokens.get(installation)
            if cached is not None and cached[1] - self._now() > self.refresh_before:
                return cached[0]
            token, expires_at = self._mint(installation)
            self._tokens[installation] = (token, expires_at)
            return token

    def installation_for(self, owner: str) -> int:
        """Return the id of the App's installation on ``owner`` (an organisation or a user)."""
        with self._lock:
            return self._installation(owner)

    def _installation(self, owner: str) -> int:
        key = owner.lower()
        if key not in self._installations:
            self._installations[key] = self._look_up(owner)
        return self._installations[key]

    def _look_up(self, owner: str) -> int:
        from github import GithubException

        for find in (self.app.get_org_installation, self.app.get_user_installation):
            try:
                return int(find(owner).id)
            except GithubException as exc:
                if exc.status != 404:
                    raise _error(exc, f"find the GitHub App's installation on {owner}") from None
            except OSError as exc:
                raise GitHubError(f"Could not reach GitHub to find the App's installation on {owner}: "
                                  f"{type(exc).__name__}.", False) from None
        raise GitHubError(f"The GitHub App is not installed on {owner}: install it there (GitHub: the App's "
                          "page, Install App) with access to the client's repositories.", True, status=404)

    def _mint(self, installation: int) -> tuple[str, datetime]:
        from github import GithubException

        try:
            grant = self.app.get_access_token(installation)
        except GithubException as exc:
            raise _error(exc, f"mint a token for the GitHub App's installation {installation}") from None
        except OSError as exc:
            raise GitHubError(f"Could not reach GitHub to mint an installation token: {type(exc).__name__}.",
                              False) from None
        expires_at = grant.expires_at
        if expires_at.tzinfo is None:  # GitHub sends ...Z; PyGithub keeps it aware, but be sure
            expires_at = expires_at.replace(tzinfo=UTC)
        return grant.token, expires_at.astimezone(UTC)


def _error(exc: GithubException, doing: str) -> GitHubError:
    hint = {401: " Check PULSE_GITHUB_APP_ID and that PULSE_GITHUB_APP_PRIVATE_KEY is the App's current key, "
                 "and that this machine's clock is right (the App's JWT is only valid for minutes)."}
    transient = exc.status is None or exc.status >= 500
    return GitHubError(f"Could not {doing}: GitHub answered {exc.status}.{hint.get(exc.status or 0, '')}",
                       not transient, status=exc.status)
