"""The doctor's GitHub checks: each repository reachable with the credentials and with which permissions, and its
webhook (or the GitHub App's) posting to us with the right events and content type, with its last deliveries'
status codes. The webhook calls are connectors.github.hooks's.

A personal token's permissions are the repository's ``permissions`` object and the token's ``X-OAuth-Scopes``
(classic tokens only); a GitHub App's are its installation's ``permissions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.sync.doctor import Check, Doctor, Finding, ok, problem, warning
from app.sync.runner import Connectors
from connectors.github.client import GitHubError
from connectors.github.hooks import (
    Delivery,
    HookError,
    HookOwner,
    app_hook_config,
    app_subscription,
    find_hook,
    list_app_deliveries,
    list_deliveries,
)

if TYPE_CHECKING:
    from github import Github, GithubIntegration

APP_NEEDS = ("issues", "pull_requests", "metadata")
LAST_DELIVERIES = 10


class _Access:
    """The sync's GitHub clients (connectors of app.sync.runner), with the doctor's shorter timeout."""

    def __init__(self, doctor: Doctor) -> None:
        timeout = float(max(int(doctor.http_timeout), 1))
        settings = doctor.settings.model_copy(update={"http_timeout_seconds": timeout})
        self.connectors = Connectors(settings, doctor.factory, write_pause=0)
        self.app: GithubIntegration | None = self.connectors.github_app()

    def for_owner(self, owner: str) -> Github:
        return self.connectors.github_admin(owner)


def check_github_repos(doctor: Doctor) -> list[Finding]:
    """Say, per repository in the contracts, whether the credentials reach it and with which permissions."""
    if not doctor.repositories():
        return []
    from github import GithubException  # imported once there is GitHub to ask: it costs about a second

    access = _Access(doctor)
    found = []
    for repo in doctor.repositories():
        name = f"GitHub repository {repo}"
        try:
            gh = access.for_owner(repo.split("/")[0])
            found.append(_repo_finding(access, gh, repo, name))
        except GitHubError as exc:
            found.append(problem(name, str(exc), "Install the GitHub App on the repository's owner, or check "
                                 "PULSE_GITHUB_APP_ID and its key."))
        except GithubException as exc:
            found.append(_refused(name, repo, exc.status))
            if exc.status == 401:
                break  # the same credentials fail everywhere: once is enough
        except OSError as exc:
            found.append(problem(name, f"GitHub could not be reached ({type(exc).__name__}).",
                                 "Check PULSE_GITHUB_API_URL and that GitHub is reachable from this machine."))
    return found


def _repo_finding(access: _Access, gh: Github, repo: str, name: str) -> Finding:
    headers, shown = gh.requester.requestJsonAndCheck("GET", f"/repos/{repo}")
    if access.app is not None:
        owner, _, short = repo.partition("/")
        have = access.app.get_repo_installation(owner, short).permissions or {}
        missing = [p for p in APP_NEEDS if not have.get(p)]
        granted = ", ".join(f"{k} {v}" for k, v in sorted(have.items()))
        if missing:
            return problem(name, f"The GitHub App's installation lacks {', '.join(missing)} (it has: {granted}).",
                           "Give the App read access to " + ", ".join(missing) + " in its settings, then accept "
                           "the new permissions on the installation.")
        return ok(name, f"reachable as the GitHub App; installation permissions: {granted}")
    rights = (shown or {}).get("permissions") or {}
    level = next((word for word, key in (("admin", "admin"), ("write", "push"), ("read", "pull")) if rights.get(key)),
                 "none")
    scopes = {k.lower(): v for k, v in (headers or {}).items()}.get("x-oauth-scopes")
    said = f"reachable; permission: {level}" + (f"; token scopes: {scopes or 'none'}" if scopes is not None else "")
    if level == "none":
        return problem(name, "The token sees the repository but may not read it.",
                       "Give the token read access to its issues and pull requests.")
    if level != "admin":
        return warning(name, said + " (its webhooks cannot be checked or set with this token)",
                       "Use a GitHub App, or a token with admin rights on the repository (classic: the "
                       "admin:repo_hook scope), for pulse connect github and these checks.")
    return ok(name, said)


def _refused(name: str, repo: str, status: int | None) -> Finding:
    if status == 401:
        return problem(name, "GitHub refused the credentials.", "Check PULSE_GITHUB_TOKEN (or the GitHub App's id "
                       "and key): it may have expired or been revoked.")
    if status == 404:
        return problem(name, f"GitHub shows no repository {repo} to these credentials.",
                       f"Check the name {repo} in the contracts file, and give the token (or the GitHub App's "
                       "installation) access to it.")
    return problem(name, f"GitHub answered {status}.", "Check the credentials' access to the repository.")


def check_github_webhooks(doctor: Doctor) -> list[Finding]:
    """Say whether each repository's webhook (or the App's) posts to us as needed, and how its deliveries went."""
    if not doctor.repositories():
        return []
    url = doctor.webhook_url("github")
    if url is None:
        return [warning("GitHub webhooks", "Not checked: PULSE_GITHUB_WEBHOOK_URL is not set.",
                        "Set PULSE_GITHUB_WEBHOOK_URL to the address GitHub posts to, e.g. "
                        "https://pulse.example.com/webhooks/github.")]
    access = _Access(doctor)
    if access.app is not None:
        return _app_webhook(access.app, url)
    found = []
    for repo in doctor.repositories():
        name = f"GitHub webhook {repo}"
        try:
            found.extend(_repo_webhook(access, repo, url, name))
        except HookError as exc:
            found.append(problem(name, str(exc), "Fix the access the message names and run pulse doctor again."))
    return found


def _repo_webhook(access: _Access, repo: str, url: str, name: str) -> list[Finding]:
    gh = access.for_owner(repo.split("/")[0])
    owner = HookOwner.repo(repo)
    hook = find_hook(gh, owner, url)
    if hook is None:
        org = HookOwner.org(repo.split("/")[0])
        try:
            hook, owner = find_hook(gh, org, url), org
        except HookError:
            hook = None  # a user's repository, or no right to see the organisation's hooks
    if hook is None:
        return [problem(name, f"No webhook posts to {url}: changes reach Delivery Pulse only by the sync.",
                        f"Run pulse connect github --repo {repo} --url {url}.")]
    if wrong := hook.differences():
        return [problem(name, f"The webhook of {owner.label} posts to us, but: " + "; ".join(wrong) + ".",
                        f"Run pulse connect github --repo {repo} --url {url} to correct it.")]
    return [ok(name, f"posts to {url} (webhook of {owner.label}), JSON, with a secret"),
            _deliveries(f"GitHub deliveries {repo}", list_deliveries(gh, owner, hook.id, limit=LAST_DELIVERIES))]


def _app_webhook(app: GithubIntegration, url: str) -> list[Finding]:
    name = "GitHub App webhook"
    try:
        config = app_hook_config(app)
        if wrong := config.differences(url) + app_subscription(app).differences():
            return [problem(name, "The GitHub App's webhook: " + "; ".join(wrong) + ".",
                            f"In the App's settings set the webhook URL to {url}, content type JSON, the secret of "
                            "PULSE_GITHUB_WEBHOOK_SECRET, and the events pulse connect github prints.")]
        found = [ok(name, f"posts to {url}, JSON, with a secret, for exactly the events Delivery Pulse reads")]
        found.append(_deliveries("GitHub App deliveries", list_app_deliveries(app, limit=LAST_DELIVERIES)))
        return found
    except HookError as exc:
        return [problem(name, str(exc), "Check PULSE_GITHUB_APP_ID and the App's key.")]


def _deliveries(name: str, recent: Sequence[Delivery]) -> Finding:
    """Judge the last deliveries: the newest failing is a problem, older failures a warning (redelivered)."""
    done = [d for d in recent if d.status_code is not None][:LAST_DELIVERIES]
    if not done:
        return ok(name, "no delivery in the last 3 days")
    codes = ", ".join(str(d.status_code) for d in done)
    failed = [d for d in done if not d.ok]
    if not failed:
        return ok(name, f"the last {len(done)} answered 2xx")
    todo = ("Our service refused the signature: set the webhook's secret to PULSE_GITHUB_WEBHOOK_SECRET again "
            "(pulse connect github does)." if any(d.status_code == 401 for d in failed) else
            "Check that the service is reachable at the webhook's URL and look in its log; the worker asks GitHub "
            "to redeliver what failed.")
    if not done[0].ok:
        return problem(name, f"The last delivery got {done[0].status_code} (last {len(done)}, newest first: "
                       f"{codes}).", todo)
    return warning(name, f"{len(failed)} of the last {len(done)} failed (newest first: {codes}).", todo)


GITHUB_CHECKS = (
    Check("GitHub repositories", check_github_repos),
    Check("GitHub webhooks", check_github_webhooks),
)
