"""The doctor's checks of this installation: settings, database, contracts file, intake queue, quarantine, worker.

Settings are named, never shown: a secret's value is not printed, only whether it is set.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.core.migrate import schema_status
from app.core.tables import ApiToken, IntakeQueue, QuarantinedRecord, RawDelivery, WorkerJob
from app.sync.doctor import Check, Doctor, Finding, ok, problem, warning
from app.sync.worker import PENDING_GRACE
from metrics.wording import human_duration

RECENT_FAILURES = timedelta(days=7)


def _uses(doctor: Doctor, source: str) -> bool:
    # Without readable contracts, assume both sources are used: better a warning too many than a secret missed.
    if doctor.contracts is None:
        return True
    return bool(doctor.repositories() if source == "github" else doctor.projects())


def check_settings(doctor: Doctor) -> list[Finding]:
    """Say which settings and secrets are present (by name) and which are missing for the contracts' sources."""
    s = doctor.settings
    found = [_api_tokens(doctor)]
    if s.insecure_webhooks:
        found.append(problem("Setting PULSE_INSECURE_WEBHOOKS", "Unsigned webhooks are accepted: anyone can post "
                             "made-up events.", "Remove PULSE_INSECURE_WEBHOOKS (it is for local development)."))
    if _uses(doctor, "github"):
        found.append(ok("Setting PULSE_GITHUB_WEBHOOK_SECRET", "set") if s.github_webhook_secret else problem(
            "Setting PULSE_GITHUB_WEBHOOK_SECRET", "Not set: every GitHub webhook delivery is refused.",
            "Set PULSE_GITHUB_WEBHOOK_SECRET to the secret entered on the GitHub webhook."))
        found.append(_github_credentials(doctor))
    if _uses(doctor, "jira"):
        signed = s.jira_webhook_secret or s.jira_webhook_token
        name = "PULSE_JIRA_WEBHOOK_SECRET" if s.jira_webhook_secret or not s.jira_webhook_token \
            else "PULSE_JIRA_WEBHOOK_TOKEN"
        found.append(ok(f"Setting {name}", "set") if signed else problem(
            "Setting PULSE_JIRA_WEBHOOK_SECRET", "Neither it nor PULSE_JIRA_WEBHOOK_TOKEN is set: every Jira webhook "
            "delivery is refused.", "Set PULSE_JIRA_WEBHOOK_SECRET to the secret entered on the Jira webhook."))
        found.append(_jira_sync(doctor))
    for source in ("github", "jira"):
        if _uses(doctor, source) and not doctor.webhook_url(source):
            name = f"PULSE_{source.upper()}_WEBHOOK_URL"
            found.append(warning(f"Setting {name}", f"Not set: the {source.capitalize()} webhooks cannot be "
                                 "compared with this service's address.", f"Set {name} to the address "
                                 f"{'GitHub' if source == 'github' else 'Jira'} posts to, e.g. "
                                 f"https://pulse.example.com/webhooks/{source}."))
    return found


def _api_tokens(doctor: Doctor) -> Finding:
    name = "Setting PULSE_API_TOKENS"
    if doctor.settings.bearer_tokens():
        return ok(name, "set")
    try:
        with doctor.factory() as session:
            stored = session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None)))
    except SQLAlchemyError:
        stored = 0  # the Database row says why; without a readable table no stored token counts
    if stored:
        return ok(name, f"not set; {stored} token(s) made with pulse token create")
    return problem(name, "No API token: /v1 refuses every request, the dashboard lets nobody in.",
                   "Create one with: pulse token create --name ops --scope admin.")


def _github_credentials(doctor: Doctor) -> Finding:
    s = doctor.settings
    if s.github_app:
        note = s.github_auth_note()
        if note:
            return warning("Setting PULSE_GITHUB_APP_ID", note, "Unset PULSE_GITHUB_TOKEN.")
        return ok("Setting PULSE_GITHUB_APP_ID", "set, with the App's key: GitHub is read as the GitHub App")
    if s.github_token:
        return ok("Setting PULSE_GITHUB_TOKEN", "set (a personal token; a GitHub App is recommended)")
    return warning("Setting PULSE_GITHUB_TOKEN", "Neither it nor PULSE_GITHUB_APP_ID is set: the sync reads public "
                   "repositories only, and slowly.", "Install the GitHub App and set PULSE_GITHUB_APP_ID and "
                   "PULSE_GITHUB_APP_PRIVATE_KEY (or set PULSE_GITHUB_TOKEN).")


def _jira_sync(doctor: Doctor) -> Finding:
    s = doctor.settings
    name = "Settings for the Jira sync"
    if not s.jira_url:
        return warning(name, "PULSE_JIRA_URL is not set: Jira is read from its webhooks only, nothing repairs a "
                       "missed one.", "Set PULSE_JIRA_URL, PULSE_JIRA_EMAIL and PULSE_JIRA_TOKEN.")
    missing = [n for n, v in (("PULSE_JIRA_TOKEN", s.jira_token),
                              ("PULSE_JIRA_EMAIL", s.jira_email or s.jira_deployment == "datacenter")) if not v]
    if missing:
        return problem(name, f"PULSE_JIRA_URL is set but {' and '.join(missing)} not.",
                       "Set " + " and ".join(missing) + " (Cloud: the account's e-mail and an API token; Data "
                       "Center: a personal access token alone, with PULSE_JIRA_DEPLOYMENT=datacenter).")
    return ok(name, f"PULSE_JIRA_URL, PULSE_JIRA_TOKEN{', PULSE_JIRA_EMAIL' if s.jira_email else ''} set "
              f"({s.jira_deployment})")


def check_database(doctor: Doctor) -> list[Finding]:
    """Say whether the database answers and its schema is at the newest migration."""
    current, detail = schema_status(doctor.engine)
    if current:
        return [ok("Database", f"answers; {detail}")]
    if "does not answer" in detail:
        return [problem("Database", detail, "Check PULSE_DATABASE_URL and that the database is running.")]
    return [problem("Database schema", detail.split(":")[0] + ".",
                    "Run pulse migrate (once, before starting the new version).")]


def check_contracts(doctor: Doctor) -> list[Finding]:
    """Say whether the contracts file reads, and what it lists."""
    source = doctor.settings.contracts
    if doctor.contracts is None:
        return [problem("Contracts file", doctor.contracts_error or f"{source} could not be read.",
                        "Correct the file where the message says; the service does not start on it.")]
    spec = doctor.contracts.spec
    found = [ok("Contracts file", f"{source}: {len(spec.clients)} client(s), {len(spec.people)} people, "
                f"{len(doctor.repositories())} repositories, {len(doctor.projects())} Jira projects")]
    for client in spec.clients:
        if not client.github_repos and not client.jira_projects:
            found.append(warning(f"Contracts: {client.name}", "Lists no repository and no Jira project: nothing is "
                                 "measured for it.", "Add its github_repos or jira_projects."))
    return found


def check_intake(doctor: Doctor) -> list[Finding]:
    """Say whether acknowledged webhook deliveries are stored, and whether recent ones could not be read."""
    now = doctor.now()
    with doctor.factory() as session:
        waiting = session.scalar(select(func.count()).select_from(IntakeQueue)) or 0
        stale = session.scalar(select(func.count()).select_from(IntakeQueue).where(
            IntakeQueue.queued_at < now - PENDING_GRACE)) or 0
        unreadable = session.scalar(select(func.count()).select_from(RawDelivery).where(
            RawDelivery.status == "failed", RawDelivery.received_at >= now - RECENT_FAILURES)) or 0
    found = []
    if stale:
        found.append(problem("Intake queue", f"{stale} webhook deliveries acknowledged more than "
                             f"{human_duration(PENDING_GRACE.total_seconds())} ago are not stored yet.",
                             "Start pulse worker (it stores them) and look in the server's log for database errors."))
    else:
        found.append(ok("Intake queue", f"{waiting} being stored now" if waiting else "empty"))
    if unreadable:
        found.append(problem("Webhook deliveries", f"{unreadable} deliveries of the last 7 days could not be read "
                             "(kept, with the reason, in the raw_deliveries table).",
                             "Run pulse replay after upgrading; if they stay unreadable, report them with their "
                             "delivery ids."))
    return found


def check_quarantine(doctor: Doctor) -> list[Finding]:
    """Say whether the sync left records it could not read."""
    with doctor.factory() as session:
        kept = dict(session.execute(select(QuarantinedRecord.source, func.count()).where(
            QuarantinedRecord.resolved_at.is_(None)).group_by(QuarantinedRecord.source)).all())
    if not kept:
        return [ok("Quarantine", "empty")]
    where = ", ".join(f"{n} from {source}" for source, n in sorted(kept.items()))
    return [problem("Quarantine", f"{sum(kept.values())} records the sync could not read ({where}).",
                    "pulse quarantine lists them with the reason; after an upgrade, pulse replay reads them again.")]


def check_worker(doctor: Doctor) -> list[Finding]:
    """Say whether a worker took a scheduled job recently."""
    with doctor.factory() as session:
        last = session.execute(select(WorkerJob.taken_at, WorkerJob.taken_by).where(WorkerJob.taken_at.is_not(None))
                               .order_by(WorkerJob.taken_at.desc()).limit(1)).first()
    todo = "Start pulse worker (it syncs, stores queued deliveries and sends alerts), or look at why it stopped."
    if last is None:
        return [problem("Worker", "No worker has run against this database.", todo)]
    taken_at, taken_by = last
    age = (doctor.now() - taken_at).total_seconds()
    limit = max(300.0, 3.0 * doctor.settings.clock_check_seconds)
    seen = f"last seen {human_duration(max(age, 0))} ago ({taken_by})"
    if age > limit:
        return [problem("Worker", seen.capitalize() + ".", todo)]
    return [ok("Worker", seen)]


LOCAL_CHECKS = (
    Check("Settings", check_settings),
    Check("Database", check_database),
    Check("Contracts file", check_contracts),
    Check("Intake queue", check_intake),
    Check("Quarantine", check_quarantine),
    Check("Worker", check_worker),
)
