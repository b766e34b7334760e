"""`pulse doctor`'s checks on a healthy installation and for each problem an operator meets, on both databases.

GitHub and Jira are stand-ins behind respx; the database is real. Every problem row says what to do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import respx
from alembic import command
from pydantic import SecretStr

from app.cli.doctor import all_checks
from app.core.db import transaction
from app.core.migrate import alembic_config
from app.core.tables import IntakeQueue, QuarantinedRecord, RawDelivery, WorkerJob
from app.sync.doctor import Check, Doctor, Finding, Status, all_well, ok, run_checks
from connectors.github.hooks import HOOK_EVENTS
from connectors.jira.hooks import wanted_webhook
from tests.conftest import make_settings
from tests.connectors.github.fake_github_admin import APP_ID, PERSONAL_TOKEN
from tests.connectors.jira.fake_jira_admin import SITE, JiraAdminSite
from tests.sync.doctor_fakes import ADMIN, READ, FakeGitHubRepos

pytestmark = pytest.mark.postgres

GITHUB_HOOK = "https://pulse.example.com/webhooks/github"
JIRA_HOOK = "https://pulse.example.com/webhooks/jira"


def _site() -> JiraAdminSite:
    site = JiraAdminSite(projects={"SHOP": {"BROWSE_PROJECTS"}})
    site.add_webhook(**wanted_webhook(JIRA_HOOK, ["SHOP"]).as_body(None))
    return site


class Installation:
    """A healthy installation: schema current, worker seen, a Jira delivery received, GitHub and Jira answering."""

    def __init__(self, engine, factory, contracts, github: FakeGitHubRepos) -> None:
        self.engine, self.factory, self.contracts, self.github = engine, factory, contracts, github
        self.site = _site()
        github.repos["acme/shop"] = dict(ADMIN)
        self.hook = github.add_hook("repos/acme/shop", GITHUB_HOOK, list(HOOK_EVENTS))
        github.add_delivery(self.hook, status_code=202, at=datetime.now(UTC) - timedelta(minutes=3))
        self.settings = make_settings(
            github_token=PERSONAL_TOKEN, github_api_url=github.base_url, github_webhook_url=GITHUB_HOOK,
            jira_url=SITE, jira_email="ops@example.com", jira_token="jira-token-value", jira_webhook_url=JIRA_HOOK)
        command.stamp(alembic_config(engine), "head")
        now = datetime.now(UTC)
        with transaction(factory) as session:
            session.add(WorkerJob(name="clocks", next_at=now + timedelta(minutes=1), taken_at=now - timedelta(
                seconds=30), taken_by="worker-host:4242"))
            session.add(RawDelivery(source="jira", delivery_id="j-1", event="jira:issue_updated", action=None,
                                    received_at=now - timedelta(minutes=5), body=b"{}", status="processed"))

    def doctor(self, **changes) -> Doctor:
        fields = {"settings": self.settings, "contracts": self.contracts, "engine": self.engine,
                  "factory": self.factory, "timeout": 10.0} | changes
        return Doctor(**fields)

    def run(self, doctor: Doctor | None = None, checks=None) -> list[Finding]:
        with respx.mock(assert_all_called=False) as router:
            self.site.install(router)
            router.route(url__startswith=self.github.base_url).pass_through()  # a real server, over HTTP
            return run_checks(doctor or self.doctor(), all_checks() if checks is None else checks)


@pytest.fixture
def setup(engine, factory, contracts) -> Iterator[Installation]:
    github = FakeGitHubRepos()
    with github.running():
        yield Installation(engine, factory, contracts, github)


def _rows(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def _problem(findings: list[Finding], check: str, *words: str) -> Finding:
    rows = [f for f in _rows(findings, check) if f.status is Status.PROBLEM]
    assert rows, f"no problem for {check!r} in {findings}"
    row = rows[0]
    text = (row.detail + " " + row.todo).lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in {row}"
    assert row.todo, "a problem must say what to do"
    assert not all_well(findings)
    return row


def test_a_healthy_installation_is_all_ok(setup):
    findings = setup.run()
    assert all(f.status is Status.OK for f in findings), [f for f in findings if f.status is not Status.OK]
    assert all_well(findings)
    checks = {f.check for f in findings}
    assert {"Database", "Contracts file", "Intake queue", "Quarantine", "Worker", "Jira project SHOP",
            "Jira webhook", "Jira deliveries", "Machine clock", "Setting PULSE_GITHUB_WEBHOOK_SECRET",
            "GitHub repository acme/shop", "GitHub webhook acme/shop", "GitHub deliveries acme/shop"} <= checks
    assert "permission: admin" in _rows(findings, "GitHub repository acme/shop")[0].detail
    assert "admin:repo_hook" in _rows(findings, "GitHub repository acme/shop")[0].detail
    assert "browse: yes" in _rows(findings, "Jira project SHOP")[0].detail
    assert "GitHub and Jira" in _rows(findings, "Machine clock")[0].detail


def test_secrets_are_named_never_shown(setup):
    findings = setup.run()
    text = json.dumps([f.__dict__ for f in findings], default=str)
    for secret in (PERSONAL_TOKEN, "jira-token-value", "test-github-secret", "test-jira-secret", "test-token"):
        assert secret not in text


def test_a_missing_webhook_secret(setup):
    setup.settings = setup.settings.model_copy(update={"github_webhook_secret": None})
    _problem(setup.run(), "Setting PULSE_GITHUB_WEBHOOK_SECRET", "refused", "Set PULSE_GITHUB_WEBHOOK_SECRET")


def test_a_database_behind_on_migrations(setup):
    command.stamp(alembic_config(setup.engine), "0007")
    _problem(setup.run(), "Database schema", "0007", "pulse migrate")


def test_a_database_that_does_not_answer(setup, tmp_path):
    from app.core.db import make_engine, make_sessionmaker

    gone = make_engine(f"sqlite:///{tmp_path}/missing/dir/pulse.db")
    setup.settings = setup.settings.model_copy(update={"api_tokens": None})
    findings = setup.run(setup.doctor(engine=gone, factory=make_sessionmaker(gone)))
    _problem(findings, "Database", "does not answer", "PULSE_DATABASE_URL")
    _problem(findings, "Worker", "database could not be read", "Database row")
    _problem(findings, "Setting PULSE_API_TOKENS", "No API token")  # the settings are still checked
    assert _rows(findings, "Contracts file")[0].status is Status.OK  # the other checks still ran


def test_bad_contracts(setup):
    error = "pulse.yaml: clients[0].targets.response_time: 'soon' is not a duration; write it like 30m"
    findings = setup.run(setup.doctor(contracts=None, contracts_error=error))
    _problem(findings, "Contracts file", "is not a duration", "Correct the file")


def test_a_project_the_account_cannot_browse(setup):
    setup.site.projects["SHOP"] = set()
    _problem(setup.run(), "Jira project SHOP", "cannot browse", "Browse Projects")


def test_a_project_jira_does_not_know(setup):
    del setup.site.projects["SHOP"]
    _problem(setup.run(), "Jira project SHOP", "knows no project SHOP")


def test_jira_refusing_the_credentials(setup):
    setup.site.credentials_ok = False
    _problem(setup.run(), "Jira project SHOP", "refused the credentials", "PULSE_JIRA_TOKEN")


def test_the_jira_webhook_missing(setup):
    setup.site.webhooks.clear()
    _problem(setup.run(), "Jira webhook", JIRA_HOOK, "pulse connect jira")


def test_the_jira_webhook_with_wrong_events_and_filter(setup):
    hook = setup.site.webhooks[0]
    hook["events"] = ["jira:issue_created"]
    hook["filters"] = {"issue-related-events-section": "project = OTHER"}
    row = _problem(setup.run(), "Jira webhook", "comment_created", "leaves out SHOP", "pulse connect jira")
    assert "jira:issue_updated" in row.detail


def test_the_jira_webhook_disabled(setup):
    setup.site.webhooks[0]["enabled"] = False
    _problem(setup.run(), "Jira webhook", "disabled")


def test_webhooks_are_only_a_warning_for_an_account_that_is_no_jira_administrator(setup):
    setup.site.admin = False
    findings = setup.run()
    assert _rows(findings, "Jira webhook")[0].status is Status.WARNING
    assert _rows(findings, "Jira project SHOP")[0].detail.endswith("register webhooks): no")
    assert all_well(findings)


def test_a_machine_clock_off_by_minutes(setup):
    setup.site.clock_offset = timedelta(minutes=-5)
    row = _problem(setup.run(), "Machine clock", "about 5 minutes ahead of Jira", "NTP")
    assert "signatures" in row.detail


def test_a_machine_clock_ahead_of_github(setup):
    ahead = setup.doctor(now=lambda: datetime.now(UTC) + timedelta(minutes=3))
    _problem(setup.run(ahead), "Machine clock", "about 3 minutes ahead of GitHub")


def test_an_unreachable_repository(setup):
    del setup.github.repos["acme/shop"]
    _problem(setup.run(), "GitHub repository acme/shop", "no repository acme/shop", "contracts file")


def test_a_token_github_refuses(setup):
    setup.settings = setup.settings.model_copy(update={"github_token": SecretStr("ghp_revoked")})
    _problem(setup.run(), "GitHub repository acme/shop", "refused the credentials", "PULSE_GITHUB_TOKEN")


def test_a_token_that_may_only_read_is_a_warning(setup):
    setup.github.repos["acme/shop"] = dict(READ)
    setup.github.scopes = "repo"
    row = _rows(setup.run(), "GitHub repository acme/shop")[0]
    assert row.status is Status.WARNING and "permission: read" in row.detail and "admin:repo_hook" in row.todo


def test_the_github_webhook_missing(setup):
    setup.github.hooks["repos/acme/shop"].clear()
    _problem(setup.run(), "GitHub webhook acme/shop", f"No webhook posts to {GITHUB_HOOK}", "pulse connect github")


def test_the_github_webhook_with_wrong_events_and_content_type(setup):
    row = setup.github.hooks["repos/acme/shop"][setup.hook]
    row["events"] = ["issues", "push"]
    row["config"]["content_type"] = "form"
    _problem(setup.run(), "GitHub webhook acme/shop", "events missing: issue_comment", "events not used: push",
             "content type is form", "pulse connect github")


def test_an_organisation_webhook_counts(setup):
    setup.github.hooks["repos/acme/shop"].clear()
    setup.github.add_org("acme")
    setup.github.add_hook("orgs/acme", GITHUB_HOOK, list(HOOK_EVENTS))
    row = _rows(setup.run(), "GitHub webhook acme/shop")[0]
    assert row.status is Status.OK and "organisation acme" in row.detail


def test_failing_github_deliveries(setup):
    setup.github.add_delivery(setup.hook, status_code=401, at=datetime.now(UTC) - timedelta(minutes=1))
    row = _problem(setup.run(), "GitHub deliveries acme/shop", "The last delivery got 401", "401, 202",
                   "PULSE_GITHUB_WEBHOOK_SECRET")
    assert "secret" in row.todo


def test_an_older_failed_delivery_is_a_warning(setup):
    setup.github.add_delivery(setup.hook, status_code=502, at=datetime.now(UTC) - timedelta(minutes=10))
    row = _rows(setup.run(), "GitHub deliveries acme/shop")[0]
    assert row.status is Status.WARNING and "1 of the last 2 failed" in row.detail


def test_deliveries_stuck_in_the_intake_queue(setup):
    with transaction(setup.factory) as session:
        raw = RawDelivery(source="github", delivery_id="g-1", event="issues", action="opened", body=b"{}",
                          status="processed", received_at=datetime.now(UTC) - timedelta(minutes=10))
        session.add(raw)
        session.flush()
        session.add(IntakeQueue(raw_id=raw.id, queued_at=datetime.now(UTC) - timedelta(minutes=10)))
    _problem(setup.run(), "Intake queue", "1 webhook deliveries", "pulse worker")


def test_recent_deliveries_that_could_not_be_read(setup):
    with transaction(setup.factory) as session:
        session.add(RawDelivery(source="github", delivery_id="g-2", event="issues", action="opened", body=b"{}",
                                status="failed", error="The GitHub payload's issue must be an object"))
    _problem(setup.run(), "Webhook deliveries", "could not be read", "pulse replay")


def test_records_in_quarantine(setup):
    with transaction(setup.factory) as session:
        session.add(QuarantinedRecord(source="jira", scope="SHOP", kind="issue", ref="10001", body={}, reason="odd"))
    _problem(setup.run(), "Quarantine", "1 records", "1 from jira", "pulse quarantine")


@pytest.mark.parametrize("age", [None, timedelta(hours=2)])
def test_a_worker_not_seen(setup, age):
    with transaction(setup.factory) as session:
        job = session.get(WorkerJob, "clocks")
        if age is None:
            session.delete(job)
        else:
            job.taken_at = datetime.now(UTC) - age
    row = _problem(setup.run(), "Worker", "Start pulse worker")
    assert ("No worker" in row.detail) if age is None else ("2 h ago" in row.detail)


def test_a_hanging_or_broken_check_never_stops_the_others(setup):
    release = threading.Event()

    def hangs(doctor):
        release.wait(30)
        return [ok("Hangs", "finally")]

    def breaks(doctor):
        raise RuntimeError("the disk is full")

    checks = (Check("Hangs", hangs), Check("Breaks", breaks), *all_checks())
    try:
        findings = setup.run(setup.doctor(timeout=3.0), checks)
    finally:
        release.set()
    _problem(findings, "Hangs", "No answer within 3 seconds", "--timeout")
    _problem(findings, "Breaks", "the disk is full")
    assert _rows(findings, "Worker")[0].status is Status.OK


def _as_app(setup) -> None:
    gh = setup.github
    gh.add_org("acme")
    gh.installations["acme"] = 7
    gh.app_config["url"] = GITHUB_HOOK
    gh.app_events = sorted(HOOK_EVENTS)
    gh.add_delivery(0, status_code=202, at=datetime.now(UTC) - timedelta(minutes=2))
    setup.settings = setup.settings.model_copy(update={
        "github_token": None, "github_app_id": APP_ID, "github_app_private_key": SecretStr(gh.private_key)})


def test_a_healthy_github_app(setup):
    _as_app(setup)
    findings = setup.run()
    assert all(f.status is Status.OK for f in findings), [f for f in findings if f.status is not Status.OK]
    repo = _rows(findings, "GitHub repository acme/shop")[0]
    assert "as the GitHub App" in repo.detail and "pull_requests read" in repo.detail
    assert _rows(findings, "GitHub App webhook")[0].status is Status.OK
    assert "the last 1 answered 2xx" in _rows(findings, "GitHub App deliveries")[0].detail
    assert not _rows(findings, "GitHub webhook acme/shop")  # with an App, its one webhook is what counts


def test_a_github_app_without_a_permission_it_needs(setup):
    _as_app(setup)
    del setup.github.installation_permissions["pull_requests"]
    _problem(setup.run(), "GitHub repository acme/shop", "lacks pull_requests", "accept the new permissions")


def test_a_github_app_webhook_posting_elsewhere(setup):
    _as_app(setup)
    setup.github.app_config["url"] = "https://old.example.com/hook"
    setup.github.app_config["content_type"] = "form"
    _problem(setup.run(), "GitHub App webhook", "webhook URL is https://old.example.com/hook", "not json",
             "In the App's settings")


def test_a_github_app_not_installed_on_the_owner(setup):
    _as_app(setup)
    setup.github.installations.clear()
    _problem(setup.run(), "GitHub repository acme/shop", "not installed on acme", "Install the GitHub App")


def test_a_github_app_missing_an_event(setup):
    _as_app(setup)
    setup.github.app_events = [e for e in setup.github.app_events if e != "pull_request_review"]
    _problem(setup.run(), "GitHub App webhook", "pull_request_review")
