"""The doctor's Jira checks: each project reachable with the credentials and with which permissions, and our admin
webhook registered with the right events, URL and JQL filter.

Jira answers ``GET /rest/api/{2,3}/mypermissions?projectKey=...`` for the calling account, on Cloud and Data
Center alike (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/). Jira's REST API
tells nothing of a webhook's past deliveries, so the doctor says when the last Jira delivery arrived here instead.
"""

from __future__ import annotations

from sqlalchemy import select

from app.core.tables import RawDelivery
from app.sync.doctor import Check, Doctor, Finding, ok, problem, warning
from app.sync.jira_setup import jira_webhook_plan
from connectors.jira.client import JiraClient, JiraError
from connectors.jira.hooks import differences, find_ours, list_webhooks, masked
from metrics.wording import human_duration

PERMISSIONS = ("BROWSE_PROJECTS", "ADMINISTER")


def jira_client(doctor: Doctor) -> JiraClient | None:
    """Return a client for the configured Jira site (one quick retry at most), or None when none is set."""
    s = doctor.settings
    if not s.jira_url:
        return None
    return JiraClient(s.jira_url, email=s.jira_email, token=s.jira_token.get_secret_value() if s.jira_token else None,
                      deployment="datacenter" if s.jira_deployment == "datacenter" else "cloud",
                      timeout=doctor.http_timeout, max_retries=1, max_wait_seconds=5.0,
                      transport=doctor.transport)


def _not_configured(name: str) -> list[Finding]:
    return [warning(name, "Not checked: PULSE_JIRA_URL is not set.",
                    "Set PULSE_JIRA_URL, PULSE_JIRA_EMAIL and PULSE_JIRA_TOKEN to let the doctor and the sync in.")]


def check_jira_projects(doctor: Doctor) -> list[Finding]:
    """Say, per project in the contracts, whether the account can browse it (and whether it administers Jira)."""
    if not doctor.projects():
        return []
    client = jira_client(doctor)
    if client is None:
        return _not_configured("Jira projects")
    found = []
    with client:
        for key in doctor.projects():
            name = f"Jira project {key}"
            try:
                answer = client.get_json(f"/rest/api/{client.api}/mypermissions",
                                         {"projectKey": key, "permissions": ",".join(PERMISSIONS)})
            except JiraError as exc:
                found.append(_refused(name, key, exc))
                if exc.status == 401:
                    break  # the same credentials fail for every project: once is enough
                continue
            have = {p: bool(((answer or {}).get("permissions") or {}).get(p, {}).get("havePermission"))
                    for p in PERMISSIONS}
            if not have["BROWSE_PROJECTS"]:
                found.append(problem(name, "The account cannot browse this project: its issues are not read.",
                                     f"Give the account the Browse Projects permission in {key}'s permission "
                                     "scheme."))
            else:
                found.append(ok(name, "browse: yes; administer Jira (needed to register webhooks): "
                                + ("yes" if have["ADMINISTER"] else "no")))
    return found


def _refused(name: str, key: str, exc: JiraError) -> Finding:
    if exc.status == 401:
        return problem(name, "Jira refused the credentials.", "Check PULSE_JIRA_EMAIL and PULSE_JIRA_TOKEN (Cloud: "
                       "an API token of that account; Data Center: a personal access token).")
    if exc.status in (400, 404):
        return problem(name, f"Jira knows no project {key}, or the account may not see it.",
                       f"Check the key {key} in the contracts file and the account's access to it.")
    return problem(name, f"Jira did not answer: {exc.message}", "Check PULSE_JIRA_URL and that Jira is reachable "
                   "from this machine.")


def check_jira_webhook(doctor: Doctor) -> list[Finding]:
    """Say whether our admin webhook is registered as Delivery Pulse needs it, and when a delivery last came."""
    if not doctor.projects():
        return []
    name = "Jira webhook"
    client = jira_client(doctor)
    if client is None:
        return _not_configured(name)
    plan = jira_webhook_plan(doctor.settings, doctor.projects())
    if plan is None:
        return [warning(name, "Not checked: PULSE_JIRA_WEBHOOK_URL is not set, so the webhook's URL cannot be "
                        "compared.", "Set PULSE_JIRA_WEBHOOK_URL to the address Jira posts to, e.g. "
                        "https://pulse.example.com/webhooks/jira.")]
    want, url = plan.webhook, plan.webhook.url
    with client:
        try:
            hooks = list_webhooks(client)
        except JiraError as exc:
            if exc.status == 403:
                return [warning(name, "The account may not list webhooks (it is not a Jira administrator).",
                                "Check it by hand in Jira settings > System > WebHooks, or run pulse doctor with "
                                "an administrator's token.")]
            return [problem(name, f"Jira did not list its webhooks: {exc.message}", "Check PULSE_JIRA_URL and the "
                            "credentials.")]
    have = find_ours(hooks, url)
    if have is None:
        return [problem(name, f"No webhook calls {masked(url)}: Jira changes reach Delivery Pulse only by the sync.",
                        "Run pulse connect jira (or enter the webhook by hand, as it prints).")]
    if changes := differences(have, want):
        todo = "Run pulse connect jira to correct it."
        return [problem(name, f"Webhook '{have.name}' is registered, but " + "; ".join(changes) + ".", todo)]
    return [ok(name, f"'{have.name}' calls {masked(url)} for {len(want.events)} events and projects "
               + ", ".join(sorted(want.projects))), _last_delivery(doctor)]


def _last_delivery(doctor: Doctor) -> Finding:
    name = "Jira deliveries"
    with doctor.factory() as session:
        last = session.scalar(select(RawDelivery.received_at).where(RawDelivery.source == "jira")
                              .order_by(RawDelivery.id.desc()).limit(1))
    if last is None:
        return warning(name, "No Jira delivery has arrived yet (Jira reports none of its deliveries over its API).",
                       "Change an issue in one of the contracts' projects and run pulse doctor again.")
    return ok(name, f"the last one arrived {human_duration((doctor.now() - last).total_seconds())} ago")


JIRA_CHECKS = (
    Check("Jira projects", check_jira_projects),
    Check("Jira webhook", check_jira_webhook),
)
